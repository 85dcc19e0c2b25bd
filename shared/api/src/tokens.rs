//! A valid access token for one connection, refreshed safely by many workers at once.
//!
//! Refresh tokens are single-use: two workers refreshing with the same one leave one of them
//! (at some providers both chains) dead. So a refresh happens only under the Store lease
//! `token:<secret name>`; after taking it the secret is read again (another worker may just
//! have refreshed), the new pair is written to the Vault before the access token is handed
//! out, and the lease is released. A worker finding the lease taken waits on the Clock,
//! re-reading the secret until it holds a fresh token or the lease lapses.
//!
//! A refusal of the refresh token marks the connection `NeedsReauth` (a person must sign in
//! again on the reactivation page) and is returned as [`ExternalError::NeedsReauth`].

use crate::oauth::{OAuthClient, OAuthError};
use chrono::{DateTime, Utc};
use koppel_core::{
    Clock, ConnectionId, ConnectionStatus, ConnectionStore, ExternalError, LeaseStore, OAuthTokens,
    Store, Vault,
};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Where a connection's tokens live and when to refresh them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSourceConfig {
    /// Vault secret holding the [`OAuthTokens`] JSON.
    pub secret_name: String,
    /// Connection marked `NeedsReauth` when the refresh token is refused.
    pub connection_id: ConnectionId,
    /// Refresh when the access token expires within this margin.
    pub refresh_margin: Duration,
    /// Never refresh an access token younger than this (some providers refuse earlier
    /// refreshes).
    pub min_token_age: Duration,
    /// Lifetime of an access token as issued, to derive its age from `expires_at`.
    pub token_lifetime: Duration,
    /// How long the refresh lease is taken for.
    pub lease_ttl: Duration,
    /// How often a worker waiting for another's refresh re-reads the secret (clock time).
    pub poll_interval: Duration,
    /// How long to wait for another worker's refresh before giving up as `Unavailable`.
    pub max_wait: Duration,
}

/// A provider's token timings (its client crate knows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenTimings {
    /// Lifetime of an access token as issued.
    pub token_lifetime: Duration,
    /// Refresh when the access token expires within this margin.
    pub refresh_margin: Duration,
    /// Never refresh an access token younger than this.
    pub min_token_age: Duration,
}

impl TokenSourceConfig {
    /// Tokens of `connection_id` kept in `secret_name`, refreshed on the provider's
    /// `timings`; the refresh lease lives 30 s, a worker waiting for another's refresh
    /// re-reads the secret every 250 ms for up to 90 s.
    pub fn new(
        secret_name: impl Into<String>,
        connection_id: ConnectionId,
        timings: TokenTimings,
    ) -> Self {
        Self {
            secret_name: secret_name.into(),
            connection_id,
            refresh_margin: timings.refresh_margin,
            min_token_age: timings.min_token_age,
            token_lifetime: timings.token_lifetime,
            lease_ttl: Duration::from_secs(30),
            poll_interval: Duration::from_millis(250),
            max_wait: Duration::from_secs(90),
        }
    }

    fn lease_name(&self) -> String {
        format!("token:{}", self.secret_name)
    }
}

/// The two roles of Koppel's store a token source needs: the refresh lease, and the
/// connection's status (set to `NeedsReauth` when the refresh token is refused).
#[derive(Clone)]
pub struct TokenStores {
    /// Where the refresh lease is taken.
    pub leases: Arc<dyn LeaseStore>,
    /// Where a dead token marks the connection.
    pub connections: Arc<dyn ConnectionStore>,
}

impl TokenStores {
    /// Both roles from one store.
    pub fn from_store(store: Arc<dyn Store>) -> Self {
        Self {
            leases: store.clone(),
            connections: store,
        }
    }
}

/// Gives a valid access token for one connection. Cheap to clone; clones share the cache.
/// One instance per worker (Lambda); instances coordinate through the Store lease.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

struct Inner {
    config: TokenSourceConfig,
    oauth: OAuthClient,
    stores: TokenStores,
    vault: Arc<dyn Vault>,
    clock: Arc<dyn Clock>,
    /// Lease owner id, random per instance.
    owner: String,
    cache: Mutex<Option<Cached>>,
    /// Serialises refreshes of this instance's tasks.
    refreshing: tokio::sync::Mutex<()>,
    refreshes: AtomicU64,
}

struct Cached {
    tokens: OAuthTokens,
    /// The API refused this access token (401): never hand it out again.
    refused: bool,
    /// The token endpoint said "too early": do not ask again before this instant.
    refresh_not_before: Option<DateTime<Utc>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("system", &self.inner.oauth.system())
            .field("secret_name", &self.inner.config.secret_name)
            .field("connection_id", &self.inner.config.connection_id)
            .finish_non_exhaustive()
    }
}

/// What to do with a token pair at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    /// Use it.
    Usable,
    /// Refresh it (expiring within the margin, or expired, or refused: a refused token is
    /// renewed even when younger than the provider's minimum age, since the provider may have
    /// ended it early; a "too early" answer then means the app itself is refused).
    Refresh,
}

impl TokenSource {
    /// A token source for `config`, refreshing through `oauth`, coordinating on `stores`,
    /// keeping tokens in `vault`, telling time by `clock`.
    pub fn new(
        config: TokenSourceConfig,
        oauth: OAuthClient,
        stores: TokenStores,
        vault: Arc<dyn Vault>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                oauth,
                stores,
                vault,
                clock,
                owner: format!("tokens-{}", uuid::Uuid::new_v4()),
                cache: Mutex::new(None),
                refreshing: tokio::sync::Mutex::new(()),
                refreshes: AtomicU64::new(0),
            }),
        }
    }

    /// System name ("Teamleader Focus", …).
    pub fn system(&self) -> &'static str {
        self.inner.oauth.system()
    }

    /// Refreshes this instance performed (successful grants), for tests and reports.
    pub fn refreshes(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// A valid access token, refreshing it (under the lease) when it expires within the
    /// margin or was refused. The value is a secret: never log it.
    pub async fn access_token(&self) -> Result<String, ExternalError> {
        if let Some(token) = self.cached_usable() {
            return Ok(token);
        }
        let _one_at_a_time = self.inner.refreshing.lock().await;
        if let Some(token) = self.cached_usable() {
            return Ok(token);
        }
        let refused = self.refused_token();
        // Another worker may have refreshed already: a plain read is cheaper than the lease.
        let stored = self.read_stored().await?;
        if self.freshness(&stored, refused.as_deref(), None) == Freshness::Usable {
            return Ok(self.remember(stored, None));
        }
        self.refresh_under_lease(refused).await
    }

    /// The API refused `access_token` (HTTP 401): the next [`Self::access_token`] gets
    /// another one (re-reading the secret first, refreshing under the lease if needed).
    /// Ignored when the cache already moved on to another token.
    pub fn invalidate(&self, access_token: &str) {
        if let Some(cached) = self.lock_cache().as_mut()
            && cached.tokens.access_token == access_token
        {
            cached.refused = true;
        }
    }

    fn lock_cache(&self) -> MutexGuard<'_, Option<Cached>> {
        self.inner
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cached_usable(&self) -> Option<String> {
        let cache = self.lock_cache();
        let cached = cache.as_ref()?;
        if cached.refused {
            return None;
        }
        (self.freshness(&cached.tokens, None, cached.refresh_not_before) == Freshness::Usable)
            .then(|| cached.tokens.access_token.clone())
    }

    fn refused_token(&self) -> Option<String> {
        self.lock_cache()
            .as_ref()
            .filter(|cached| cached.refused)
            .map(|cached| cached.tokens.access_token.clone())
    }

    fn remember(&self, tokens: OAuthTokens, refresh_not_before: Option<DateTime<Utc>>) -> String {
        let token = tokens.access_token.clone();
        *self.lock_cache() = Some(Cached {
            tokens,
            refused: false,
            refresh_not_before,
        });
        token
    }

    /// Judge `tokens` now; `refused` is an access token the API refused.
    fn freshness(
        &self,
        tokens: &OAuthTokens,
        refused: Option<&str>,
        not_before: Option<DateTime<Utc>>,
    ) -> Freshness {
        let config = &self.inner.config;
        let now = self.inner.clock.now();
        let issued_at = tokens.expires_at - to_chrono(config.token_lifetime);
        let old_enough = now >= issued_at + to_chrono(config.min_token_age)
            && not_before.is_none_or(|at| now >= at);
        if refused == Some(tokens.access_token.as_str()) {
            return Freshness::Refresh;
        }
        if now < tokens.expires_at - to_chrono(config.refresh_margin) {
            return Freshness::Usable;
        }
        // Within the margin: refresh when allowed; until then the token still works.
        if !old_enough && now < tokens.expires_at {
            Freshness::Usable
        } else {
            Freshness::Refresh
        }
    }

    async fn refresh_under_lease(&self, refused: Option<String>) -> Result<String, ExternalError> {
        let inner = &self.inner;
        let lease = inner.config.lease_name();
        let deadline = inner.clock.now() + to_chrono(inner.config.max_wait);
        loop {
            let now = inner.clock.now();
            let until = now + to_chrono(inner.config.lease_ttl);
            let taken = inner
                .stores
                .leases
                .acquire_lease(&lease, &inner.owner, now, until)
                .await
                .map_err(|error| self.unavailable(error))?;
            if taken {
                let result = self.refresh_holding_lease(refused.as_deref()).await;
                if let Err(error) = inner
                    .stores
                    .leases
                    .release_lease(&lease, &inner.owner)
                    .await
                {
                    // It lapses by itself within the TTL.
                    tracing::warn!(system = self.system(), lease = %lease, %error, "could not release the token lease");
                }
                return result;
            }
            if now >= deadline {
                return Err(ExternalError::Unavailable {
                    system: self.system(),
                    detail: "another worker held the token refresh lock for too long".into(),
                });
            }
            inner.clock.sleep(inner.config.poll_interval).await;
            let stored = self.read_stored().await?;
            if self.freshness(&stored, refused.as_deref(), None) == Freshness::Usable {
                tracing::debug!(
                    system = self.system(),
                    "another worker refreshed the tokens"
                );
                return Ok(self.remember(stored, None));
            }
        }
    }

    async fn refresh_holding_lease(&self, refused: Option<&str>) -> Result<String, ExternalError> {
        let inner = &self.inner;
        let stored = self.read_stored().await?;
        match self.freshness(&stored, refused, None) {
            Freshness::Usable => return Ok(self.remember(stored, None)),
            // Also a refused token that should still be good: the provider decides. It may
            // have ended the token early (a refresh then works), or refuse the app itself (it
            // answers "too early", below: the connection is refused, not the token).
            Freshness::Refresh => {}
        }
        if let Some(error) = self.already_marked().await {
            return Err(error);
        }
        match inner.oauth.refresh(&stored.refresh_token).await {
            Ok(fresh) => {
                inner.refreshes.fetch_add(1, Ordering::Relaxed);
                self.save(&fresh).await?;
                tracing::info!(system = self.system(), expires_at = %fresh.expires_at, "access token refreshed");
                Ok(self.remember(fresh, None))
            }
            Err(OAuthError::TooEarly { detail, .. }) => {
                let now = inner.clock.now();
                if refused != Some(stored.access_token.as_str()) && now < stored.expires_at {
                    tracing::info!(
                        system = self.system(),
                        "refresh refused as too early; current token stays in use"
                    );
                    return Ok(self.remember(stored, Some(now + chrono::Duration::seconds(30))));
                }
                if refused == Some(stored.access_token.as_str()) && now < stored.expires_at {
                    tracing::warn!(system = self.system(), %detail, "a valid access token was refused and may not be renewed yet");
                    return Err(ExternalError::ConnectionRefused {
                        system: self.system(),
                        status: 401,
                        message: crate::client::REFUSED_FRESH_TOKEN.to_owned(),
                    });
                }
                Err(ExternalError::Unavailable {
                    system: self.system(),
                    detail: format!("token refresh refused as too early: {detail}"),
                })
            }
            Err(OAuthError::External(error @ ExternalError::NeedsReauth { .. })) => {
                // A worker whose lease lapsed while its refresh was under way may have rotated
                // the pair first: then the refusal of the token read here is no verdict on
                // the connection, and the newer pair is used.
                if let Some(newer) = self.rotated_meanwhile(&stored.refresh_token).await {
                    tracing::info!(
                        system = self.system(),
                        "another worker had rotated the tokens; its pair is used"
                    );
                    return Ok(self.remember(newer, None));
                }
                self.mark_needs_reauth(&error).await;
                Err(error)
            }
            Err(OAuthError::External(error)) => Err(error),
        }
    }

    /// A usable pair saved by another worker since `used` was read, looked for a few poll
    /// intervals (its save follows its grant closely).
    async fn rotated_meanwhile(&self, used: &str) -> Option<OAuthTokens> {
        const LOOKS: u32 = 4;
        for look in 0..LOOKS {
            if look > 0 {
                self.inner
                    .clock
                    .sleep(self.inner.config.poll_interval)
                    .await;
            }
            let stored = self.read_stored_quietly().await?;
            if stored.refresh_token != used {
                return (self.freshness(&stored, None, None) == Freshness::Usable)
                    .then_some(stored);
            }
        }
        None
    }

    /// The stored tokens, `None` when they cannot be read (no verdict either way).
    async fn read_stored_quietly(&self) -> Option<OAuthTokens> {
        load_tokens(self.inner.vault.as_ref(), &self.inner.config.secret_name)
            .await
            .ok()
            .flatten()
    }

    /// Write the new pair, a few times if the vault hiccups: the old refresh token is dead.
    async fn save(&self, tokens: &OAuthTokens) -> Result<(), ExternalError> {
        let mut attempt: u64 = 0;
        loop {
            attempt += 1;
            match save_tokens(
                self.inner.vault.as_ref(),
                &self.inner.config.secret_name,
                tokens,
            )
            .await
            {
                Ok(()) => return Ok(()),
                Err(error) if attempt >= 3 => {
                    tracing::error!(
                        system = self.system(),
                        secret = %self.inner.config.secret_name,
                        %error,
                        "refreshed tokens could not be saved; the connection may need a new sign-in"
                    );
                    return Err(ExternalError::Unavailable {
                        system: self.system(),
                        detail: format!("refreshed tokens could not be saved: {error}"),
                    });
                }
                Err(error) => {
                    tracing::warn!(system = self.system(), attempt, %error, "saving refreshed tokens failed, retrying");
                    self.inner
                        .clock
                        .sleep(Duration::from_millis(200 * attempt))
                        .await;
                }
            }
        }
    }

    /// The stored tokens; a missing or unreadable secret means a person must connect again.
    async fn read_stored(&self) -> Result<OAuthTokens, ExternalError> {
        let name = &self.inner.config.secret_name;
        match load_tokens(self.inner.vault.as_ref(), name).await {
            Ok(Some(tokens)) => Ok(tokens),
            Ok(None) => {
                self.reauth("no tokens are stored for this connection".into())
                    .await
            }
            Err(koppel_core::VaultError::Corrupt { detail, .. }) => {
                self.reauth(format!("the stored tokens are not readable ({detail})"))
                    .await
            }
            Err(error) => Err(self.unavailable(error)),
        }
    }

    async fn reauth<T>(&self, detail: String) -> Result<T, ExternalError> {
        let error = ExternalError::NeedsReauth {
            system: self.system(),
            detail,
        };
        self.mark_needs_reauth(&error).await;
        Err(error)
    }

    /// When the connection is already marked `NeedsReauth`, the stored refresh token was
    /// refused before: do not spend another grant on it.
    async fn already_marked(&self) -> Option<ExternalError> {
        let connection = self
            .inner
            .stores
            .connections
            .connection(&self.inner.config.connection_id)
            .await
            .ok()??;
        (connection.status == ConnectionStatus::NeedsReauth).then(|| ExternalError::NeedsReauth {
            system: self.system(),
            detail: connection
                .status_reason
                .unwrap_or_else(|| "the connection awaits a new sign-in".into()),
        })
    }

    async fn mark_needs_reauth(&self, error: &ExternalError) {
        let connection = &self.inner.config.connection_id;
        tracing::warn!(system = self.system(), connection = %connection, reason = %error, "marking connection needs_reauth");
        if let Err(store_error) = self
            .inner
            .stores
            .connections
            .set_connection_status(
                connection,
                ConnectionStatus::NeedsReauth,
                Some(error.to_string()),
            )
            .await
        {
            tracing::error!(system = self.system(), connection = %connection, %store_error, "could not mark needs_reauth");
        }
    }

    fn unavailable(&self, error: impl fmt::Display) -> ExternalError {
        ExternalError::Unavailable {
            system: self.system(),
            detail: error.to_string(),
        }
    }
}

/// Read [`OAuthTokens`] JSON from the secret `name` (`None` when it does not exist).
pub async fn load_tokens(
    vault: &dyn Vault,
    name: &str,
) -> Result<Option<OAuthTokens>, koppel_core::VaultError> {
    let Some(secret) = vault.read(name).await? else {
        return Ok(None);
    };
    // Name only the field: serde's own message may quote the (secret) value.
    serde_path_to_error::deserialize(secret.value)
        .map(Some)
        .map_err(|error| koppel_core::VaultError::Corrupt {
            name: name.to_owned(),
            detail: format!("field `{}` is missing or of the wrong type", error.path()),
        })
}

/// Write `tokens` as the current version of the secret `name`.
pub async fn save_tokens(
    vault: &dyn Vault,
    name: &str,
    tokens: &OAuthTokens,
) -> Result<(), koppel_core::VaultError> {
    let value = serde_json::to_value(tokens).map_err(|error| koppel_core::VaultError::Corrupt {
        name: name.to_owned(),
        detail: error.to_string(),
    })?;
    vault.write(name, &value).await.map(|_version| ())
}

fn to_chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
