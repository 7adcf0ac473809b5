//! Secrets the board hands out: member tokens, invites, device codes, sign-in links and page
//! sessions. Each is a short prefix naming its kind and 256 random bits in hex; only its
//! SHA-256 is stored, so a copy of the board's files holds no usable secret.

use sha2::{Digest, Sha256};

pub const MEMBER_TOKEN: &str = "twm_";
pub const ADMIN_TOKEN: &str = "twa_";
pub const INVITE: &str = "twi_";
pub const DEVICE_CODE: &str = "twd_";
pub const SIGNIN: &str = "tws_";
pub const SESSION: &str = "twc_";

fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[usize::from(b >> 4)] as char);
        s.push(H[usize::from(b & 15)] as char);
    }
    s
}

/// `prefix` + 256 random bits.
pub fn new_secret(prefix: &str) -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random source");
    format!("{prefix}{}", hex(&b))
}

/// A random id (128 bits), for members and devices: never derived from a name or a host.
pub fn new_id() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the operating system's random source");
    hex(&b)
}

/// The stored form of a secret.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// A secret of the expected kind and shape (checked before any lookup).
pub fn well_formed(secret: &str, prefix: &str) -> bool {
    secret.len() == prefix.len() + 64
        && secret.starts_with(prefix)
        && secret[prefix.len()..].bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed() {
        let a = new_secret(MEMBER_TOKEN);
        let b = new_secret(MEMBER_TOKEN);
        assert_ne!(a, b);
        assert!(well_formed(&a, MEMBER_TOKEN));
        assert!(!well_formed(&a, INVITE));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a[4..]);
        assert_eq!(new_id().len(), 32);
    }
}
