//! Teamleader's OAuth 2 endpoints: the authorize URL a person is sent to, and the token
//! endpoint (code exchange, refresh) through koppel-api's [`OAuthClient`].

use crate::SYSTEM;
use koppel_api::OAuthClient;
use koppel_core::Clock;
use std::sync::Arc;
use url::Url;

/// Production API base URL.
pub const DEFAULT_API_URL: &str = "https://api.focus.teamleader.eu";
/// Production base URL of the OAuth endpoints (`/oauth2/authorize`, `/oauth2/access_token`).
pub const DEFAULT_AUTH_URL: &str = "https://focus.teamleader.eu";
/// Environment variable overriding [`DEFAULT_API_URL`] (the simulator's URL locally).
pub const API_URL_ENV: &str = "KOPPEL_TEAMLEADER_API_URL";
/// Environment variable overriding [`DEFAULT_AUTH_URL`] (the simulator's URL locally).
pub const AUTH_URL_ENV: &str = "KOPPEL_TEAMLEADER_AUTH_URL";

/// Where Teamleader lives: the API and the OAuth endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamleaderUrls {
    /// API base, e.g. `https://api.focus.teamleader.eu`.
    pub api: String,
    /// OAuth base, e.g. `https://focus.teamleader.eu`.
    pub auth: String,
}

impl Default for TeamleaderUrls {
    fn default() -> Self {
        Self {
            api: DEFAULT_API_URL.to_owned(),
            auth: DEFAULT_AUTH_URL.to_owned(),
        }
    }
}

impl TeamleaderUrls {
    /// Both endpoints at one base URL (the simulator serves API and OAuth together).
    pub fn same(base_url: &str) -> Self {
        Self {
            api: base_url.to_owned(),
            auth: base_url.to_owned(),
        }
    }

    /// From [`API_URL_ENV`] and [`AUTH_URL_ENV`], defaulting to production.
    pub fn from_env() -> Self {
        let read = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Self {
            api: read(API_URL_ENV, DEFAULT_API_URL),
            auth: read(AUTH_URL_ENV, DEFAULT_AUTH_URL),
        }
    }

    /// The token endpoint, `<auth>/oauth2/access_token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/access_token", self.auth.trim_end_matches('/'))
    }

    /// The authorize endpoint, `<auth>/oauth2/authorize`.
    pub fn authorize_endpoint(&self) -> String {
        format!("{}/oauth2/authorize", self.auth.trim_end_matches('/'))
    }

    /// The URL a person opens to grant Koppel access: authorization-code flow with
    /// `client_id`, `redirect_uri` and `state` (which the redirect must bring back unchanged).
    pub fn authorize_url(
        &self,
        client_id: &str,
        redirect_uri: &str,
        state: &str,
    ) -> Result<Url, url::ParseError> {
        Url::parse_with_params(
            &self.authorize_endpoint(),
            &[
                ("client_id", client_id),
                ("response_type", "code"),
                ("redirect_uri", redirect_uri),
                ("state", state),
            ],
        )
    }

    /// A client of Teamleader's token endpoint for the app `client_id`/`client_secret`:
    /// `exchange_code(code, redirect_uri)` after the redirect, `refresh(refresh_token)` later.
    pub fn oauth_client(
        &self,
        client_id: &str,
        client_secret: &str,
        clock: Arc<dyn Clock>,
    ) -> OAuthClient {
        OAuthClient::new(SYSTEM, self.token_url(), client_id, client_secret, clock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_carries_every_parameter_encoded() {
        let urls = TeamleaderUrls::same("http://127.0.0.1:4000/");
        let url = urls
            .authorize_url("app id", "https://koppel.example/callback?x=1", "s&1")
            .unwrap();
        assert_eq!(url.path(), "/oauth2/authorize");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("client_id".into(), "app id".into()),
                ("response_type".into(), "code".into()),
                (
                    "redirect_uri".into(),
                    "https://koppel.example/callback?x=1".into()
                ),
                ("state".into(), "s&1".into()),
            ]
        );
        assert_eq!(
            urls.token_url(),
            "http://127.0.0.1:4000/oauth2/access_token"
        );
    }

    #[test]
    fn production_defaults() {
        let urls = TeamleaderUrls::default();
        assert_eq!(
            urls.token_url(),
            "https://focus.teamleader.eu/oauth2/access_token"
        );
        assert!(
            urls.authorize_url("c", "https://r", "s")
                .unwrap()
                .as_str()
                .starts_with("https://focus.teamleader.eu/oauth2/authorize?")
        );
    }
}
