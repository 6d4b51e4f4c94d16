//! Opaque secrets handed to clients (API tokens, refresh tokens): random, shown once, stored
//! only as a sha256 hash.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of API tokens, so they are recognisable (and findable by secret scanners).
pub const API_TOKEN_PREFIX: &str = "sdx_";
/// Prefix of refresh tokens.
pub const REFRESH_TOKEN_PREFIX: &str = "sdr_";
/// Characters of an API token kept in clear (`sdx_` and 8 more) to tell tokens apart.
pub const SHOWN_PREFIX_LEN: usize = 12;

/// `prefix` followed by 32 random bytes in hex.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Lower-case hex sha256 of the token, the form stored and looked up. A fast hash is
/// enough: the tokens carry 256 random bits, so there is nothing to brute-force.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Equality whose time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_hashed() {
        let a = generate(API_TOKEN_PREFIX);
        let b = generate(API_TOKEN_PREFIX);
        assert!(a.starts_with("sdx_"));
        assert_eq!(a.len(), 4 + 64);
        assert_ne!(a, b);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
