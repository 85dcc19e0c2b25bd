//! Clearfacts as a plug-in: its app-secret section (the OpenID Connect application), its
//! onboarding (sign-in at Clearfacts, a company per department, the start date — no
//! journals, accounts or VAT codes: the file is the document), and how a connection's inbox
//! is opened.

use super::app::{ClearfactsApp, DEFAULT_API_URL, DEFAULT_LOGIN_URL};
use super::graphql::{self, ADMINISTRATIONS};
use super::http::ClearfactsHttp;
use super::ledger::ClearfactsLedger;
use super::refusals::SYSTEM;
use crate::plugin::{LedgerApp, LedgerDeps, LedgerPlugin, LedgerSetupError};
use async_trait::async_trait;
use koppel_api::TokenSource;
use koppel_core::{
    Administration, Authorisation, Connection, ConnectionId, Deadline, ExternalError, Grant,
    Ledger, LedgerKind, Onboarding, SettingField, Wording,
};
use serde::Deserialize;
use std::sync::Arc;

/// The Clearfacts plug-in (registered in `lib.rs`).
pub struct ClearfactsPlugin;

/// The registered instance.
pub static PLUGIN: ClearfactsPlugin = ClearfactsPlugin;

/// The app secret's `clearfacts` section.
#[derive(Deserialize)]
struct Section {
    client_id: String,
    client_secret: String,
    #[serde(default = "default_login_url")]
    login_url: String,
    #[serde(default = "default_api_url")]
    api_url: String,
}

fn default_login_url() -> String {
    DEFAULT_LOGIN_URL.to_owned()
}

fn default_api_url() -> String {
    DEFAULT_API_URL.to_owned()
}

impl LedgerPlugin for ClearfactsPlugin {
    fn kind(&self) -> LedgerKind {
        LedgerKind::Clearfacts
    }

    fn app_secret_section(&self) -> &'static str {
        "clearfacts"
    }

    fn app_secret_example(&self) -> serde_json::Value {
        serde_json::json!({
            "client_id": "…",
            "client_secret": "…",
            "login_url": DEFAULT_LOGIN_URL,
            "api_url": DEFAULT_API_URL,
        })
    }

    fn configure(&self, section: &serde_json::Value) -> Result<Arc<dyn LedgerApp>, String> {
        let section = Section::deserialize(section).map_err(|e| e.to_string())?;
        Ok(Arc::new(ClearfactsConnections {
            app: ClearfactsApp::new(
                section.login_url,
                section.api_url,
                section.client_id,
                section.client_secret,
            ),
        }))
    }
}

/// Clearfacts configured with Koppel's application.
pub struct ClearfactsConnections {
    /// The registration.
    pub app: ClearfactsApp,
}

impl ClearfactsConnections {
    fn http(
        &self,
        secret_name: &str,
        connection: &ConnectionId,
        deps: &LedgerDeps,
        deadline: Deadline,
    ) -> ClearfactsHttp {
        let tokens = TokenSource::new(
            ClearfactsApp::token_config(secret_name, connection.clone()),
            self.app.oauth(deps.clock.clone()),
            deps.stores.clone(),
            deps.vault.clone(),
            deps.clock.clone(),
        );
        ClearfactsHttp::new(self.app.graphql_url(), tokens, deps.clock.clone(), deadline)
    }

    /// The company number of `connection` (its `ledger_company`: 10 digits).
    fn company(connection: &Connection) -> Result<String, LedgerSetupError> {
        if connection.ledger != LedgerKind::Clearfacts {
            return Err(LedgerSetupError::WrongLedger {
                connection: connection.id.to_string(),
                expected: SYSTEM,
                actual: connection.ledger.display_name(),
            });
        }
        let company: String = connection
            .ledger_company
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if company.len() != 10 {
            return Err(LedgerSetupError::InvalidCompany {
                connection: connection.id.to_string(),
                ledger: SYSTEM,
                company: connection.ledger_company.clone(),
            });
        }
        Ok(company)
    }

    /// The Clearfacts inbox of `connection`, typed (tests and the bench read its counters).
    pub fn clearfacts_ledger(
        &self,
        connection: &Connection,
        deps: &LedgerDeps,
        deadline: Deadline,
    ) -> Result<ClearfactsLedger, LedgerSetupError> {
        let company = Self::company(connection)?;
        let http = self.http(&connection.ledger_secret, &connection.id, deps, deadline);
        Ok(ClearfactsLedger::new(http, company))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdministrationRow {
    name: String,
    company_number: String,
}

#[derive(Deserialize)]
struct AdministrationList {
    #[serde(default)]
    administrations: Vec<AdministrationRow>,
}

#[async_trait]
impl LedgerApp for ClearfactsConnections {
    fn kind(&self) -> LedgerKind {
        LedgerKind::Clearfacts
    }

    fn onboarding(&self) -> Onboarding {
        Onboarding {
            authorisation: Authorisation::OAuthRedirect,
            administration: Wording {
                nl: "bedrijf",
                fr: "société",
                en: "company",
            },
            // The file is the document: no journals, accounts or VAT codes to choose, no
            // customers (company import and merge files do not apply), no payment journal.
            settings: vec![SettingField::StartDate, SettingField::AutomaticSync],
            customers: false,
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
            "signing in with a user name and password (use the Clearfacts sign-in)",
        )
        .await
    }

    /// The companies the signed-in user reaches (one query).
    async fn administrations(
        &self,
        secret_name: &str,
        connection: &ConnectionId,
        deps: &LedgerDeps,
    ) -> Result<Vec<Administration>, ExternalError> {
        let http = self.http(secret_name, connection, deps, Deadline::none());
        let answer: graphql::Response<AdministrationList> = http
            .query("administrations", ADMINISTRATIONS, serde_json::json!({}))
            .await?;
        Ok(answer
            .into_data("administrations")?
            .administrations
            .into_iter()
            .enumerate()
            .map(|(index, row)| Administration {
                id: row.company_number,
                name: row.name,
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
        Ok(Arc::new(
            self.clearfacts_ledger(connection, deps, deadline)?,
        ))
    }
}
