//! [`DevInboxStore`] on D1: the `dev_inbox` table (migration 0009).

use super::{num, parse_err, text, D1Store};
use crate::stores::dev_inbox::{DevInboxStore, InboxMessage};
use crate::stores::StoreError;
use beacon_shared::Timestamp;
use serde::Deserialize;

#[derive(Deserialize)]
struct InboxRow {
    channel: String,
    received_at: f64,
    body: String,
}

impl DevInboxStore for D1Store {
    async fn receive(&self, message: &InboxMessage) -> Result<(), StoreError> {
        self.run(
            "INSERT INTO dev_inbox (channel, received_at, body) VALUES (?1, ?2, ?3)",
            &[
                text(&message.channel),
                num(message.received_at.unix_millis()),
                text(&message.body),
            ],
        )
        .await
    }

    async fn inbox(&self, limit: u32) -> Result<Vec<InboxMessage>, StoreError> {
        let rows = self
            .all::<InboxRow>(
                "SELECT channel, received_at, body FROM dev_inbox \
                 ORDER BY received_at DESC, id DESC LIMIT ?1",
                &[num(i64::from(limit))],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                if r.received_at.fract() != 0.0 {
                    return Err(parse_err("received_at is not whole milliseconds"));
                }
                Ok(InboxMessage {
                    channel: r.channel,
                    received_at: Timestamp::from_unix_millis(r.received_at as i64),
                    body: r.body,
                })
            })
            .collect()
    }
}
