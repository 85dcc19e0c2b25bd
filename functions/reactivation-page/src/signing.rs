//! Signed tokens the page hands out and takes back: the session cookie, the OAuth `state`
//! and the CSRF token. Each is `base64url(JSON) . base64url(HMAC-SHA256)` under the key of
//! the app secret, with an expiry inside; nothing in them is secret, everything in them is
//! checked. Keys are separated by purpose (a state can never pass for a session).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::Sha256;

/// The key that signs the page's tokens.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

impl SigningKey {
    /// A key from the app secret's `session_key` (at least 32 bytes of text).
    pub fn new(key: &str) -> Option<Self> {
        (key.len() >= 32).then(|| Self(key.as_bytes().to_vec()))
    }

    fn mac(&self, purpose: &str, payload: &[u8]) -> Hmac<Sha256> {
        // `new_from_slice` takes keys of any length for HMAC.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(payload);
        mac
    }

    /// `value` signed for `purpose`.
    pub fn sign<T: Serialize>(&self, purpose: &str, value: &T) -> String {
        let payload = serde_json::to_vec(value).unwrap_or_default();
        let tag = self.mac(purpose, &payload).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The value of a token signed for `purpose`, when the signature holds (compared in
    /// constant time) and it has not expired at `now`.
    pub fn verify<T: DeserializeOwned + Expiring>(
        &self,
        purpose: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Option<T> {
        let (payload, tag) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(purpose, &payload).verify_slice(&tag).ok()?;
        let value: T = serde_json::from_slice(&payload).ok()?;
        (now < value.expires_at()).then_some(value)
    }
}

/// A signed value with an end.
pub trait Expiring {
    /// When it stops being valid.
    fn expires_at(&self) -> DateTime<Utc>;
}

/// Who is signed in: the session cookie's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Teamleader account (tenant): the only one this session sees.
    pub account: String,
    /// Teamleader user id.
    pub user: String,
    /// Name to greet.
    pub name: String,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    /// End of the session.
    pub expires_at: DateTime<Utc>,
}

impl Expiring for Session {
    fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

/// The OAuth `state`: single-use (its nonce is taken once), ten minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthState {
    /// Random, taken once when the callback comes back.
    pub nonce: String,
    /// End of validity.
    pub expires_at: DateTime<Utc>,
}

impl Expiring for OAuthState {
    fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

/// Purpose of session cookies.
pub const SESSION: &str = "session";
/// Purpose of OAuth states.
pub const STATE: &str = "oauth-state";

/// A random token (128 bits, base64url).
pub fn random_token() -> String {
    let bytes: [u8; 16] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Constant-time comparison of two tokens (CSRF).
pub fn same_token(a: &str, b: &str) -> bool {
    let key = SigningKey(random_token().into_bytes());
    let tag = key.mac("compare", a.as_bytes()).finalize().into_bytes();
    key.mac("compare", b.as_bytes()).verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn key() -> SigningKey {
        SigningKey::new("0123456789abcdef0123456789abcdef").unwrap()
    }

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_signed_session_comes_back_until_it_expires_and_not_after_tampering() {
        let session = Session {
            account: "A".into(),
            user: "u".into(),
            name: "Ann".into(),
            csrf: random_token(),
            expires_at: at(12),
        };
        let token = key().sign(SESSION, &session);
        assert_eq!(
            key().verify::<Session>(SESSION, &token, at(11)),
            Some(session.clone())
        );
        assert_eq!(
            key().verify::<Session>(SESSION, &token, at(12)),
            None,
            "expired"
        );
        assert_eq!(
            key().verify::<Session>(STATE, &token, at(11)),
            None,
            "other purpose"
        );
        let other = SigningKey::new("another key of at least thirty-two bytes").unwrap();
        assert_eq!(other.verify::<Session>(SESSION, &token, at(11)), None);
        let (payload, tag) = token.split_once('.').unwrap();
        let forged = Session {
            account: "B".into(),
            ..session
        };
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_ne!(payload, forged_payload);
        assert_eq!(
            key().verify::<Session>(SESSION, &format!("{forged_payload}.{tag}"), at(11)),
            None,
            "another account with the first one's signature"
        );
        assert_eq!(key().verify::<Session>(SESSION, "garbage", at(11)), None);
    }

    #[test]
    fn short_keys_are_refused_and_tokens_compare_exactly() {
        assert!(SigningKey::new("short").is_none());
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", ""));
    }
}
