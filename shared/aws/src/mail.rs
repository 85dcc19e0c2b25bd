//! E-mail through Amazon SES (v2 API), from the sender the operator verified in SES
//! (`KOPPEL_MAIL_FROM`; empty: Koppel sends no e-mail).

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use koppel_core::{MailError, MailMessage, Mailer};

/// The core's [`Mailer`] on SES.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    /// Sends from `from` (an identity verified in SES).
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }
}

fn content(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Unavailable(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let email = EmailContent::builder()
            .simple(
                Message::builder()
                    .subject(content(&message.subject)?)
                    .body(Body::builder().text(content(&message.text)?).build())
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&message.to).build())
            .content(email)
            .send()
            .await
            .map_err(|e| {
                MailError::Unavailable(format!(
                    "SES SendEmail from {} failed: {}",
                    self.from,
                    aws_sdk_sesv2::error::DisplayErrorContext(e)
                ))
            })?;
        Ok(())
    }
}
