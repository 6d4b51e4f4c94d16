//! Password hashing and verification (argon2id, PHC strings).

use std::sync::LazyLock;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{Salt, SaltString},
};
use rand::RngCore;

/// A hash of a password nobody knows, verified when the username is unknown so that such a
/// login costs the same as a wrong password (no user enumeration by timing).
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_password("skilldex-dummy-password-never-matches").ok());

#[derive(Debug, thiserror::Error)]
#[error("hashing the password failed: {0}")]
pub struct HashError(String);

/// Hashes `password` with argon2id and the crate's default parameters, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; Salt::RECOMMENDED_LENGTH];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`. A malformed stored hash never matches
/// (and is logged, since it means the account cannot log in).
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "stored password hash is not a valid PHC string");
            false
        }
    }
}

/// Computes the dummy hash now, so the first login of an unknown user does not take the
/// extra time of hashing it (which would tell that the user does not exist).
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

/// Spends the time of one verification without an account to check.
pub fn verify_dummy(password: &str) {
    if let Some(hash) = DUMMY_HASH.as_deref() {
        let _ = verify_password(password, hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let first = hash_password("correct horse").unwrap();
        let second = hash_password("correct horse").unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second);
        assert!(verify_password("correct horse", &first));
        assert!(!verify_password("wrong", &first));
        assert!(!verify_password("correct horse", "not-a-phc-string"));
    }
}
