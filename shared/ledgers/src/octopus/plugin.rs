//! Octopus as a plug-in: its app-secret section (the software house's UUID), its onboarding
//! (user name and password, a dossier to choose, two "Verkoop Boekingen" journals, VAT
//! codes, revenue accounts), and how a connection's ledger is opened.

use super::http::{HttpTuning, OctopusHttp, plain_client};
use super::ledger::OctopusLedger;
use super::refusals::SYSTEM;
use super::session::{CredentialSource, OctopusCredentials, OctopusSession};
use crate::plugin::{LedgerApp, LedgerDeps, LedgerPlugin, LedgerSetupError};
use async_trait::async_trait;
use koppel_core::{
    Administration, Authorisation, Clock, Connection, ConnectionId, CredentialField, Deadline,
    ExternalError, Grant, Ledger, LedgerKind, Onboarding, SettingField, Wording,
};
use serde::Deserialize;
use std::sync::Arc;

/// The Octopus plug-in (registered in `lib.rs`).
pub struct OctopusPlugin;

/// The registered instance.
pub static PLUGIN: OctopusPlugin = OctopusPlugin;

/// The production webservice.
pub const DEFAULT_BASE_URL: &str = "https://service.inaras.be/octopus-rest-api/v1";

/// The app secret's `octopus` section.
#[derive(Deserialize)]
struct Section {
    /// The software-house id Octopus gives an integrator (by mail to webservice@octopus.be).
    software_house_uuid: String,
    #[serde(default = "default_base_url")]
    base_url: String,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

impl LedgerPlugin for OctopusPlugin {
    fn kind(&self) -> LedgerKind {
        LedgerKind::Octopus
    }

    fn app_secret_section(&self) -> &'static str {
        "octopus"
    }

    fn app_secret_example(&self) -> serde_json::Value {
        serde_json::json!({
            "software_house_uuid": "…",
            "base_url": DEFAULT_BASE_URL,
        })
    }

    fn configure(&self, section: &serde_json::Value) -> Result<Arc<dyn LedgerApp>, String> {
        let section = Section::deserialize(section).map_err(|e| e.to_string())?;
        if section.software_house_uuid.trim().is_empty() {
            return Err("software_house_uuid is empty".to_owned());
        }
        Ok(Arc::new(OctopusConnections {
            base_url: section.base_url,
            software_house: section.software_house_uuid,
            tuning: HttpTuning::default(),
        }))
    }
}

/// Octopus configured with Koppel's software-house id.
pub struct OctopusConnections {
    /// The webservice (or the simulator's) URL, ending in `/v1`.
    pub base_url: String,
    software_house: String,
    /// Rate gate and retry tuning.
    pub tuning: HttpTuning,
}

impl OctopusConnections {
    fn session(
        &self,
        credentials: CredentialSource,
        dossier: i64,
        clock: Arc<dyn Clock>,
        deadline: Deadline,
    ) -> (OctopusSession, koppel_api::ApiClient) {
        let plain = plain_client(&self.base_url, clock.clone(), self.tuning, deadline);
        let session = OctopusSession::new(
            plain.clone(),
            self.software_house.clone(),
            dossier,
            credentials,
            clock,
        );
        (session, plain)
    }

    /// The dossier of `connection` (its `ledger_company`, a number).
    fn dossier(connection: &Connection) -> Result<i64, LedgerSetupError> {
        if connection.ledger != LedgerKind::Octopus {
            return Err(LedgerSetupError::WrongLedger {
                connection: connection.id.to_string(),
                expected: SYSTEM,
                actual: connection.ledger.display_name(),
            });
        }
        connection
            .ledger_company
            .trim()
            .parse()
            .map_err(|_| LedgerSetupError::InvalidCompany {
                connection: connection.id.to_string(),
                ledger: SYSTEM,
                company: connection.ledger_company.clone(),
            })
    }

    /// The Octopus ledger of `connection`, typed (tests and the benchmark read its counters).
    pub fn octopus_ledger(
        &self,
        connection: &Connection,
        deps: &LedgerDeps,
        deadline: Deadline,
    ) -> Result<OctopusLedger, LedgerSetupError> {
        let dossier = Self::dossier(connection)?;
        let credentials = CredentialSource::Vault {
            vault: deps.vault.clone(),
            secret_name: connection.ledger_secret.clone(),
        };
        let (session, plain) = self.session(credentials, dossier, deps.clock.clone(), deadline);
        let http = OctopusHttp::new(&plain, session, dossier, deps.clock.clone(), self.tuning);
        Ok(OctopusLedger::new(http, deps.clock.clone()))
    }
}

fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

#[async_trait]
impl LedgerApp for OctopusConnections {
    fn kind(&self) -> LedgerKind {
        LedgerKind::Octopus
    }

    fn onboarding(&self) -> Onboarding {
        Onboarding {
            authorisation: Authorisation::Credentials(vec![
                CredentialField {
                    name: "user",
                    label: Wording {
                        nl: "Octopus-gebruikersnaam",
                        fr: "Nom d'utilisateur Octopus",
                        en: "Octopus user name",
                    },
                    secret: false,
                },
                CredentialField {
                    name: "password",
                    label: Wording {
                        nl: "Wachtwoord",
                        fr: "Mot de passe",
                        en: "Password",
                    },
                    secret: true,
                },
            ]),
            administration: Wording {
                nl: "dossier",
                fr: "dossier",
                en: "dossier",
            },
            // No discount account: Octopus takes only positive booking lines, so discounts stay
            // on the line they lower.
            settings: vec![
                SettingField::InvoiceJournal,
                SettingField::CreditNoteJournal,
                SettingField::VatCodes,
                SettingField::GlAccountByTaxRate,
                SettingField::DefaultGlAccount,
                SettingField::StartDate,
                SettingField::AttachPdf,
                SettingField::AutomaticSync,
            ],
            customers: true,
        }
    }

    fn authorize_url(&self, _redirect_uri: &str, _state: &str) -> Option<String> {
        None
    }

    /// Signs in once with what the person typed (so a wrong password is said at once) and
    /// keeps the user name and password as the connection's credential.
    async fn authorise(
        &self,
        grant: &Grant,
        deps: &LedgerDeps,
    ) -> Result<serde_json::Value, ExternalError> {
        let Grant::Credentials(fields) = grant else {
            return Err(ExternalError::Unsupported {
                system: SYSTEM,
                what: "signing in through a redirect (enter the Octopus user name and password)",
            });
        };
        let (Some(user), Some(password)) = (field(fields, "user"), field(fields, "password"))
        else {
            return Err(ExternalError::Rejected {
                system: SYSTEM,
                status: 0,
                message: "enter the Octopus user name and password".to_owned(),
            });
        };
        let credentials = OctopusCredentials { user, password };
        let (session, _) = self.session(
            CredentialSource::Given(credentials.clone()),
            0,
            deps.clock.clone(),
            Deadline::none(),
        );
        session.user_token().await?;
        serde_json::to_value(&credentials).map_err(|e| ExternalError::Malformed {
            system: SYSTEM,
            endpoint: "credentials".into(),
            detail: e.to_string(),
        })
    }

    async fn administrations(
        &self,
        secret_name: &str,
        _connection: &ConnectionId,
        deps: &LedgerDeps,
    ) -> Result<Vec<Administration>, ExternalError> {
        let credentials = CredentialSource::Vault {
            vault: deps.vault.clone(),
            secret_name: secret_name.to_owned(),
        };
        let (session, _) = self.session(credentials, 0, deps.clock.clone(), Deadline::none());
        Ok(session
            .dossiers()
            .await?
            .into_iter()
            .enumerate()
            .map(|(index, dossier)| Administration {
                id: dossier.dossier_key.id.to_string(),
                name: dossier.dossier_description.trim().to_owned(),
                current: index == 0,
            })
            .collect())
    }

    fn open(
        &self,
        connection: &Connection,
        deps: &LedgerDeps,
        deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError> {
        Ok(Arc::new(self.octopus_ledger(connection, deps, deadline)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_needs_the_software_house_id_and_defaults_to_the_webservice() {
        let app = PLUGIN
            .configure(&serde_json::json!({"software_house_uuid": "6c2b"}))
            .unwrap();
        assert_eq!(app.kind(), LedgerKind::Octopus);
        assert_eq!(app.authorize_url("https://k.example/cb", "st"), None);
        let error = PLUGIN.configure(&serde_json::json!({})).err().unwrap();
        assert!(error.contains("software_house_uuid"), "{error}");
        let error = PLUGIN
            .configure(&serde_json::json!({"software_house_uuid": " "}))
            .err()
            .unwrap();
        assert!(error.contains("empty"), "{error}");
    }

    #[test]
    fn onboarding_asks_a_user_name_and_password_a_dossier_and_two_journals() {
        let app = PLUGIN
            .configure(&serde_json::json!({"software_house_uuid": "6c2b"}))
            .unwrap();
        let onboarding = app.onboarding();
        let Authorisation::Credentials(fields) = &onboarding.authorisation else {
            panic!("{:?}", onboarding.authorisation);
        };
        assert_eq!(
            fields
                .iter()
                .map(|f| (f.name, f.secret))
                .collect::<Vec<_>>(),
            [("user", false), ("password", true)]
        );
        assert_eq!(onboarding.administration.en, "dossier");
        assert!(
            onboarding
                .settings
                .contains(&SettingField::CreditNoteJournal)
        );
        assert!(
            !onboarding
                .settings
                .contains(&SettingField::DiscountGlAccount)
        );
    }
}
