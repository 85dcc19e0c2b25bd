//! Sending an e-mail to a user (the payment poll's digest of invoices marked paid). Amazon
//! SES in production.

use async_trait::async_trait;
use thiserror::Error;

/// A plain-text e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Body, plain text.
    pub text: String,
}

/// Failure to send.
#[derive(Debug, Error)]
pub enum MailError {
    /// The mail service could not be reached or refused the message.
    #[error("the e-mail could not be sent: {0}")]
    Unavailable(String),
}

/// Sends e-mails.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Send `message` once.
    async fn send(&self, message: &MailMessage) -> Result<(), MailError>;
}
