//! Connecting to Exact Online: the region's host, the app's OAuth endpoints, and the
//! division (administration) choice shown on the reactivation page.

use super::http::{HttpTuning, api_client, on_base};
use super::odata::Feed;
use super::policy;
use super::refusals::SYSTEM;
use super::wire;
use koppel_api::{ApiClient, OAuthClient, TokenSource, TokenSourceConfig};
use koppel_core::{Clock, ConnectionId, Deadline, ExternalError};
use reqwest::header::ACCEPT;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The Exact Online country sites; each is a separate host with its own accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExactRegion {
    /// start.exactonline.be
    Belgium,
    /// start.exactonline.nl
    Netherlands,
    /// start.exactonline.de
    Germany,
    /// start.exactonline.fr
    France,
    /// start.exactonline.es
    Spain,
    /// start.exactonline.co.uk
    UnitedKingdom,
    /// start.exactonline.com (United States)
    UnitedStates,
}

impl ExactRegion {
    /// The site's base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Self::Belgium => "https://start.exactonline.be",
            Self::Netherlands => "https://start.exactonline.nl",
            Self::Germany => "https://start.exactonline.de",
            Self::France => "https://start.exactonline.fr",
            Self::Spain => "https://start.exactonline.es",
            Self::UnitedKingdom => "https://start.exactonline.co.uk",
            Self::UnitedStates => "https://start.exactonline.com",
        }
    }
}

/// A region code that is not one of Exact's sites.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an Exact Online region; use be, nl, de, fr, es, uk or us")]
pub struct UnknownRegion(pub String);

impl FromStr for ExactRegion {
    type Err = UnknownRegion;
    /// "be", "nl", "de", "fr", "es", "uk" (or "gb"), "us", case-insensitive.
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Ok(match code.trim().to_ascii_lowercase().as_str() {
            "be" => Self::Belgium,
            "nl" => Self::Netherlands,
            "de" => Self::Germany,
            "fr" => Self::France,
            "es" => Self::Spain,
            "uk" | "gb" => Self::UnitedKingdom,
            "us" => Self::UnitedStates,
            _ => return Err(UnknownRegion(code.to_owned())),
        })
    }
}

/// Koppel's app registration at one Exact site (or at the simulator).
#[derive(Clone)]
pub struct ExactApp {
    /// Base URL: [`ExactRegion::base_url`] or the simulator's.
    pub base_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (never logged; `Debug` hides it).
    pub client_secret: String,
}

impl fmt::Debug for ExactApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExactApp")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ExactApp {
    /// The app at `base_url` (trailing slash ignored).
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// `{base}/api/oauth2/token`.
    pub fn token_url(&self) -> String {
        format!("{}/api/oauth2/token", self.base_url)
    }

    /// Where to send the person to consent: `{base}/api/oauth2/auth?client_id=…&redirect_uri=…
    /// &response_type=code&state=…&force_login=0`. The code that comes back is valid for
    /// 3 minutes and once.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let mut url = format!("{}/api/oauth2/auth?", self.base_url);
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("state", state)
            .append_pair("force_login", "0")
            .finish();
        url.push_str(&query);
        url
    }

    /// The token endpoint client (code exchange with [`OAuthClient::exchange_code`], refresh),
    /// knowing Exact's "too early to refresh".
    pub fn oauth(&self, clock: Arc<dyn Clock>) -> OAuthClient {
        OAuthClient::new(
            SYSTEM,
            self.token_url(),
            &self.client_id,
            &self.client_secret,
            clock,
        )
        .with_too_early_rule(policy::too_early)
    }

    /// Token settings for a connection whose tokens live in `secret_name`: 10-minute access
    /// tokens, never refreshed before 9.5 minutes of age, single-use refresh tokens.
    pub fn token_config(
        secret_name: impl Into<String>,
        connection: ConnectionId,
    ) -> TokenSourceConfig {
        TokenSourceConfig::new(secret_name, connection, policy::TOKEN_TIMINGS)
    }

    /// A client outside any division (for [`divisions`]).
    pub fn api(&self, tokens: TokenSource, clock: Arc<dyn Clock>) -> ApiClient {
        api_client(
            &self.base_url,
            tokens,
            clock,
            HttpTuning::default(),
            Deadline::none(),
        )
    }
}

/// An Exact administration the signed-in user can choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactDivision {
    /// Division number (what `Connection::ledger_company` holds).
    pub code: i64,
    /// Name.
    pub name: String,
    /// True for the user's current division in Exact (a sensible default choice).
    pub current: bool,
}

/// The user's current division (`current/Me`).
pub async fn current_division(api: &ApiClient) -> Result<i64, ExternalError> {
    const ENDPOINT: &str = "current/Me";
    let url = api.url("api/v1/current/Me");
    let response = api
        .send(ENDPOINT, |http| {
            http.get(&url)
                .header(ACCEPT, "application/json")
                .query(&[("$select", wire::ME_SELECT)])
        })
        .await?;
    let (me, _) = response.json::<Feed<wire::Me>>()?.into_page();
    me.first()
        .map(|me| me.current_division)
        .ok_or_else(|| response.malformed("d.results: no user in the answer"))
}

/// The divisions the user can reach (`system/Divisions`, asked within the current
/// division), the current one flagged, for the reactivation page's choice.
pub async fn divisions(api: &ApiClient) -> Result<Vec<ExactDivision>, ExternalError> {
    const ENDPOINT: &str = "system/Divisions";
    let current = current_division(api).await?;
    let url = api.url(&format!("api/v1/{current}/system/Divisions"));
    let mut found = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let response = match &next {
            None => {
                api.send(ENDPOINT, |http| {
                    http.get(&url)
                        .header(ACCEPT, "application/json")
                        .query(&[("$select", wire::DIVISION_SELECT)])
                })
                .await?
            }
            Some(link) => {
                let Some(url) = on_base(api.base_url(), link) else {
                    return Err(ExternalError::Malformed {
                        system: SYSTEM,
                        endpoint: ENDPOINT.into(),
                        detail: "__next: the next-page link is not an Exact Online API link".into(),
                    });
                };
                api.send(ENDPOINT, |http| {
                    http.get(&url).header(ACCEPT, "application/json")
                })
                .await?
            }
        };
        let (page, following) = response.json::<Feed<wire::Division>>()?.into_page();
        found.extend(page.into_iter().map(|division| {
            ExactDivision {
                code: division.code,
                name: division
                    .description
                    .unwrap_or_else(|| division.code.to_string()),
                current: division.code == current,
            }
        }));
        match following {
            Some(link) => next = Some(link),
            None => break,
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_codes() {
        assert_eq!(
            "BE".parse::<ExactRegion>().unwrap().base_url(),
            "https://start.exactonline.be"
        );
        assert_eq!(
            "nl".parse::<ExactRegion>().unwrap(),
            ExactRegion::Netherlands
        );
        assert_eq!(
            "gb".parse::<ExactRegion>().unwrap(),
            ExactRegion::UnitedKingdom
        );
        assert!("xx".parse::<ExactRegion>().is_err());
    }

    #[test]
    fn authorize_url_is_encoded() {
        let app = ExactApp::new("https://start.exactonline.be/", "id-1", "secret");
        let url = app.authorize_url("https://koppel.example/exact/callback?x=1", "st ate");
        assert_eq!(
            url,
            "https://start.exactonline.be/api/oauth2/auth?client_id=id-1&redirect_uri=https%3A%2F%2Fkoppel.example%2Fexact%2Fcallback%3Fx%3D1&response_type=code&state=st+ate&force_login=0"
        );
        assert_eq!(
            app.token_url(),
            "https://start.exactonline.be/api/oauth2/token"
        );
        assert!(!format!("{app:?}").contains("secret"));
    }

    #[test]
    fn token_config_obeys_exact_rules() {
        let config = ExactApp::token_config("koppel/c1/exact", ConnectionId::new("c1"));
        assert_eq!(config.min_token_age, std::time::Duration::from_secs(570));
        assert_eq!(config.token_lifetime, std::time::Duration::from_secs(600));
        assert_eq!(config.secret_name, "koppel/c1/exact");
    }
}
