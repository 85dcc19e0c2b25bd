//! The OIDC token's JWT form: `base64url(header).base64url(claims).base64url(signature)`,
//! signed with HMAC-SHA256 under a key made at start.
//!
//! Clearfacts signs with RS256 and publishes its keys; a client only sends the JWT back as a
//! bearer token (or the inner 80-char token it wraps), so the simulator keeps the key to
//! itself and publishes no keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde_json::{Map, Value, json};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The signing algorithm named in the header and in the discovery document.
pub const ALGORITHM: &str = "HS256";

/// The simulator's signing key.
#[derive(Clone)]
pub(crate) struct JwtKey {
    secret: [u8; 32],
}

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKey(..)")
    }
}

impl JwtKey {
    /// A fresh random key.
    pub(crate) fn random() -> Self {
        let mut secret = [0u8; 32];
        rand::rng().fill(&mut secret);
        Self { secret }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.secret).expect("HMAC takes a key of any length")
    }

    /// A signed JWT holding `claims`.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": ALGORITHM, "typ": "JWT"});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = mac.finalize().into_bytes();
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The claims of a JWT this key signed, or `None` when it is malformed or not ours.
    pub(crate) fn verify(&self, token: &str) -> Option<Map<String, Value>> {
        let mut parts = token.split('.');
        let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        if header.get("alg").and_then(Value::as_str) != Some(ALGORITHM) {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.mac();
        mac.update(token.get(..token.rfind('.')?)?.as_bytes());
        mac.verify_slice(&signature).ok()?;
        match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }
}

/// Whether a bearer token looks like a JWT (three dot-separated parts).
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_claims_come_back_and_tampering_is_refused() {
        let key = JwtKey::random();
        let jwt = key.sign(&json!({"sub": "1001", "token": "abc"}));
        assert!(looks_like_jwt(&jwt));
        let claims = key.verify(&jwt).expect("valid");
        assert_eq!(claims["token"], "abc");
        let other = JwtKey::random();
        assert!(other.verify(&jwt).is_none());
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({"sub": "1001", "token": "xyz"}).to_string());
        parts[1] = &forged;
        assert!(key.verify(&parts.join(".")).is_none());
        assert!(key.verify("a.b").is_none());
    }
}
