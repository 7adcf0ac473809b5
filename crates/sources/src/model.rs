//! The normalised usage event every source produces: one row per billed model request.

/// Token counts of one request, normalised across tools.
///
/// `input` never includes cache reads or writes; `output` includes every billed output token
/// (reasoning included); `reasoning` is the informational part of `output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub cache_read: u64,
    pub output: u64,
    pub reasoning: u64,
}

impl Tokens {
    /// input + cache writes + cache read + output. Saturating: a hostile log's counts never wrap
    /// (the ledger skips records beyond a plausible range before storing anything).
    pub fn total(&self) -> u64 {
        self.input
            .saturating_add(self.cache_write_5m)
            .saturating_add(self.cache_write_1h)
            .saturating_add(self.cache_read)
            .saturating_add(self.output)
    }

    pub fn is_zero(&self) -> bool {
        self.total() == 0 && self.reasoning == 0
    }

    pub fn pricing(&self) -> tokenworth_pricing::Tokens {
        tokenworth_pricing::Tokens {
            input: self.input,
            cache_write_5m: self.cache_write_5m,
            cache_write_1h: self.cache_write_1h,
            cache_read: self.cache_read,
            output: self.output,
        }
    }
}

/// One billed model request, as read from a tool's log.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageEvent {
    /// Source id, e.g. `claude-code` or `codex`.
    pub source: &'static str,
    pub session_id: String,
    /// The working directory the tool ran in.
    pub project: String,
    pub model: String,
    /// True when the log named no model and the source's fallback was used.
    pub model_fallback: bool,
    /// UTC, milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// Globally unique key of the request: the same request read twice (another line, another
    /// scan, a copied file) has the same key and is stored once.
    pub dedupe_key: String,
    /// Claude Code's message id: a sidechain replay of a message already stored under another
    /// key is dropped (see `store`).
    pub group_key: Option<String>,
    pub sidechain: bool,
    pub tokens: Tokens,
    /// Cost the tool itself logged, if any.
    pub logged_cost_usd: Option<f64>,
    /// The git branch the log names for this request's session, if any.
    pub git_branch: Option<String>,
    /// The session this event's session was resumed or forked from, when the log shows it
    /// (same source). Stored per session, never used to count.
    pub parent_session: Option<String>,
}

/// A running total read from a log that keeps cumulative counters (a Goose session row, a Droid
/// `settings.json`, Copilot CLI's shutdown metrics). The ledger turns it into the delta since
/// the last observation of the same counter: a session that spans days has its spend on the
/// days it happened. A counter that goes down is a reset (its new value is the delta), never a
/// negative.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Identifies the counter across observations and files, within the source: e.g. the
    /// session id, or session id + model when a log keeps a total per model.
    pub counter: String,
    /// The delta's event: `tokens` and `logged_cost_usd` hold the cumulative values here;
    /// `ts_ms` is the log's own last-update time for this total, or 0 when it has none (the
    /// file's modification time is used); `dedupe_key` is made by the ledger and ignored here.
    pub event: UsageEvent,
}

/// What a parser produced from the lines, document or rows it was given.
#[derive(Debug, Default)]
pub struct Output {
    /// Billed requests, each with its own dedupe key.
    pub events: Vec<UsageEvent>,
    /// Running totals, turned into deltas by the ledger.
    pub totals: Vec<Observation>,
    /// Records that looked like usage but could not be read (a document's or a database's;
    /// line files count theirs per line through `LineOutcome::Malformed`).
    pub unreadable: u64,
}
