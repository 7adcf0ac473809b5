//! Filler text, JSON string escaping, ids and timestamps.

use std::io::Write as _;

use chrono::{DateTime, Datelike, Timelike};

use crate::rng::Rng;

/// A block of pre-escaped JSON string content (the bytes between the quotes),
/// made of lines that each end with an escaped `\n`. Slicing at line starts
/// always yields valid, escaped UTF-8.
pub(crate) struct Pool {
    data: Vec<u8>,
    starts: Vec<usize>,
}

const WORDS: &[&str] = &[
    "config", "parser", "ledger", "request", "cache", "token", "session", "buffer", "index", "handler",
    "router", "schema", "report", "account", "invoice", "worker", "queue", "retry", "timeout", "client",
    "server", "metrics", "span", "trace", "user", "order", "payment", "migrate", "snapshot", "window",
    "offset", "cursor", "stream", "batch", "shard", "lease",
];
const TYPES: &[&str] = &["String", "Vec<u8>", "Option<u64>", "HashMap<String, Value>", "Result<()>", "&str"];
const UNICODE: &[&str] =
    &["naïve café", "→ ✓ done", "日本語のテスト", "Grüße, Jürgen", "emoji 🚀 ok", "São Paulo – €42"];

fn escape_into(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f => {
                let _ = write!(out, "\\u{b:04x}");
            }
            _ => out.push(b),
        }
    }
}

/// Appends `s` as a complete JSON string literal (with quotes).
pub(crate) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape_into(out, s);
    out.push(b'"');
}

impl Pool {
    pub(crate) fn new(rng: &mut Rng, approx_bytes: usize) -> Pool {
        let mut data = Vec::with_capacity(approx_bytes + 256);
        let mut starts = Vec::new();
        let mut line = String::new();
        while data.len() < approx_bytes {
            line.clear();
            let w = |r: &mut Rng| r.pick(WORDS);
            match rng.below(7) {
                0 => {
                    let indent = " ".repeat(4 * rng.below(4) as usize);
                    line.push_str(&format!(
                        "{indent}let {}_{} = {}::{}(&{}, \"{}\")?;",
                        w(rng),
                        rng.below(100),
                        w(rng),
                        w(rng),
                        w(rng),
                        w(rng)
                    ));
                }
                1 => line.push_str(&format!(
                    "pub fn {}_{}(&self, {}: {}) -> {} {{",
                    w(rng),
                    w(rng),
                    w(rng),
                    rng.pick(TYPES),
                    rng.pick(TYPES)
                )),
                2 => line.push_str(&format!(
                    "2026-03-{:02}T{:02}:{:02}:{:02}Z INFO {}::{}: {} {} took {}ms",
                    1 + rng.below(28),
                    rng.below(24),
                    rng.below(60),
                    rng.below(60),
                    w(rng),
                    w(rng),
                    w(rng),
                    w(rng),
                    rng.below(5000)
                )),
                3 => line.push_str(&format!("test {}::tests::{}_{} ... ok", w(rng), w(rng), w(rng))),
                4 => line.push_str(&format!(
                    "\t{{\"{}\": {}, \"path\": \"C:\\\\{}\\\\{}\"}},",
                    w(rng),
                    rng.below(100_000),
                    w(rng),
                    w(rng)
                )),
                5 => line.push_str(&format!("    // {} {}: {}", w(rng), rng.pick(UNICODE), w(rng))),
                _ => line.push_str(&format!(
                    "{}  | {} {} {} {}",
                    rng.below(999),
                    w(rng),
                    w(rng),
                    w(rng),
                    w(rng)
                )),
            }
            line.push('\n');
            starts.push(data.len());
            escape_into(&mut data, &line);
        }
        Pool { data, starts }
    }

    /// Appends roughly `approx` bytes of escaped text (whole lines; at least one line).
    pub(crate) fn append(&self, rng: &mut Rng, out: &mut Vec<u8>, approx: usize) {
        let mut remaining = approx.max(1);
        loop {
            let i = rng.below(self.starts.len() as u64) as usize;
            let from = self.starts[i];
            let want = from + remaining;
            // end at the first line start at or after `want` (always > from)
            let j = self.starts.partition_point(|&s| s < want);
            let to = self.starts.get(j).copied().unwrap_or(self.data.len());
            out.extend_from_slice(&self.data[from..to]);
            let got = to - from;
            if got >= remaining {
                return;
            }
            remaining -= got;
        }
    }
}

/// Base64-ish opaque blobs (signatures, encrypted reasoning).
pub(crate) struct Blob {
    data: Vec<u8>,
}

impl Blob {
    pub(crate) fn new(rng: &mut Rng, len: usize) -> Blob {
        const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let data = (0..len).map(|_| ALPHA[rng.below(64) as usize]).collect();
        Blob { data }
    }

    pub(crate) fn append(&self, rng: &mut Rng, out: &mut Vec<u8>, len: usize) {
        let len = len.min(self.data.len());
        let from = rng.below((self.data.len() - len + 1) as u64) as usize;
        out.extend_from_slice(&self.data[from..from + len]);
    }
}

/// `YYYY-MM-DDThh:mm:ss.mmmZ`
pub(crate) fn push_ts(out: &mut Vec<u8>, ms: i64) {
    let dt = DateTime::from_timestamp_millis(ms).expect("timestamp in range");
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.timestamp_subsec_millis()
    );
}

#[cfg(test)]
pub(crate) fn ts_string(ms: i64) -> String {
    let mut v = Vec::with_capacity(24);
    push_ts(&mut v, ms);
    String::from_utf8(v).expect("ascii")
}

fn hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
}

fn uuid_from_bytes(mut b: [u8; 16], version: u8) -> String {
    b[6] = (b[6] & 0x0f) | (version << 4);
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    hex(&mut s, &b[0..4]);
    s.push('-');
    hex(&mut s, &b[4..6]);
    s.push('-');
    hex(&mut s, &b[6..8]);
    s.push('-');
    hex(&mut s, &b[8..10]);
    s.push('-');
    hex(&mut s, &b[10..16]);
    s
}

fn random_bytes(rng: &mut Rng) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    b[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
    b
}

pub(crate) fn uuid_v4(rng: &mut Rng) -> String {
    uuid_from_bytes(random_bytes(rng), 4)
}

/// Time-ordered uuid as Codex uses for rollout ids.
pub(crate) fn uuid_v7(rng: &mut Rng, ms: i64) -> String {
    let mut b = random_bytes(rng);
    b[..6].copy_from_slice(&(ms as u64).to_be_bytes()[2..]);
    uuid_from_bytes(b, 7)
}

pub(crate) fn base62(rng: &mut Rng, prefix: &str, n: usize) -> String {
    const ALPHA: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut s = String::with_capacity(prefix.len() + n);
    s.push_str(prefix);
    for _ in 0..n {
        s.push(ALPHA[rng.below(62) as usize] as char);
    }
    s
}

pub(crate) fn hex_id(rng: &mut Rng, n: usize) -> String {
    let mut s = String::with_capacity(n);
    while s.len() < n {
        s.push_str(&format!("{:016x}", rng.next_u64()));
    }
    s.truncate(n);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_slices_are_valid_json_strings() {
        let mut rng = Rng::new(3);
        let pool = Pool::new(&mut rng, 64 * 1024);
        for size in [1usize, 100, 5000, 200_000] {
            let mut out = b"\"".to_vec();
            pool.append(&mut rng, &mut out, size);
            out.push(b'"');
            let s: String = serde_json::from_slice(&out).expect("valid json string");
            assert!(s.ends_with('\n'));
            assert!(out.len() >= size);
        }
    }

    #[test]
    fn timestamps_and_ids() {
        assert_eq!(ts_string(1_772_409_600_123), "2026-03-02T00:00:00.123Z");
        let mut rng = Rng::new(1);
        let u = uuid_v7(&mut rng, 1_772_409_600_123);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "7");
        assert_eq!(base62(&mut rng, "msg_01", 22).len(), 28);
    }
}
