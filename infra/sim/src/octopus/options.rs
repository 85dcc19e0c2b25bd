//! How an Octopus simulator is started: clock, dossiers, software houses, budgets, port.

use std::sync::Arc;

use koppel_core::{Clock, SystemClock};

use super::budget::Budgets;
use super::model::Dossier;
use super::seed;

/// The software-house UUID registered by default (header `softwareHouseUuid`).
pub const DEFAULT_SOFTWARE_HOUSE_UUID: &str = "6c2b8f0e-0c1e-4b7a-9a51-4f1d2a9c7e10";

/// How long a user token and a dossier token live (10 minutes).
pub const TOKEN_SECONDS: i64 = 600;

/// Options for [`super::spawn`].
#[derive(Clone)]
pub struct SimOptions {
    /// Base clock; share a `koppel_core::ScaledClock` with the client to agree on the time.
    pub clock: Arc<dyn Clock>,
    /// Dossiers to start with (their users are registered too).
    pub dossiers: Vec<Dossier>,
    /// Registered software-house UUIDs (header `softwareHouseUuid`).
    pub software_houses: Vec<String>,
    /// Daily call budgets.
    pub budgets: Budgets,
    /// Port to bind on 127.0.0.1 (0 = any free port).
    pub port: u16,
}

impl std::fmt::Debug for SimOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimOptions")
            .field("now", &self.clock.now())
            .field(
                "dossiers",
                &self.dossiers.iter().map(|d| d.id).collect::<Vec<_>>(),
            )
            .field("software_houses", &self.software_houses)
            .field("budgets", &self.budgets)
            .field("port", &self.port)
            .finish()
    }
}

impl Default for SimOptions {
    /// System clock, the demo dossier ([`seed::demo_dossier`]) at today's date, the default
    /// software house, the default budgets, any free port.
    fn default() -> Self {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        Self::on_clock(clock)
    }
}

impl SimOptions {
    /// The default options on `clock`: the demo dossier is seeded at that clock's today.
    pub fn on_clock(clock: Arc<dyn Clock>) -> Self {
        let today = super::budget::brussels_day(clock.now());
        Self {
            clock,
            dossiers: vec![seed::demo_dossier(today)],
            software_houses: vec![DEFAULT_SOFTWARE_HOUSE_UUID.to_owned()],
            budgets: Budgets::default(),
            port: 0,
        }
    }

    /// The same options on another base clock (the dossiers are kept as they are).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same options with other budgets.
    pub fn with_budgets(mut self, budgets: Budgets) -> Self {
        self.budgets = budgets;
        self
    }
}
