//! The sections of Koppel's app secret that make it talk to these simulators, in one place:
//! the simulator binary's ready line (`infra/dev up` writes them into the app secret it
//! creates in moto), the end-to-end stack and the benches all build them here.

use crate::{clearfacts, exact, octopus, teamleader, twinfield};
use serde_json::{Map, Value, json};

/// Where Koppel reaches each ledger simulator; a ledger left `None` gets no section (a bench
/// that only talks to Exact needs no Octopus URL).
#[derive(Debug, Clone, Default)]
pub struct SimulatorUrls {
    /// Exact Online's base URL (the simulator's, or a relay in front of it).
    pub exact: Option<String>,
    /// Octopus's API URL.
    pub octopus: Option<String>,
    /// Twinfield's login URL.
    pub twinfield: Option<String>,
    /// Clearfacts' login and API URL.
    pub clearfacts: Option<String>,
}

/// The app secret's JSON for the simulators at `urls`: Teamleader's section always, with the
/// simulators' client credentials, and one section per ledger given a URL.
pub fn app_secret(urls: &SimulatorUrls) -> Value {
    let mut sections = Map::new();
    sections.insert(
        "teamleader".to_owned(),
        json!({
            "client_id": teamleader::DEFAULT_CLIENT_ID,
            "client_secret": teamleader::DEFAULT_CLIENT_SECRET,
        }),
    );
    if let Some(url) = &urls.exact {
        sections.insert(
            "exact".to_owned(),
            json!({
                "client_id": exact::DEFAULT_CLIENT_ID,
                "client_secret": exact::DEFAULT_CLIENT_SECRET,
                "base_url": url,
            }),
        );
    }
    if let Some(url) = &urls.octopus {
        sections.insert(
            "octopus".to_owned(),
            json!({
                "software_house_uuid": octopus::DEFAULT_SOFTWARE_HOUSE_UUID,
                "base_url": url,
            }),
        );
    }
    if let Some(url) = &urls.twinfield {
        sections.insert(
            "twinfield".to_owned(),
            json!({
                "client_id": twinfield::DEFAULT_CLIENT_ID,
                "client_secret": twinfield::DEFAULT_CLIENT_SECRET,
                "login_url": url,
            }),
        );
    }
    if let Some(url) = &urls.clearfacts {
        sections.insert(
            "clearfacts".to_owned(),
            json!({
                "client_id": clearfacts::DEFAULT_CLIENT_ID,
                "client_secret": clearfacts::DEFAULT_CLIENT_SECRET,
                "login_url": url,
                "api_url": url,
            }),
        );
    }
    Value::Object(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_ledgers_given_a_url_get_a_section() {
        let secret = app_secret(&SimulatorUrls {
            exact: Some("http://127.0.0.1:1".to_owned()),
            ..SimulatorUrls::default()
        });
        let sections: Vec<&String> = secret.as_object().map(|o| o.keys().collect()).unwrap();
        assert_eq!(sections, ["exact", "teamleader"]);
        assert_eq!(secret["exact"]["base_url"], "http://127.0.0.1:1");
        assert_eq!(
            secret["teamleader"]["client_id"],
            teamleader::DEFAULT_CLIENT_ID
        );
    }

    #[test]
    fn clearfacts_logs_in_and_calls_the_api_at_its_one_url() {
        let secret = app_secret(&SimulatorUrls {
            clearfacts: Some("http://127.0.0.1:2".to_owned()),
            ..SimulatorUrls::default()
        });
        assert_eq!(secret["clearfacts"]["login_url"], "http://127.0.0.1:2");
        assert_eq!(secret["clearfacts"]["api_url"], "http://127.0.0.1:2");
    }
}
