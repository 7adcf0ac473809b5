//! Token counts, per-token prices and the cost formula.
//!
//! Also compiled into `build.rs` (via `#[path]`), so it must not depend on the rest
//! of the crate.

use std::ops::{Add, AddAssign};

/// Token counts of one request or an aggregate of requests, normalised (input excludes
/// cache; output includes reasoning).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tokens {
    pub input: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub cache_read: u64,
    pub output: u64,
}

impl Tokens {
    /// Prompt size as seen by the provider: input + cache writes + cache read.
    pub fn prompt(&self) -> u64 {
        self.input
            .saturating_add(self.cache_write_5m)
            .saturating_add(self.cache_write_1h)
            .saturating_add(self.cache_read)
    }
}

impl Add for Tokens {
    type Output = Tokens;
    fn add(mut self, rhs: Tokens) -> Tokens {
        self += rhs;
        self
    }
}

impl AddAssign for Tokens {
    fn add_assign(&mut self, rhs: Tokens) {
        self.input = self.input.saturating_add(rhs.input);
        self.cache_write_5m = self.cache_write_5m.saturating_add(rhs.cache_write_5m);
        self.cache_write_1h = self.cache_write_1h.saturating_add(rhs.cache_write_1h);
        self.cache_read = self.cache_read.saturating_add(rhs.cache_read);
        self.output = self.output.saturating_add(rhs.output);
    }
}

/// The prompt-size threshold above which long-context prices apply to the whole request.
pub const LONG_CONTEXT_THRESHOLD: u64 = 200_000;

/// True when input + cache writes + cache read > 200_000 (decided per request — do not
/// call this on an aggregate of several requests).
pub fn is_long_context(t: &Tokens) -> bool {
    t.prompt() > LONG_CONTEXT_THRESHOLD
}

/// Prices in USD per token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    pub input: f64,
    pub output: f64,
    pub cache_write_5m: f64,
    pub cache_write_1h: f64,
    pub cache_read: f64,
    pub input_long: Option<f64>,
    pub output_long: Option<f64>,
    pub cache_write_5m_long: Option<f64>,
    pub cache_write_1h_long: Option<f64>,
    pub cache_read_long: Option<f64>,
}

impl ModelPrice {
    /// Cost in USD; when `long_context`, every field uses its `*_long` price where
    /// present (else the base one).
    pub fn cost(&self, t: &Tokens, long_context: bool) -> f64 {
        let p = |base: f64, long: Option<f64>| match long {
            Some(l) if long_context => l,
            _ => base,
        };
        t.input as f64 * p(self.input, self.input_long)
            + t.output as f64 * p(self.output, self.output_long)
            + t.cache_write_5m as f64 * p(self.cache_write_5m, self.cache_write_5m_long)
            + t.cache_write_1h as f64 * p(self.cache_write_1h, self.cache_write_1h_long)
            + t.cache_read as f64 * p(self.cache_read, self.cache_read_long)
    }

    /// Cost of a single request, deciding the tier with [`is_long_context`].
    pub fn request_cost(&self, t: &Tokens) -> f64 {
        self.cost(t, is_long_context(t))
    }

    /// Every price (long-context ones included) times `m`, e.g. a fast-mode multiplier.
    pub fn scaled(&self, m: f64) -> ModelPrice {
        let s = |x: f64| x * m;
        ModelPrice {
            input: s(self.input),
            output: s(self.output),
            cache_write_5m: s(self.cache_write_5m),
            cache_write_1h: s(self.cache_write_1h),
            cache_read: s(self.cache_read),
            input_long: self.input_long.map(s),
            output_long: self.output_long.map(s),
            cache_write_5m_long: self.cache_write_5m_long.map(s),
            cache_write_1h_long: self.cache_write_1h_long.map(s),
            cache_read_long: self.cache_read_long.map(s),
        }
    }

    /// Whether any long-context price is set.
    pub fn has_long_context_prices(&self) -> bool {
        self.input_long.is_some()
            || self.output_long.is_some()
            || self.cache_write_5m_long.is_some()
            || self.cache_write_1h_long.is_some()
            || self.cache_read_long.is_some()
    }
}
