//! A mailer that keeps what it was asked to send, for tests.

use super::lock;
use crate::{MailError, MailMessage, Mailer};
use async_trait::async_trait;
use std::sync::Mutex;

/// Records every message sent.
#[derive(Debug, Default)]
pub struct InMemoryMailer {
    sent: Mutex<Vec<MailMessage>>,
}

impl InMemoryMailer {
    /// No message yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message sent, oldest first.
    pub fn sent(&self) -> Vec<MailMessage> {
        lock(&self.sent).clone()
    }
}

#[async_trait]
impl Mailer for InMemoryMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        lock(&self.sent).push(message.clone());
        Ok(())
    }
}
