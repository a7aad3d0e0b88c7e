//! [`DevInboxStore`] in memory.

use super::MemoryStore;
use crate::stores::dev_inbox::{DevInboxStore, InboxMessage};
use crate::stores::StoreError;

impl DevInboxStore for MemoryStore {
    async fn receive(&self, message: &InboxMessage) -> Result<(), StoreError> {
        self.check()?;
        self.inbox.borrow_mut().push(message.clone());
        Ok(())
    }

    async fn inbox(&self, limit: u32) -> Result<Vec<InboxMessage>, StoreError> {
        self.check()?;
        let inbox = self.inbox.borrow();
        // Stable sort: among equal times, the later arrival comes first.
        let mut newest: Vec<InboxMessage> = inbox.iter().rev().cloned().collect();
        newest.sort_by_key(|m| std::cmp::Reverse(m.received_at));
        newest.truncate(limit as usize);
        Ok(newest)
    }
}
