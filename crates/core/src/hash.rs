//! Stable 64-bit hashes for file fingerprints stored in the database. `std`'s hasher is not
//! stable across Rust releases, so it must not be persisted.
//!
//! A stored cursor names the function its hashes were made with (`files.fingerprint`), so a
//! faster function never makes old cursors look like replaced files.

/// The fingerprint function this build writes: 2, [`words`].
pub const FINGERPRINT: i64 = 2;

/// The hash of fingerprint function `version` (1: [`fnv1a`], otherwise [`words`]).
pub fn fingerprint(version: i64, bytes: &[u8]) -> u64 {
    if version == 1 {
        fnv1a(bytes)
    } else {
        words(bytes)
    }
}

/// Fingerprint function 1: byte-wise FNV-1a (what cursors written before schema 3 hold).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Fingerprint function 2: eight bytes a step (a byte at a time costs a multiply per byte, and
/// a scan hashes 8 KiB of every file it reads), then a final mix of the length and the state.
pub fn words(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(K).rotate_left(31);
    }
    let mut last = [0u8; 8];
    let rest = chunks.remainder();
    last[..rest.len()].copy_from_slice(rest);
    h = (h ^ u64::from_le_bytes(last)).wrapping_mul(K).rotate_left(31);
    h ^= bytes.len() as u64;
    // murmur3's finaliser: every input bit reaches every output bit.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fingerprint(1, b"a"), fnv1a(b"a"));
        assert_eq!(fingerprint(FINGERPRINT, b"a"), words(b"a"));
    }

    /// Stored values must never change: a cursor written by this build is checked by later ones.
    #[test]
    fn words_is_stable() {
        assert_eq!(words(b""), 0x7222_6624_8b6d_5286);
        assert_eq!(words(b"{\"type\":\"assistant\"}\n"), 0xaebe_ed0d_a4ea_3589);
    }

    #[test]
    fn words_sees_every_byte_and_the_length() {
        let base: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
        let h = words(&base);
        for i in [0, 1, 7, 8, 9, 4000, 4095] {
            let mut b = base.clone();
            b[i] ^= 1;
            assert_ne!(words(&b), h, "byte {i}");
        }
        assert_ne!(words(&base[..4095]), h);
        assert_ne!(words(b"ab"), words(b"ab\0"), "a zero byte at the end still counts");
    }
}
