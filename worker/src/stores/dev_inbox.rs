//! The local inbox store (development only): notifications the demo team's
//! channels delivered to the worker itself, instead of Slack or a webhook.

use super::StoreError;
use beacon_shared::Timestamp;

/// A notification received by the local inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    /// Which channel it came through: the path after `/dev/inbox/`.
    pub channel: String,
    pub received_at: Timestamp,
    /// The body as sent (Slack or generic JSON).
    pub body: String,
}

/// The local inbox: what arrived, newest first.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait DevInboxStore {
    /// Keeps one received notification.
    async fn receive(&self, message: &InboxMessage) -> Result<(), StoreError>;
    /// The newest `limit` notifications, newest first.
    async fn inbox(&self, limit: u32) -> Result<Vec<InboxMessage>, StoreError>;
}
