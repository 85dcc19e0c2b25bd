//! The production connector: a connection's Teamleader client and its ledger (through the
//! ledger plug-ins), with tokens read from (and rotated into) the vault under the store's
//! refresh lease, bound to the invocation's deadline.
//!
//! It keeps the rate gates of what it opened, per connection, until [`Connector::usage`]
//! reads them: the job runtime publishes the calls, 429 answers and quota left of every
//! invocation as metrics.

use crate::app_secret::AppSecret;
use async_trait::async_trait;
use koppel_api::rate::gates_made_by;
use koppel_api::{RateGate, TokenSource, TokenStores};
use koppel_core::{
    ApiSystem, ApiUsage, Clock, Connection, ConnectionId, Connector, Deadline, EinvoiceFiles,
    ExternalError, Ledger, Source, Store, TeamleaderWebhooks, Vault,
};
use koppel_ledgers::LedgerDeps;
use koppel_teamleader::TeamleaderClient;
use koppel_teamleader::oauth::TeamleaderUrls;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Opens connections with live clients.
#[derive(Clone)]
pub struct LiveConnector {
    app: AppSecret,
    teamleader: TeamleaderUrls,
    deps: LedgerDeps,
    einvoice: Option<Arc<dyn EinvoiceFiles>>,
    opened: Arc<Mutex<Opened>>,
}

/// The rate gates of the systems opened per connection, not read by [`Connector::usage`] yet.
///
/// A job function reads them after every invocation, so this holds one connection there. A
/// process that opens systems and never reads (the connection page checks a connection's
/// systems on some requests) is kept small by the two caps: past them the oldest is dropped.
#[derive(Default)]
struct Opened {
    by_connection: HashMap<ConnectionId, Vec<(ApiSystem, RateGate)>>,
}

impl Opened {
    /// Connections kept at most before everything unread is forgotten.
    const MAX_CONNECTIONS: usize = 64;
    /// Gates kept per connection at most (a job run opens two or three).
    const MAX_GATES: usize = 16;

    fn keep(&mut self, connection: &ConnectionId, system: ApiSystem, gates: Vec<RateGate>) {
        if !self.by_connection.contains_key(connection)
            && self.by_connection.len() >= Self::MAX_CONNECTIONS
        {
            self.by_connection.clear();
        }
        let kept = self.by_connection.entry(connection.clone()).or_default();
        kept.extend(gates.into_iter().map(|gate| (system, gate)));
        let excess = kept.len().saturating_sub(Self::MAX_GATES);
        kept.drain(..excess);
    }

    fn take(&mut self, connection: &ConnectionId) -> Vec<ApiUsage> {
        let gates = self.by_connection.remove(connection).unwrap_or_default();
        let mut usage: Vec<ApiUsage> = Vec::new();
        for (system, gate) in gates {
            let stats = gate.stats();
            let quota_left = gate.quota_left();
            match usage.iter_mut().find(|known| known.system == system) {
                Some(known) => {
                    known.calls += stats.requests_sent;
                    known.throttled += stats.throttled;
                    known.quota_exhausted += stats.quota_exhausted;
                    known.quota_left = match (known.quota_left, quota_left) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                None => usage.push(ApiUsage {
                    system,
                    calls: stats.requests_sent,
                    throttled: stats.throttled,
                    quota_left,
                    quota_exhausted: stats.quota_exhausted,
                }),
            }
        }
        usage
    }
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
            opened: Arc::default(),
        }
    }

    fn opened(&self) -> std::sync::MutexGuard<'_, Opened> {
        // Plain lists: a panic elsewhere while holding the lock leaves them usable.
        self.opened.lock().unwrap_or_else(PoisonError::into_inner)
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
        let client = self.teamleader_client(connection, deadline);
        // The API's gate (its writes share it); file downloads are not API calls.
        self.opened().keep(
            &connection.id,
            ApiSystem::Teamleader,
            vec![client.api().gate().clone()],
        );
        Ok(Arc::new(client))
    }

    async fn ledger(
        &self,
        connection: &Connection,
        deadline: Deadline,
    ) -> Result<Arc<dyn Ledger>, ExternalError> {
        // The plug-in builds its clients (and their gates) inside `open`.
        let (ledger, gates) =
            gates_made_by(|| self.app.ledgers.open(connection, &self.deps, deadline));
        let ledger = ledger?;
        self.opened()
            .keep(&connection.id, ApiSystem::Ledger(connection.ledger), gates);
        Ok(ledger)
    }

    fn einvoice(&self) -> Option<Arc<dyn EinvoiceFiles>> {
        self.einvoice.clone()
    }

    fn usage(&self, connection: &ConnectionId) -> Vec<ApiUsage> {
        self.opened().take(connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppel_api::rate::header_map;
    use koppel_api::{RateGateConfig, RateLimitPolicy, WindowObservation};
    use koppel_core::memory::{InMemoryStore, InMemoryVault, ManualClock};
    use koppel_core::{
        AccountId, ConnectionSettings, ConnectionStatus, DepartmentId, LedgerKind, Vault,
    };
    use serde_json::json;

    fn connector() -> LiveConnector {
        let mut secret = json!({"teamleader": {"client_id": "tl", "client_secret": "s"}});
        for plugin in koppel_ledgers::plugins() {
            secret[plugin.app_secret_section()] = plugin.app_secret_example();
        }
        let app = AppSecret::from_json("stack/app", &secret).unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::default());
        let vault: Arc<dyn Vault> = Arc::new(InMemoryVault::new());
        LiveConnector::new(
            app,
            TeamleaderUrls {
                api: "http://127.0.0.1:9/tl".into(),
                auth: "http://127.0.0.1:9/auth".into(),
            },
            Arc::new(InMemoryStore::new()),
            vault,
            clock,
        )
    }

    fn connection(id: &str, ledger: LedgerKind, company: &str) -> Connection {
        Connection {
            id: ConnectionId::from(id),
            account_id: AccountId::from("a"),
            department_id: DepartmentId::from("d"),
            ledger,
            ledger_company: company.into(),
            status: ConnectionStatus::Active,
            settings: ConnectionSettings::default(),
            teamleader_secret: "t".into(),
            ledger_secret: "l".into(),
            created_at: ManualClock::default().now(),
            status_reason: None,
        }
    }

    /// Every ledger plug-in builds its gates inside `open`, where the connector finds them;
    /// `usage` hands them out once, per connection.
    #[tokio::test]
    async fn the_gates_of_every_ledger_and_of_teamleader_are_kept_until_read() {
        let connector = connector();
        let ledgers = [
            (LedgerKind::ExactOnline, "123"),
            (LedgerKind::Octopus, "1"),
            (LedgerKind::Twinfield, "NLA000001"),
            (LedgerKind::Clearfacts, "0123456789"),
        ];
        for (kind, company) in ledgers {
            // Exhaustive: a new ledger must be added to the list above.
            match kind {
                LedgerKind::ExactOnline
                | LedgerKind::Octopus
                | LedgerKind::Twinfield
                | LedgerKind::Clearfacts => {}
            }
            let connection = connection("c1", kind, company);
            connector
                .source(&connection, Deadline::none())
                .await
                .unwrap();
            connector
                .ledger(&connection, Deadline::none())
                .await
                .unwrap();
            let usage = connector.usage(&connection.id);
            let systems: Vec<ApiSystem> = usage.iter().map(|u| u.system).collect();
            assert_eq!(
                systems,
                [ApiSystem::Teamleader, ApiSystem::Ledger(kind)],
                "{kind:?}"
            );
            assert!(usage.iter().all(|u| u.calls == 0 && u.throttled == 0));
            assert!(connector.usage(&connection.id).is_empty(), "read once");
        }
        // Another connection's systems are not mixed in.
        let other = connection("c2", LedgerKind::Octopus, "1");
        connector.source(&other, Deadline::none()).await.unwrap();
        assert!(connector.usage(&ConnectionId::from("c1")).is_empty());
        assert_eq!(connector.usage(&other.id).len(), 1);
    }

    /// A minute window read from `x-remaining` / `x-limit` / `x-reset` (epoch milliseconds).
    struct Minute;

    impl RateLimitPolicy for Minute {
        fn observe(&self, headers: &koppel_api::HeaderMap) -> Vec<WindowObservation> {
            vec![WindowObservation {
                window: "minute",
                limit: koppel_api::rate::number(headers, "x-limit"),
                remaining: koppel_api::rate::number(headers, "x-remaining"),
                reset: koppel_api::rate::number(headers, "x-reset")
                    .and_then(koppel_api::rate::epoch_millis),
            }]
        }
    }

    #[tokio::test]
    async fn usage_adds_up_the_gates_of_one_system_and_keeps_the_lowest_quota() {
        let clock = Arc::new(ManualClock::default());
        let gate = |remaining: &str| {
            let gate = RateGate::new("Books", Minute, clock.clone(), RateGateConfig::default());
            let reset = clock.now().timestamp_millis() + 30_000;
            gate.observe(&header_map(&[
                ("x-limit", "100"),
                ("x-remaining", remaining),
                ("x-reset", &reset.to_string()),
            ]));
            gate
        };
        let (reads, uploads) = (gate("40"), gate("90"));
        for _ in 0..3 {
            reads.acquire(&Deadline::none()).await.unwrap();
        }
        uploads.acquire(&Deadline::none()).await.unwrap();
        let teamleader = RateGate::unlimited("Teamleader", clock.clone());
        teamleader.acquire(&Deadline::none()).await.unwrap();
        let mut opened = Opened::default();
        let id = ConnectionId::from("c1");
        let ledger = ApiSystem::Ledger(LedgerKind::Clearfacts);
        opened.keep(&id, ApiSystem::Teamleader, vec![teamleader]);
        opened.keep(&id, ledger, vec![reads, uploads]);
        assert_eq!(
            opened.take(&id),
            [
                ApiUsage {
                    system: ApiSystem::Teamleader,
                    calls: 1,
                    throttled: 0,
                    quota_left: None,
                    quota_exhausted: 0,
                },
                ApiUsage {
                    system: ledger,
                    calls: 4,
                    throttled: 0,
                    quota_left: Some(37),
                    quota_exhausted: 0,
                },
            ]
        );
    }

    #[test]
    fn what_is_never_read_stays_bounded() {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::default());
        let mut opened = Opened::default();
        for n in 0..(Opened::MAX_CONNECTIONS * 2) {
            let id = ConnectionId::new(format!("c{n}"));
            for _ in 0..(Opened::MAX_GATES * 2) {
                let gate = RateGate::unlimited("Teamleader", clock.clone());
                opened.keep(&id, ApiSystem::Teamleader, vec![gate]);
            }
            assert!(opened.by_connection.len() <= Opened::MAX_CONNECTIONS);
            assert!(
                opened
                    .by_connection
                    .values()
                    .all(|gates| gates.len() <= Opened::MAX_GATES)
            );
        }
    }
}
