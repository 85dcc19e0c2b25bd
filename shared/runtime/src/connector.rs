//! The production connector: a connection's Teamleader client and ledger client, with
//! tokens read from (and rotated into) the vault under the store's refresh lease.

use crate::app_secret::AppSecret;
use async_trait::async_trait;
use koppel_api::{TokenSource, TokenSourceConfig};
use koppel_core::{
    Clock, Connection, Connector, ExternalError, Ledger, LedgerKind, Source, Store, Vault,
};
use koppel_ledgers::LedgerDeps;
use koppel_ledgers::exact::{ExactApp, ExactOptions};
use koppel_teamleader::TeamleaderClient;
use koppel_teamleader::oauth::TeamleaderUrls;
use std::sync::Arc;

/// Opens connections with live clients.
#[derive(Clone)]
pub struct LiveConnector {
    app: AppSecret,
    teamleader: TeamleaderUrls,
    deps: LedgerDeps,
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
                store,
                vault,
                clock,
            },
        }
    }

    /// The OAuth client of the Teamleader integration.
    pub fn teamleader_oauth(&self) -> koppel_api::OAuthClient {
        self.teamleader.oauth_client(
            &self.app.teamleader.client_id,
            &self.app.teamleader.client_secret,
            self.deps.clock.clone(),
        )
    }
}

#[async_trait]
impl Connector for LiveConnector {
    async fn source(&self, connection: &Connection) -> Result<Arc<dyn Source>, ExternalError> {
        let tokens = TokenSource::new(
            TokenSourceConfig::teamleader(
                connection.teamleader_secret.clone(),
                connection.id.clone(),
            ),
            self.teamleader_oauth(),
            self.deps.store.clone(),
            self.deps.vault.clone(),
            self.deps.clock.clone(),
        );
        Ok(Arc::new(TeamleaderClient::connect(
            &self.teamleader.api,
            tokens,
            self.deps.clock.clone(),
        )))
    }

    async fn ledger(&self, connection: &Connection) -> Result<Arc<dyn Ledger>, ExternalError> {
        let system = connection.ledger.display_name();
        match connection.ledger {
            LedgerKind::ExactOnline => {
                let Some(exact) = &self.app.exact else {
                    return Err(ExternalError::Unsupported {
                        system,
                        what: "connections on this deployment (no Exact app credentials in the app secret)",
                    });
                };
                let app = ExactApp::new(
                    &exact.base_url,
                    &exact.credentials.client_id,
                    &exact.credentials.client_secret,
                );
                let ledger =
                    koppel_ledgers::exact(&app, connection, &self.deps, ExactOptions::default())
                        .map_err(|e| ExternalError::Rejected {
                            system,
                            status: 0,
                            message: e.to_string(),
                        })?;
                Ok(Arc::new(ledger))
            }
            LedgerKind::Octopus | LedgerKind::Twinfield | LedgerKind::Clearfacts => {
                Err(ExternalError::Unsupported {
                    system,
                    what: "exports in this version of Koppel",
                })
            }
        }
    }
}
