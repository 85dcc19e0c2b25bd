//! Twinfield as a plug-in: its app-secret section (the OpenID Connect client), its
//! onboarding (sign-in at Twinfield, an office to choose, the sales transaction type, VAT
//! codes, revenue accounts), and how a connection's ledger is opened.

use super::app::{DEFAULT_LOGIN_URL, TwinfieldApp};
use super::http::{HttpTuning, TwinfieldHttp, plain_client};
use super::ledger::{TwinfieldLedger, TwinfieldOptions};
use super::refusals::SYSTEM;
use super::session::TwinfieldSession;
use crate::plugin::{LedgerApp, LedgerDeps, LedgerPlugin, LedgerSetupError};
use async_trait::async_trait;
use koppel_api::TokenSource;
use koppel_core::{
    Administration, Authorisation, Connection, ConnectionId, Deadline, ExternalError, Grant,
    Ledger, LedgerKind, Onboarding, SettingField, Wording,
};
use serde::Deserialize;
use std::sync::Arc;

/// The Twinfield plug-in (registered in `lib.rs`).
pub struct TwinfieldPlugin;

/// The registered instance.
pub static PLUGIN: TwinfieldPlugin = TwinfieldPlugin;

/// The office Koppel asks the office list with (Twinfield wants one in every header; the
/// finder `OFF` lists every office of the organisation whatever it names).
pub const ANY_OFFICE: &str = "*";

/// The app secret's `twinfield` section.
#[derive(Deserialize)]
struct Section {
    client_id: String,
    client_secret: String,
    #[serde(default = "default_login_url")]
    login_url: String,
}

fn default_login_url() -> String {
    DEFAULT_LOGIN_URL.to_owned()
}

impl LedgerPlugin for TwinfieldPlugin {
    fn kind(&self) -> LedgerKind {
        LedgerKind::Twinfield
    }

    fn app_secret_section(&self) -> &'static str {
        "twinfield"
    }

    fn app_secret_example(&self) -> serde_json::Value {
        serde_json::json!({
            "client_id": "…",
            "client_secret": "…",
            "login_url": DEFAULT_LOGIN_URL,
        })
    }

    fn configure(&self, section: &serde_json::Value) -> Result<Arc<dyn LedgerApp>, String> {
        let section = Section::deserialize(section).map_err(|e| e.to_string())?;
        Ok(Arc::new(TwinfieldConnections {
            app: TwinfieldApp::new(section.login_url, section.client_id, section.client_secret),
            tuning: HttpTuning::default(),
        }))
    }
}

/// Twinfield configured with Koppel's client registration.
pub struct TwinfieldConnections {
    /// The registration.
    pub app: TwinfieldApp,
    /// Rate gate, retries and credits.
    pub tuning: HttpTuning,
}

impl TwinfieldConnections {
    fn http(
        &self,
        secret_name: &str,
        connection: &ConnectionId,
        office: String,
        deps: &LedgerDeps,
        deadline: Deadline,
    ) -> TwinfieldHttp {
        let tokens = TokenSource::new(
            TwinfieldApp::token_config(secret_name, connection.clone()),
            self.app.oauth(deps.clock.clone()),
            deps.stores.clone(),
            deps.vault.clone(),
            deps.clock.clone(),
        );
        let plain = plain_client(deps.clock.clone(), self.tuning, deadline);
        let session = Arc::new(TwinfieldSession::new(
            tokens,
            plain.clone(),
            self.app.validation_url(),
        ));
        TwinfieldHttp::new(
            &plain,
            session,
            office,
            deps.clock.clone(),
            self.tuning,
            deadline,
        )
    }

    /// The office of `connection` (its `ledger_company`).
    fn office(connection: &Connection) -> Result<String, LedgerSetupError> {
        if connection.ledger != LedgerKind::Twinfield {
            return Err(LedgerSetupError::WrongLedger {
                connection: connection.id.to_string(),
                expected: SYSTEM,
                actual: connection.ledger.display_name(),
            });
        }
        let office = connection.ledger_company.trim();
        if office.is_empty() || office == ANY_OFFICE {
            return Err(LedgerSetupError::InvalidCompany {
                connection: connection.id.to_string(),
                ledger: SYSTEM,
                company: connection.ledger_company.clone(),
            });
        }
        Ok(office.to_owned())
    }

    /// The Twinfield ledger of `connection`, typed (tests read its counters).
    pub fn twinfield_ledger(
        &self,
        connection: &Connection,
        deps: &LedgerDeps,
        options: TwinfieldOptions,
        deadline: Deadline,
    ) -> Result<TwinfieldLedger, LedgerSetupError> {
        let office = Self::office(connection)?;
        let http = self.http(
            &connection.ledger_secret,
            &connection.id,
            office,
            deps,
            deadline,
        );
        Ok(TwinfieldLedger::new(http, deps.clock.clone(), options))
    }
}

#[async_trait]
impl LedgerApp for TwinfieldConnections {
    fn kind(&self) -> LedgerKind {
        LedgerKind::Twinfield
    }

    fn onboarding(&self) -> Onboarding {
        Onboarding {
            authorisation: Authorisation::OAuthRedirect,
            administration: Wording {
                nl: "administratie",
                fr: "administration",
                en: "office",
            },
            // No PDF (a transaction takes none), no discount account (lines must stay
            // positive), no payment journal (matching is not documented).
            settings: vec![
                SettingField::InvoiceJournal,
                SettingField::CreditNoteJournal,
                SettingField::VatCodes,
                SettingField::GlAccountByTaxRate,
                SettingField::DefaultGlAccount,
                SettingField::StartDate,
                SettingField::AutomaticSync,
            ],
            customers: true,
        }
    }

    fn authorize_url(&self, redirect_uri: &str, state: &str) -> Option<String> {
        Some(self.app.authorize_url(redirect_uri, state))
    }

    async fn authorise(
        &self,
        grant: &Grant,
        deps: &LedgerDeps,
    ) -> Result<serde_json::Value, ExternalError> {
        crate::plugin::exchange_oauth_code(
            SYSTEM,
            self.app.oauth(deps.clock.clone()),
            grant,
            "signing in with a user name and password (use the Twinfield sign-in)",
        )
        .await
    }

    /// The offices of the organisation (finder `OFF`).
    async fn administrations(
        &self,
        secret_name: &str,
        connection: &ConnectionId,
        deps: &LedgerDeps,
    ) -> Result<Vec<Administration>, ExternalError> {
        let http = self.http(
            secret_name,
            connection,
            ANY_OFFICE.to_owned(),
            deps,
            Deadline::none(),
        );
        Ok(http
            .search("OFF", &[])
            .await?
            .into_iter()
            .enumerate()
            .filter_map(|(index, row)| {
                let id = row.first()?.trim().to_owned();
                Some(Administration {
                    name: row.get(1).cloned().unwrap_or_else(|| id.clone()),
                    id,
                    current: index == 0,
                })
            })
            .collect())
    }

    fn open(
        &self,
        connection: &Connection,
        deps: &LedgerDeps,
        deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError> {
        let ledger =
            self.twinfield_ledger(connection, deps, TwinfieldOptions::default(), deadline)?;
        Ok(Arc::new(ledger))
    }
}
