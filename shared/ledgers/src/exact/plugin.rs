//! Exact Online as a plug-in: its app-secret section, its onboarding (OAuth redirect, a
//! division to choose, two sales journals, exclusive VAT codes, revenue accounts), and how a
//! connection's ledger is opened.

use super::app::{ExactApp, divisions};
use super::ledger::{ExactLedger, ExactOptions};
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

/// The Exact Online plug-in (registered in `lib.rs`).
pub struct ExactPlugin;

/// The registered instance.
pub static PLUGIN: ExactPlugin = ExactPlugin;

/// The app secret's `exact` section.
#[derive(Deserialize)]
struct Section {
    client_id: String,
    client_secret: String,
    /// The Exact site (start.exactonline.be, .nl …); Belgium by default.
    #[serde(default = "default_base_url")]
    base_url: String,
}

fn default_base_url() -> String {
    super::ExactRegion::Belgium.base_url().to_owned()
}

impl LedgerPlugin for ExactPlugin {
    fn kind(&self) -> LedgerKind {
        LedgerKind::ExactOnline
    }

    fn app_secret_section(&self) -> &'static str {
        "exact"
    }

    fn app_secret_example(&self) -> serde_json::Value {
        serde_json::json!({
            "client_id": "…",
            "client_secret": "…",
            "base_url": default_base_url(),
        })
    }

    fn configure(&self, section: &serde_json::Value) -> Result<Arc<dyn LedgerApp>, String> {
        let section = Section::deserialize(section).map_err(|e| e.to_string())?;
        Ok(Arc::new(ExactConnections {
            app: ExactApp::new(section.base_url, section.client_id, section.client_secret),
        }))
    }
}

/// Exact Online configured with Koppel's app registration.
pub struct ExactConnections {
    /// The app registration.
    pub app: ExactApp,
}

impl ExactConnections {
    fn tokens(
        &self,
        secret_name: &str,
        connection: &ConnectionId,
        deps: &LedgerDeps,
    ) -> TokenSource {
        TokenSource::new(
            ExactApp::token_config(secret_name, connection.clone()),
            self.app.oauth(deps.clock.clone()),
            deps.stores.clone(),
            deps.vault.clone(),
            deps.clock.clone(),
        )
    }

    /// The division of `connection` (its `ledger_company`, a number).
    fn division(connection: &Connection) -> Result<i64, LedgerSetupError> {
        if connection.ledger != LedgerKind::ExactOnline {
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

    /// The Exact ledger of `connection`, typed (tests and the benchmark read its counters).
    pub fn exact_ledger(
        &self,
        connection: &Connection,
        deps: &LedgerDeps,
        options: ExactOptions,
        deadline: Deadline,
    ) -> Result<ExactLedger, LedgerSetupError> {
        let division = Self::division(connection)?;
        Ok(ExactLedger::new(
            &self.app.base_url,
            division,
            self.tokens(&connection.ledger_secret, &connection.id, deps),
            deps.clock.clone(),
            options,
            deadline,
        ))
    }
}

#[async_trait]
impl LedgerApp for ExactConnections {
    fn kind(&self) -> LedgerKind {
        LedgerKind::ExactOnline
    }

    fn onboarding(&self) -> Onboarding {
        Onboarding {
            authorisation: Authorisation::OAuthRedirect,
            administration: Wording {
                nl: "administratie",
                fr: "administration",
                en: "division",
            },
            settings: vec![
                SettingField::InvoiceJournal,
                SettingField::CreditNoteJournal,
                SettingField::VatCodes,
                SettingField::GlAccountByTaxRate,
                SettingField::DefaultGlAccount,
                SettingField::DiscountGlAccount,
                SettingField::StartDate,
                SettingField::AttachPdf,
                SettingField::AutomaticSync,
                SettingField::PaymentJournal,
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
            "signing in with a user name and password (use the Exact Online sign-in)",
        )
        .await
    }

    async fn administrations(
        &self,
        secret_name: &str,
        connection: &ConnectionId,
        deps: &LedgerDeps,
    ) -> Result<Vec<Administration>, ExternalError> {
        let api = self.app.api(
            self.tokens(secret_name, connection, deps),
            deps.clock.clone(),
        );
        Ok(divisions(&api)
            .await?
            .into_iter()
            .map(|d| Administration {
                id: d.code.to_string(),
                name: d.name,
                current: d.current,
            })
            .collect())
    }

    fn open(
        &self,
        connection: &Connection,
        deps: &LedgerDeps,
        deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError> {
        let ledger = self.exact_ledger(connection, deps, ExactOptions::default(), deadline)?;
        Ok(Arc::new(ledger))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_read_with_the_belgian_site_by_default() {
        let app = PLUGIN
            .configure(&serde_json::json!({"client_id": "id", "client_secret": "s"}))
            .unwrap();
        assert_eq!(app.kind(), LedgerKind::ExactOnline);
        let url = app.authorize_url("https://k.example/cb", "st").unwrap();
        assert!(
            url.starts_with("https://start.exactonline.be/api/oauth2/auth?client_id=id"),
            "{url}"
        );
        let error = PLUGIN
            .configure(&serde_json::json!({"client_id": "id"}))
            .err()
            .unwrap();
        assert!(error.contains("client_secret"), "{error}");
        assert!(!PLUGIN.app_secret_example().to_string().contains("\"s\""));
    }

    #[test]
    fn onboarding_asks_for_two_journals_and_a_division() {
        let app = PLUGIN
            .configure(&serde_json::json!({"client_id": "id", "client_secret": "s"}))
            .unwrap();
        let onboarding = app.onboarding();
        assert_eq!(onboarding.authorisation, Authorisation::OAuthRedirect);
        assert_eq!(onboarding.administration.en, "division");
        assert!(
            onboarding
                .settings
                .contains(&SettingField::CreditNoteJournal)
        );
    }
}
