//! Connecting to Clearfacts: its OpenID Connect endpoints (authorization code only) and the
//! token timings. With `offline_access` Clearfacts issues a refresh token that rotates: the
//! shared token source writes the new pair under the store lease before using it.
//!
//! Clearfacts keeps at most 10 active tokens per user and application and revokes the least
//! recently used beyond that. Koppel holds one token per connection and a refresh replaces
//! it (it does not add one); a person who links more than ten departments to Clearfacts
//! with the same Clearfacts user would see the least used one asking to sign in again.

use super::refusals::SYSTEM;
use koppel_api::{OAuthClient, TokenSourceConfig, TokenTimings};
use koppel_core::{Clock, ConnectionId};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The production sign-in host.
pub const DEFAULT_LOGIN_URL: &str = "https://login.clearfacts.be";
/// The production API host (its one endpoint is `/graphql`).
pub const DEFAULT_API_URL: &str = "https://api.clearfacts.be";

/// The scopes Koppel asks: sign-in, a refresh token, the companies to choose from, uploads
/// (which also lets it read the uploaded documents' payment state).
pub const SCOPES: &str = "openid offline_access read_administrations upload_document";

/// Access tokens live an hour; Koppel renews them five minutes before.
pub const TIMINGS: TokenTimings = TokenTimings {
    token_lifetime: Duration::from_secs(3600),
    refresh_margin: Duration::from_secs(300),
    min_token_age: Duration::ZERO,
};

/// Koppel's application registered in Clearfacts (or the simulator).
#[derive(Clone)]
pub struct ClearfactsApp {
    /// The sign-in host.
    pub login_url: String,
    /// The API host.
    pub api_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (never logged; `Debug` hides it).
    pub client_secret: String,
}

impl fmt::Debug for ClearfactsApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClearfactsApp")
            .field("login_url", &self.login_url)
            .field("api_url", &self.api_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ClearfactsApp {
    /// The registration (trailing slashes ignored).
    pub fn new(
        login_url: impl Into<String>,
        api_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            login_url: login_url.into().trim_end_matches('/').to_owned(),
            api_url: api_url.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2-server/token", self.login_url)
    }

    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.api_url)
    }

    /// Where to send the person: the authorization-code flow with Koppel's scopes and the
    /// page's signed `state`.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("state", state)
            .finish();
        format!("{}/oauth2-server/authorize?{query}", self.login_url)
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
    fn the_authorize_url_asks_the_code_flow_with_koppels_scopes_and_hides_the_secret() {
        let app = ClearfactsApp::new(DEFAULT_LOGIN_URL, DEFAULT_API_URL, "id", "secret");
        let url = app.authorize_url("https://k.example/oauth/ledger", "st");
        assert!(
            url.starts_with(
                "https://login.clearfacts.be/oauth2-server/authorize?response_type=code&client_id=id"
            ),
            "{url}"
        );
        assert!(url.contains("upload_document") && url.contains("offline_access"));
        assert_eq!(app.graphql_url(), "https://api.clearfacts.be/graphql");
        assert!(!format!("{app:?}").contains("secret"));
    }
}
