//! A per-token rate limit (a token bucket per key). A request over it gets 429 with the
//! seconds to wait in `Retry-After`. Keys are token hashes, so a wrong token is limited too.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Requests a token may make at once.
pub const DEFAULT_BURST: u32 = 60;
/// Requests a token may make per minute, sustained.
pub const DEFAULT_PER_MINUTE: u32 = 120;
/// Buckets kept before full ones are forgotten.
const MAX_KEYS: usize = 200_000;

pub struct Limiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    pub fn new(burst: u32, per_minute: u32) -> Limiter {
        Limiter {
            burst: f64::from(burst.max(1)),
            per_second: f64::from(per_minute.max(1)) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket, or says how many seconds to wait.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() >= MAX_KEYS && !b.contains_key(key) {
            let (burst, rate) = (self.burst, self.per_second);
            b.retain(|_, (level, at)| *level + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (level, at) = b.entry(key.to_string()).or_insert((self.burst, now));
        *level = (*level + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *level) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_over_the_limit_waits() {
        let l = Limiter::new(3, 60);
        assert!(l.check("a").is_ok() && l.check("a").is_ok() && l.check("a").is_ok());
        assert_eq!(l.check("a"), Err(1));
        assert!(l.check("b").is_ok());
    }
}
