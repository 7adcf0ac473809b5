//! Model prices and cost computation. Knows nothing of logs, SQLite or terminals.
//!
//! * [`PriceTable::embedded`] is the LiteLLM price snapshot shipped in
//!   `crates/pricing/data/litellm_prices.json` (MIT, see `data/LITELLM_LICENSE`), turned
//!   into static arrays and sorted name indexes by `build.rs`: nothing is parsed at start.
//! * [`PriceTable::resolve`] maps a model name as logged by a tool to a [`ModelPrice`];
//!   `None` means "unpriced" — callers must surface that rather than assume $0.
//! * [`ModelPrice::cost`] prices a normalised [`Tokens`] record.
//!
//! # Name matching
//! 1. user override, exact name, then normalised name;
//! 2. table key, exact, then normalised (lowercase; provider paths such as
//!    `anthropic/`, `openrouter/x/`, `vertex_ai/` and Bedrock prefixes such as
//!    `us.anthropic.` removed; `@…`, `-v1:0`, `[1m]` and date suffixes `-20250929` /
//!    `-2025-08-07` removed; `.` → `-`). When several table keys normalise alike, a
//!    first-party entry (provider `anthropic`, `openai`, …) is preferred over clouds
//!    (Bedrock, Vertex, Azure) and those over resellers; priced entries over $0 ones;
//!    un-prefixed keys over region-prefixed ones;
//! 3. boundary-aware containment: the longest normalised key (or override) occurring in
//!    the normalised name between non-alphanumeric characters, where a key ending in a
//!    digit must not be followed by `-<digits>` (a different version: `gpt-5` does not
//!    match `gpt-5-9999`, `claude-sonnet-4` does not match `claude-sonnet-4-5`) unless
//!    the digits form a date (`-20250929`, `-2025-08-07`).
//!
//! # Fast mode
//! A name ending in `-fast` (what the Claude Code source stores for a request logged with
//! `usage.speed: "fast"`) is priced as the name without the suffix times that entry's
//! `provider_specific_entry.fast` multiplier, on every token kind and on the long-context
//! prices alike (ccusage 20 multiplies the whole request cost the same way). A table key
//! or override spelled with the suffix (`grok-4-fast`, a separately priced model) wins.
//! A model whose entry has no multiplier (and every override) is priced at its base
//! price: the table says nothing about a premium, so none is invented.
//!
//! # Overrides (`config.toml`)
//! ```toml
//! [pricing.models."my-local-model"]
//! input = 3.0            # USD per million tokens (required)
//! output = 15.0          # required
//! cache_write_5m = 3.75  # optional, default input × 1.25
//! cache_write_1h = 6.0   # optional, default input × 2
//! cache_read = 0.3       # optional, default input × 0.1
//! input_above_200k = 6.0 # optional long-context prices, likewise output_above_200k,
//!                        # cache_write_5m_above_200k, cache_write_1h_above_200k and
//!                        # cache_read_above_200k (the cache ones default to
//!                        # input_above_200k × 1.25 / × 2 / × 0.1 when it is given)
//! ```
//! Every other section of the file is ignored. Unknown fields inside a model table,
//! non-numeric, negative or non-finite prices and a missing `input`/`output` are errors.

mod compact;
mod embedded;
mod grouping;
mod key;
mod matching;
mod overrides;
mod parse;
mod price;
mod store;
mod update;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use grouping::Record;
use matching::{contains_at_boundary, normalize};
use store::{NameMap, NormIndex, Records};

pub use price::{is_long_context, ModelPrice, Tokens, LONG_CONTEXT_THRESHOLD};
pub use update::MIN_CHAT_MODELS;

/// Errors from loading a price table or a user override file.
#[derive(Debug)]
pub enum PricingError {
    /// The price-table JSON is malformed.
    Json(serde_json::Error),
    /// The config file is not valid TOML.
    Toml(toml::de::Error),
    /// A value in the override section is invalid; `path` is the TOML path of the
    /// offending field, e.g. `pricing.models."my-model".input`.
    Override { path: String, message: String },
    /// A price-table JSON that parses but is not a usable LiteLLM table (see
    /// [`PriceTable::from_update_json`]).
    Invalid(String),
}

impl fmt::Display for PricingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PricingError::Json(e) => write!(f, "invalid price table JSON: {e}"),
            PricingError::Toml(e) => write!(f, "invalid TOML in config file: {e}"),
            PricingError::Override { path, message } => {
                write!(f, "invalid price override `{path}`: {message}")
            }
            PricingError::Invalid(m) => write!(f, "not a usable price table: {m}"),
        }
    }
}

impl std::error::Error for PricingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PricingError::Json(e) => Some(e),
            PricingError::Toml(e) => Some(e),
            PricingError::Override { .. } | PricingError::Invalid(_) => None,
        }
    }
}

/// The embedded table in the compact text form, for the tests that check it and the static
/// data against the JSON.
#[cfg(test)]
const EMBEDDED_COMPACT: &str = include_str!(concat!(env!("OUT_DIR"), "/prices.tsv"));
const EMBEDDED_VERSION: &str = include_str!("../data/VERSION");
const EMBEDDED_DATE: &str = include_str!("../data/DATE");

/// The date of the shipped price snapshot (`YYYY-MM-DD`, from `data/DATE`): the day the LiteLLM
/// release it was taken from was published. `tokenworth --version` names it.
pub fn embedded_date() -> &'static str {
    EMBEDDED_DATE.trim()
}

/// A price table: the LiteLLM snapshot plus user overrides. `Send + Sync`; resolution
/// results are cached internally.
pub struct PriceTable {
    version: Cow<'static, str>,
    /// Static for the embedded table, else owned (see `store.rs`).
    records: Records,
    /// Original key → record.
    exact: NameMap,
    /// Precomputed for the embedded table (static) and for tables read from the compact
    /// form, else built on the first lookup that is not an exact key.
    index: OnceLock<NormIndex>,
    overrides: HashMap<String, ModelPrice>,
    /// Normalised override name → override name.
    override_norms: HashMap<String, String>,
    cache: Mutex<HashMap<String, Option<(String, ModelPrice)>>>,
}

/// Suffix of the model names of fast-mode requests.
pub const FAST_SUFFIX: &str = "-fast";

impl fmt::Debug for PriceTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PriceTable")
            .field("version", &self.version)
            .field("models", &self.records.len())
            .field("overrides", &self.overrides.len())
            .finish_non_exhaustive()
    }
}

impl PriceTable {
    /// The shipped LiteLLM snapshot (turned into static data at build time from
    /// `data/litellm_prices.json`; tests check it against the JSON). Allocates nothing
    /// until something is resolved.
    pub fn embedded() -> PriceTable {
        let table = PriceTable::with_records(
            Cow::Borrowed(EMBEDDED_VERSION.trim()),
            Records::embedded(),
            store::embedded_exact(),
        );
        let _ = table.index.set(NormIndex::embedded());
        table
    }

    /// Read a table saved by [`PriceTable::to_compact`]; `None` when the text is not
    /// one (damaged, truncated, or written by a different format version). Its version
    /// is the one saved with it, else `default_version`.
    pub fn from_compact(text: &str, default_version: &str) -> Option<PriceTable> {
        let (records, groups) = compact::read(text)?;
        let version = compact::read_version(text).unwrap_or(default_version);
        let table = PriceTable::new(version, records);
        let _ = table.index.set(NormIndex::new(groups));
        Some(table)
    }

    /// The table (without overrides) in the compact form [`PriceTable::from_compact`]
    /// reads, with its version and name index: about ten times faster to load than the
    /// LiteLLM JSON it came from.
    pub fn to_compact(&self) -> String {
        let groups = self.norm_index().groups();
        compact::write_versioned(&self.records, &groups, Some(&self.version))
    }

    fn new(version: &str, records: Vec<Record>) -> PriceTable {
        let exact = store::exact_keys(&records);
        PriceTable::with_records(Cow::Owned(version.to_owned()), Records::owned(records), exact)
    }

    fn with_records(version: Cow<'static, str>, records: Records, exact: NameMap) -> PriceTable {
        PriceTable {
            version,
            records,
            exact,
            index: OnceLock::new(),
            overrides: HashMap::new(),
            override_norms: HashMap::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Parse a table in LiteLLM's `model_prices_and_context_window.json` format.
    /// Entries without both an input and an output price, and `sample_spec`, are
    /// skipped; unknown fields are ignored.
    pub fn from_json(json: &str, version: &str) -> Result<PriceTable, PricingError> {
        let mut records = parse::parse_table(json).map_err(PricingError::Json)?;
        records.retain(|r| compact::storable(&r.key));
        Ok(PriceTable::new(version, records))
    }

    /// [`PriceTable::from_json`] for a table that is to replace the one in use: refused
    /// unless it is an object of model entries with at least [`MIN_CHAT_MODELS`] chat models
    /// priced for input and output, and every price in it is finite and not negative.
    pub fn from_update_json(json: &str, version: &str) -> Result<PriceTable, PricingError> {
        update::check(json)?;
        PriceTable::from_json(json, version)
    }

    /// Apply user overrides from the `[pricing.models."<name>"]` tables of a config file
    /// (see the crate docs for the format). Other sections are ignored. On error nothing
    /// is applied. May be called repeatedly; later calls win for the same model name.
    pub fn apply_overrides(&mut self, config_toml: &str) -> Result<(), PricingError> {
        let parsed = overrides::parse_overrides(config_toml)?;
        for (name, price) in parsed {
            let norm = normalize(&name).name;
            if norm.bytes().any(|b| b.is_ascii_alphanumeric()) {
                self.override_norms.insert(norm, name.clone());
            }
            self.overrides.insert(name, price);
        }
        self.cache.get_mut().unwrap_or_else(PoisonError::into_inner).clear();
        Ok(())
    }

    /// Price of `model`, or `None` when it cannot be priced (never a silent $0).
    pub fn resolve(&self, model: &str) -> Option<ModelPrice> {
        self.lookup(model).map(|(_, p)| p)
    }

    /// Which table key (or, for a user override, the override's name as written in the
    /// config) `model` resolves to, for diagnostics.
    pub fn resolve_key(&self, model: &str) -> Option<String> {
        self.lookup(model).map(|(k, _)| k)
    }

    /// The data version, e.g. `litellm-1.109.1`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Number of priced models in the table (overrides not counted).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when the table holds no priced model.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn lookup(&self, model: &str) -> Option<(String, ModelPrice)> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = cache.get(model) {
            return hit.clone();
        }
        let found = self.find(model);
        cache.insert(model.to_owned(), found.clone());
        found
    }

    fn record(&self, i: usize) -> Option<(String, ModelPrice)> {
        self.records.get(i).map(|r| (r.key.to_string(), r.price))
    }

    fn norm_index(&self) -> &NormIndex {
        self.index.get_or_init(|| NormIndex::new(grouping::build(&self.records)))
    }

    fn find(&self, model: &str) -> Option<(String, ModelPrice)> {
        let plain = self.find_plain(model);
        let trimmed = model.trim();
        let Some(base_name) = strip_fast_suffix(trimmed) else {
            return plain;
        };
        if self.overrides.contains_key(trimmed) || self.exact.contains(trimmed) {
            return plain;
        }
        let Some((base_key, base_price)) = self.find_plain(base_name) else {
            return plain;
        };
        // `-fast` named a model of its own (`grok-4-fast`, an override): keep it.
        if plain.as_ref().is_some_and(|(k, _)| *k != base_key) {
            return plain;
        }
        let fast = match self.exact.get(&base_key) {
            Some(i) if !self.overrides.contains_key(&base_key) => self.records.get(i).and_then(|r| r.fast),
            _ => None,
        };
        match fast {
            Some(m) => Some((format!("{base_key}{FAST_SUFFIX} (x{m})"), base_price.scaled(m))),
            None => Some((base_key, base_price)),
        }
    }

    fn find_plain(&self, model: &str) -> Option<(String, ModelPrice)> {
        let trimmed = model.trim();
        if !trimmed.bytes().any(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        if let Some(p) = self.overrides.get(trimmed) {
            return Some((trimmed.to_owned(), *p));
        }
        let normalized = normalize(trimmed);
        let norm = normalized.name;
        let override_named = |name: &String| Some((name.clone(), *self.overrides.get(name)?));
        if let Some(name) = self.override_norms.get(&norm) {
            return override_named(name);
        }
        if let Some(i) = self.exact.get(trimmed) {
            return self.record(i);
        }
        if !norm.bytes().any(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let index = self.norm_index();
        if !normalized.date.is_empty() {
            if let Some(i) = index.by_dated.get(&format!("{norm}-{}", normalized.date)) {
                return self.record(i);
            }
        }
        if let Some(i) = index.by_norm.get(&norm) {
            return self.record(i);
        }
        // Containment: the longest key wins; an override wins a tie.
        let best_override = self
            .override_norms
            .iter()
            .filter(|(n, _)| contains_at_boundary(&norm, n))
            .max_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| b.0.cmp(a.0)));
        let best_table =
            index.by_len.iter().find(|(n, _)| n.len() <= norm.len() && contains_at_boundary(&norm, n));
        match (best_override, best_table) {
            (Some((on, name)), t) if t.is_none_or(|(tn, _)| on.len() >= tn.len()) => override_named(name),
            (_, Some(&(_, i))) => self.record(i),
            _ => None,
        }
    }
}

/// `name` without a trailing `-fast` (any case), if it has one and something before it.
fn strip_fast_suffix(name: &str) -> Option<&str> {
    let cut = name.len().checked_sub(FAST_SUFFIX.len())?;
    let (base, suffix) = (name.get(..cut)?, name.get(cut..)?);
    (suffix.eq_ignore_ascii_case(FAST_SUFFIX) && base.bytes().any(|b| b.is_ascii_alphanumeric()))
        .then_some(base)
}

#[cfg(test)]
mod tests;
