//! The production connector: a connection's Teamleader client and its ledger (through the
//! ledger plug-ins), with tokens read from (and rotated into) the vault under the store's
//! refresh lease, bound to the invocation's deadline.

use crate::app_secret::AppSecret;
use async_trait::async_trait;
use koppel_api::{TokenSource, TokenStores};
use koppel_core::{
    Clock, Connection, Connector, Deadline, EinvoiceFiles, ExternalError, Ledger, Source, Store,
    TeamleaderWebhooks, Vault,
};
use koppel_ledgers::LedgerDeps;
use koppel_teamleader::TeamleaderClient;
use koppel_teamleader::oauth::TeamleaderUrls;
use std::sync::Arc;

/// Opens connections with live clients.
#[derive(Clone)]
pub struct LiveConnector {
    app: AppSecret,
    teamleader: TeamleaderUrls,
    deps: LedgerDeps,
    einvoice: Option<Arc<dyn EinvoiceFiles>>,
}

impl LiveConnector {
    /// A connector using the app credentials `app`, the Teamleader URLs (production or the
    /// simulator) and the shared ports.
    pub fn new(
        app: AppSecret,
        teamleader: TeamleaderUrls,
        store: Arc<dyn Store>,
        vault: Arc<dyn Vault>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            app,
            teamleader,
            deps: LedgerDeps {
                stores: TokenStores::from_store(store),
                vault,
                clock,
            },
            einvoice: None,
        }
    }

    /// With Peppol BIS 3 files (built and checked against the official rules) for the
    /// ledgers that take the document file; without, they get the PDF.
    pub fn with_einvoice(mut self, einvoice: Arc<dyn EinvoiceFiles>) -> Self {
        self.einvoice = Some(einvoice);
        self
    }

    /// The OAuth client of the Teamleader integration.
    pub fn teamleader_oauth(&self) -> koppel_api::OAuthClient {
        self.teamleader.oauth_client(
            &self.app.teamleader.client_id,
            &self.app.teamleader.client_secret,
            self.deps.clock.clone(),
        )
    }

    /// The app secret it was made with (the ledgers offered, their onboarding).
    pub fn app(&self) -> &AppSecret {
        &self.app
    }

    /// The ports handed to the ledger plug-ins.
    pub fn deps(&self) -> &LedgerDeps {
        &self.deps
    }

    /// The Teamleader client of `connection` (tokens from its secret, rotated under the
    /// refresh lease), bound to `deadline`.
    pub fn teamleader_client(
        &self,
        connection: &Connection,
        deadline: Deadline,
    ) -> TeamleaderClient {
        let tokens = TokenSource::new(
            koppel_teamleader::policy::token_config(
                connection.teamleader_secret.clone(),
                connection.id.clone(),
            ),
            self.teamleader_oauth(),
            self.deps.stores.clone(),
            self.deps.vault.clone(),
            self.deps.clock.clone(),
        );
        TeamleaderClient::connect(
            &self.teamleader.api,
            tokens,
            self.deps.clock.clone(),
            deadline,
        )
    }

    /// The webhooks of `connection`'s Teamleader account (near-real-time export): only what
    /// onboarding needs of Teamleader.
    pub fn teamleader_webhooks(
        &self,
        connection: &Connection,
        deadline: Deadline,
    ) -> Arc<dyn TeamleaderWebhooks> {
        Arc::new(self.teamleader_client(connection, deadline))
    }
}

#[async_trait]
impl Connector for LiveConnector {
    async fn source(
        &self,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Arc<dyn Source>, ExternalError> {
        Ok(Arc::new(self.teamleader_client(connection, deadline)))
    }

    async fn ledger(
        &self,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError> {
        self.app.ledgers.open(connection, &self.deps, deadline)
    }

    fn einvoice(&self) -> Option<Arc<dyn EinvoiceFiles>> {
        self.einvoice.clone()
    }
}
