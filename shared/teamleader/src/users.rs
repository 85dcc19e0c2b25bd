//! `users.me`: who signed in, and in which Teamleader account (the tenant).

use crate::TeamleaderClient;
use crate::common::{Data, TypeAndId};
use koppel_core::ExternalError;
use serde::Deserialize;

/// The signed-in user as users.me returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Me {
    /// User id.
    pub id: String,
    /// The Teamleader account (tenant) the token belongs to.
    pub account: TypeAndId,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Interface language, e.g. "nl-BE".
    #[serde(default)]
    pub language: Option<String>,
    /// Time zone, e.g. "Europe/Brussels".
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Endpoints of the users resource (`client.users()`).
#[derive(Debug, Clone, Copy)]
pub struct UsersApi<'a> {
    pub(crate) client: &'a TeamleaderClient,
}

impl UsersApi<'_> {
    /// users.me (no request body).
    pub async fn me(&self) -> Result<Me, ExternalError> {
        let me: Data<Me> = self.client.call_without_body("users.me").await?;
        Ok(me.data)
    }
}
