//! Access tokens: short-lived HS256 JWTs signed with `SKILLDEX_AUTH_JWT_SECRET`.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Issuer and audience of every access token; tokens signed with the same secret for
/// another purpose are refused.
const ISSUER: &str = "skilldex";
const AUDIENCE: &str = "skilldex-api";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("signing the access token failed: {0}")]
pub struct SignError(#[from] jsonwebtoken::errors::Error);

/// Signs an access token for `user_id` valid for `ttl_secs`.
pub fn issue(secret: &str, user_id: Uuid, ttl_secs: i64) -> Result<String, SignError> {
    let now = Utc::now().timestamp();
    let claims = AccessClaims {
        sub: user_id,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        iat: now,
        exp: now + ttl_secs,
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

/// The claims of a valid, unexpired token signed with `secret`; `None` otherwise.
pub fn verify(secret: &str, token: &str) -> Option<AccessClaims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
    // Access tokens are short-lived; no grace beyond their expiry.
    validation.leeway = 0;
    jsonwebtoken::decode::<AccessClaims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip_and_rejections() {
        let user = Uuid::new_v4();
        let token = issue(SECRET, user, 60).unwrap();
        assert_eq!(verify(SECRET, &token).unwrap().sub, user);
        assert!(verify("another-secret-another-secret-xx", &token).is_none());
        let expired = issue(SECRET, user, -5).unwrap();
        assert!(verify(SECRET, &expired).is_none());
        let mut tampered = token.clone();
        tampered.push('x');
        assert!(verify(SECRET, &tampered).is_none());
    }
}
