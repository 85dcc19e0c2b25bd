//! Authorization codes, OIDC tokens (an 80-char inner token wrapped in a JWT, optionally with a
//! rotating refresh token) and personal access tokens, with the limit of
//! [`MAX_ACTIVE_TOKENS`] active tokens per user and application.

use std::collections::{BTreeSet, HashMap};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::Serialize;
use serde_json::{Value, json};

use super::jwt::{JwtKey, looks_like_jwt};
use super::options::{
    ACCESS_TOKEN_SECONDS, CODE_SECONDS, LONG_LIVED_TOKEN_SECONDS, MAX_ACTIVE_TOKENS,
    REFRESH_TOKEN_SECONDS, TOKEN_LENGTH, TokenMode,
};

/// Every scope Clearfacts knows (plus `offline_access` for refresh tokens).
pub const SCOPES: &[&str] = &[
    "openid",
    "offline_access",
    "email",
    "profile",
    "accountant",
    "statistics",
    "read_administrations",
    "associate_read",
    "associate_actions",
    "journal_read",
    "contact_read",
    "upload_document",
    "archive_read",
    "archive_actions",
    "archive",
];

/// A random token of `len` ASCII letters and digits.
pub(crate) fn random_token(len: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Who signs in: the user's `sub` and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subject {
    pub(crate) id: String,
    pub(crate) username: String,
}

#[derive(Debug, Clone)]
struct AuthCode {
    client_id: String,
    redirect_uri: String,
    scopes: BTreeSet<String>,
    subject: Subject,
    issued: DateTime<Utc>,
    used: bool,
}

/// What a valid bearer token stands for.
#[derive(Debug, Clone)]
pub(crate) struct AccessGrant {
    pub(crate) subject: Subject,
    /// `None` for a personal access token.
    pub(crate) client_id: Option<String>,
    pub(crate) scopes: BTreeSet<String>,
    issued: DateTime<Utc>,
    /// `None` = never expires (personal access tokens).
    expires: Option<DateTime<Utc>>,
    last_used: DateTime<Utc>,
    revoked: bool,
    refresh: Option<String>,
}

impl AccessGrant {
    /// Whether the grant has `scope`.
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefreshState {
    Active,
    Used,
    Revoked,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    subject: Subject,
    client_id: String,
    scopes: BTreeSet<String>,
    expires: DateTime<Utc>,
    state: RefreshState,
}

/// Why a bearer token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerRefusal {
    /// No `Authorization: Bearer …` header.
    Missing,
    /// Unknown, malformed or wrongly signed.
    Invalid,
    /// Past its expiry.
    Expired,
    /// Revoked (refreshed, pushed out by the limit, the app removed).
    Revoked,
}

impl BearerRefusal {
    /// The `error_description` of the 401 answer.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Self::Missing => "The request has no access token",
            Self::Invalid => "The access token provided is invalid",
            Self::Expired => "The access token provided has expired",
            Self::Revoked => "The access token provided has been revoked",
        }
    }
}

/// A refusal of the token endpoint: `{"error", "error_description"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) description: &'static str,
}

impl TokenError {
    pub(crate) fn grant(description: &'static str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_grant",
            description,
        }
    }

    pub(crate) fn request(description: &'static str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description,
        }
    }
}

/// What the token endpoint hands out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenAnswer {
    /// The JWT access token (its `token` claim is the inner token).
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The OIDC id token (a JWT).
    pub id_token: String,
    /// Single-use refresh token (rotating mode with `offline_access` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl TokenAnswer {
    /// The 80-char inner token the JWT wraps (it works as a bearer token too).
    pub fn inner_token(&self) -> Option<String> {
        inner_token_of(&self.access_token)
    }
}

/// The `token` claim of a JWT access token (read, not verified), i.e. its inner 80-char token.
pub fn inner_token_of(access_token: &str) -> Option<String> {
    let claims = access_token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims).ok()?,
    )
    .ok()?;
    claims.get("token")?.as_str().map(str::to_owned)
}

/// Codes, tokens and refresh tokens ever issued.
#[derive(Debug)]
pub(crate) struct TokenStore {
    pub(crate) mode: TokenMode,
    key: JwtKey,
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, RefreshGrant>,
}

/// A scope string as a set.
pub(crate) fn scope_set(scope: &str) -> BTreeSet<String> {
    scope.split_whitespace().map(str::to_owned).collect()
}

fn joined(scopes: &BTreeSet<String>) -> String {
    scopes
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

impl TokenStore {
    pub(crate) fn new(mode: TokenMode) -> Self {
        Self {
            mode,
            key: JwtKey::random(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
        }
    }

    /// A code for a signed-in user.
    pub(crate) fn authorize(
        &mut self,
        client_id: &str,
        redirect_uri: &str,
        scopes: BTreeSet<String>,
        subject: Subject,
        now: DateTime<Utc>,
    ) -> String {
        let code = random_token(64);
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scopes,
                subject,
                issued: now,
                used: false,
            },
        );
        code
    }

    fn active(&self, grant: &AccessGrant, now: DateTime<Utc>) -> bool {
        if grant.revoked {
            return false;
        }
        let access_alive = grant.expires.is_none_or(|expires| now < expires);
        let refresh_alive = grant
            .refresh
            .as_ref()
            .and_then(|r| self.refresh.get(r))
            .is_some_and(|r| r.state == RefreshState::Active && now < r.expires);
        access_alive || refresh_alive
    }

    /// Active OIDC tokens of a user (by name) and application.
    pub(crate) fn active_count(
        &self,
        username: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> usize {
        self.access
            .values()
            .filter(|g| {
                g.subject.username == username
                    && g.client_id.as_deref() == Some(client_id)
                    && self.active(g, now)
            })
            .count()
    }

    fn revoke_grant(&mut self, inner: &str) {
        if let Some(grant) = self.access.get_mut(inner) {
            grant.revoked = true;
            if let Some(refresh) = grant.refresh.clone()
                && let Some(r) = self.refresh.get_mut(&refresh)
                && r.state == RefreshState::Active
            {
                r.state = RefreshState::Revoked;
            }
        }
    }

    /// Make room for one more token of `subject` + `client_id`: revoke the least recently
    /// used ones beyond the limit. Returns how many were revoked.
    fn make_room(&mut self, subject: &Subject, client_id: &str, now: DateTime<Utc>) -> u64 {
        let mut revoked = 0;
        loop {
            let mut mine: Vec<(&String, &AccessGrant)> = self
                .access
                .iter()
                .filter(|(_, g)| {
                    g.subject == *subject
                        && g.client_id.as_deref() == Some(client_id)
                        && self.active(g, now)
                })
                .collect();
            if mine.len() < MAX_ACTIVE_TOKENS {
                return revoked;
            }
            mine.sort_by_key(|(inner, g)| (g.last_used, g.issued, (*inner).clone()));
            let Some(oldest) = mine.first().map(|(inner, _)| (*inner).clone()) else {
                return revoked;
            };
            tracing::debug!(user = %subject.username, client_id, "token limit: revoking the least recently used token");
            self.revoke_grant(&oldest);
            revoked += 1;
        }
    }

    fn issue(
        &mut self,
        subject: &Subject,
        client_id: &str,
        scopes: BTreeSet<String>,
        issuer: &str,
        now: DateTime<Utc>,
    ) -> TokenAnswer {
        let inner = random_token(TOKEN_LENGTH);
        let rotating = self.mode == TokenMode::Rotating;
        let lifetime = if rotating {
            ACCESS_TOKEN_SECONDS
        } else {
            LONG_LIVED_TOKEN_SECONDS
        };
        let expires = now + Duration::seconds(lifetime);
        let refresh_token = (rotating && scopes.contains("offline_access")).then(|| {
            let token = random_token(TOKEN_LENGTH);
            self.refresh.insert(
                token.clone(),
                RefreshGrant {
                    subject: subject.clone(),
                    client_id: client_id.to_owned(),
                    scopes: scopes.clone(),
                    expires: now + Duration::seconds(REFRESH_TOKEN_SECONDS),
                    state: RefreshState::Active,
                },
            );
            token
        });
        let scope = joined(&scopes);
        let access_token = self.key.sign(&json!({
            "iss": issuer,
            "aud": client_id,
            "sub": subject.id,
            "iat": now.timestamp(),
            "exp": expires.timestamp(),
            "jti": random_token(16),
            "scope": scope,
            "token": inner,
        }));
        let id_token = self.key.sign(&json!({
            "iss": issuer,
            "aud": client_id,
            "sub": subject.id,
            "preferred_username": subject.username,
            "iat": now.timestamp(),
            "exp": (now + Duration::seconds(ACCESS_TOKEN_SECONDS)).timestamp(),
        }));
        self.access.insert(
            inner,
            AccessGrant {
                subject: subject.clone(),
                client_id: Some(client_id.to_owned()),
                scopes,
                issued: now,
                expires: Some(expires),
                last_used: now,
                revoked: false,
                refresh: refresh_token.clone(),
            },
        );
        TokenAnswer {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: lifetime,
            scope,
            id_token,
            refresh_token,
        }
    }

    /// A new token for `subject` without a code (admin and tests), within the limit.
    /// Returns the answer and how many tokens the limit revoked.
    pub(crate) fn issue_new(
        &mut self,
        subject: &Subject,
        client_id: &str,
        scopes: BTreeSet<String>,
        issuer: &str,
        now: DateTime<Utc>,
    ) -> (TokenAnswer, u64) {
        let revoked = self.make_room(subject, client_id, now);
        (self.issue(subject, client_id, scopes, issuer, now), revoked)
    }

    /// `grant_type=authorization_code`.
    pub(crate) fn exchange_code(
        &mut self,
        client_id: &str,
        code: &str,
        redirect_uri: Option<&str>,
        issuer: &str,
        now: DateTime<Utc>,
    ) -> Result<(TokenAnswer, u64), TokenError> {
        let grant = self
            .codes
            .get_mut(code)
            .ok_or_else(|| TokenError::grant("The authorization code is invalid"))?;
        if grant.used {
            return Err(TokenError::grant("The authorization code has been used"));
        }
        if grant.client_id != client_id {
            return Err(TokenError::grant(
                "The authorization code was issued to another client",
            ));
        }
        if now - grant.issued > Duration::seconds(CODE_SECONDS) {
            return Err(TokenError::grant("The authorization code has expired"));
        }
        if redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Err(TokenError::grant(
                "The redirect_uri does not match the one of the authorization request",
            ));
        }
        grant.used = true;
        let (subject, scopes) = (grant.subject.clone(), grant.scopes.clone());
        Ok(self.issue_new(&subject, client_id, scopes, issuer, now))
    }

    /// `grant_type=refresh_token`: the new pair replaces the old one (which is revoked).
    pub(crate) fn refresh(
        &mut self,
        client_id: &str,
        token: &str,
        issuer: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenAnswer, TokenError> {
        let grant = self
            .refresh
            .get_mut(token)
            .ok_or_else(|| TokenError::grant("The refresh token is invalid"))?;
        if grant.client_id != client_id {
            return Err(TokenError::grant(
                "The refresh token was issued to another client",
            ));
        }
        match grant.state {
            RefreshState::Active if now < grant.expires => {}
            RefreshState::Active => return Err(TokenError::grant("The refresh token has expired")),
            RefreshState::Used | RefreshState::Revoked => {
                return Err(TokenError::grant("The refresh token has been revoked"));
            }
        }
        grant.state = RefreshState::Used;
        let (subject, scopes) = (grant.subject.clone(), grant.scopes.clone());
        let old: Vec<String> = self
            .access
            .iter()
            .filter(|(_, g)| g.refresh.as_deref() == Some(token))
            .map(|(inner, _)| inner.clone())
            .collect();
        for inner in old {
            if let Some(g) = self.access.get_mut(&inner) {
                g.revoked = true;
            }
        }
        Ok(self.issue(&subject, client_id, scopes, issuer, now))
    }

    /// A personal access token (80 chars, no expiry, not bound to an application).
    pub(crate) fn personal(
        &mut self,
        subject: &Subject,
        scopes: BTreeSet<String>,
        now: DateTime<Utc>,
    ) -> String {
        let token = random_token(TOKEN_LENGTH);
        self.access.insert(
            token.clone(),
            AccessGrant {
                subject: subject.clone(),
                client_id: None,
                scopes,
                issued: now,
                expires: None,
                last_used: now,
                revoked: false,
                refresh: None,
            },
        );
        token
    }

    /// The grant of a bearer token (the JWT or its inner token); marks it used.
    pub(crate) fn authenticate(
        &mut self,
        bearer: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<AccessGrant, BearerRefusal> {
        let bearer = bearer.ok_or(BearerRefusal::Missing)?;
        let inner = if looks_like_jwt(bearer) {
            let claims = self.key.verify(bearer).ok_or(BearerRefusal::Invalid)?;
            claims
                .get("token")
                .and_then(Value::as_str)
                .ok_or(BearerRefusal::Invalid)?
                .to_owned()
        } else {
            bearer.to_owned()
        };
        let grant = self.access.get_mut(&inner).ok_or(BearerRefusal::Invalid)?;
        if grant.revoked {
            return Err(BearerRefusal::Revoked);
        }
        if grant.expires.is_some_and(|expires| now >= expires) {
            return Err(BearerRefusal::Expired);
        }
        grant.last_used = now;
        Ok(grant.clone())
    }

    /// Revoke every token of a user and application ("the user removed the app"); returns
    /// how many access tokens were still unrevoked.
    pub(crate) fn revoke_app(&mut self, username: &str, client_id: &str) -> usize {
        let mine: Vec<String> = self
            .access
            .iter()
            .filter(|(_, g)| {
                g.subject.username == username
                    && g.client_id.as_deref() == Some(client_id)
                    && !g.revoked
            })
            .map(|(inner, _)| inner.clone())
            .collect();
        for inner in &mine {
            self.revoke_grant(inner);
        }
        for r in self.refresh.values_mut() {
            if r.subject.username == username
                && r.client_id == client_id
                && r.state == RefreshState::Active
            {
                r.state = RefreshState::Revoked;
            }
        }
        mine.len()
    }

    /// Let every expiring access token expire now (refresh tokens keep working).
    pub(crate) fn expire_all(&mut self, now: DateTime<Utc>) {
        for grant in self.access.values_mut() {
            if let Some(expires) = grant.expires.as_mut() {
                *expires = (*expires).min(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 9, 15, 10, 0, 0)
            .single()
            .expect("valid")
    }

    fn subject() -> Subject {
        Subject {
            id: "1".to_owned(),
            username: "u".to_owned(),
        }
    }

    #[test]
    fn the_eleventh_token_revokes_the_least_recently_used() {
        let mut store = TokenStore::new(TokenMode::Rotating);
        let scopes = scope_set("openid upload_document");
        let mut inners = Vec::new();
        for i in 0..10 {
            let at = now() + Duration::seconds(i);
            let (answer, revoked) = store.issue_new(&subject(), "c", scopes.clone(), "iss", at);
            assert_eq!(revoked, 0);
            inners.push(answer.inner_token().expect("inner"));
        }
        // The first one is used later than the second: the second is now the LRU.
        let later = now() + Duration::seconds(20);
        assert!(store.authenticate(Some(&inners[0]), later).is_ok());
        let (_, revoked) = store.issue_new(&subject(), "c", scopes, "iss", later);
        assert_eq!(revoked, 1);
        assert_eq!(store.active_count("u", "c", later), 10);
        assert_eq!(
            store.authenticate(Some(&inners[1]), later).err(),
            Some(BearerRefusal::Revoked)
        );
        assert!(store.authenticate(Some(&inners[0]), later).is_ok());
    }
}
