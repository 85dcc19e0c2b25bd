//! Connecting to Twinfield: the login host's OpenID Connect endpoints (authorize with a
//! nonce, token, access-token validation) and the token timings.

use super::refusals::SYSTEM;
use koppel_api::{OAuthClient, TokenSourceConfig, TokenTimings};
use koppel_core::{Clock, ConnectionId};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The production login host.
pub const DEFAULT_LOGIN_URL: &str = "https://login.twinfield.com";

/// The scopes Koppel asks: the user and organisation claims, and `offline_access` for a
/// refresh token.
pub const SCOPES: &str = "openid twf.user twf.organisation twf.organisationUser offline_access";

/// Access tokens live an hour; Koppel renews them five minutes before.
pub const TIMINGS: TokenTimings = TokenTimings {
    token_lifetime: Duration::from_secs(3600),
    refresh_margin: Duration::from_secs(300),
    min_token_age: Duration::ZERO,
};

/// Koppel's client registration at Twinfield's login host (or the simulator).
#[derive(Clone)]
pub struct TwinfieldApp {
    /// The login host (`https://login.twinfield.com` or the simulator's).
    pub login_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (never logged; `Debug` hides it).
    pub client_secret: String,
}

impl fmt::Debug for TwinfieldApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwinfieldApp")
            .field("login_url", &self.login_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl TwinfieldApp {
    /// The registration at `login_url` (trailing slash ignored).
    pub fn new(
        login_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            login_url: login_url.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    fn endpoint(&self, name: &str) -> String {
        format!("{}/auth/authentication/connect/{name}", self.login_url)
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        self.endpoint("token")
    }

    /// The access-token validation endpoint (it names the organisation's cluster).
    pub fn validation_url(&self) -> String {
        self.endpoint("accesstokenvalidation")
    }

    /// Where to send the person: the authorization-code flow with the scopes, the page's
    /// signed `state`, and a fresh random `nonce` (Twinfield requires one).
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("state", state)
            .append_pair("nonce", &uuid::Uuid::new_v4().simple().to_string())
            .finish();
        format!("{}?{query}", self.endpoint("authorize"))
    }

    /// The token endpoint client (code exchange, refresh).
    pub fn oauth(&self, clock: Arc<dyn Clock>) -> OAuthClient {
        OAuthClient::new(
            SYSTEM,
            self.token_url(),
            &self.client_id,
            &self.client_secret,
            clock,
        )
    }

    /// Token settings for a connection whose tokens live in `secret_name`.
    pub fn token_config(secret_name: &str, connection: ConnectionId) -> TokenSourceConfig {
        TokenSourceConfig::new(secret_name, connection, TIMINGS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorize_url_asks_offline_access_with_a_fresh_nonce() {
        let app = TwinfieldApp::new("https://login.twinfield.com/", "id", "secret");
        let first = app.authorize_url("https://k.example/oauth/ledger", "st");
        let second = app.authorize_url("https://k.example/oauth/ledger", "st");
        assert!(
            first.starts_with(
                "https://login.twinfield.com/auth/authentication/connect/authorize?response_type=code&client_id=id"
            ),
            "{first}"
        );
        assert!(
            first.contains("offline_access") && first.contains("nonce="),
            "{first}"
        );
        assert_ne!(first, second, "a new nonce every time");
        assert!(!format!("{app:?}").contains("secret"));
    }
}
