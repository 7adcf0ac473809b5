//! Grouping of table keys by normalised name, choosing one key per group.
//!
//! Also compiled into `build.rs` (via `#[path]`) to precompute the index of the
//! embedded table; the runtime computes the same index for tables from `from_json`.

use std::cmp::Reverse;
use std::collections::HashMap;

use crate::key::Key;
use crate::matching::normalize;
use crate::ModelPrice;

/// One priced table entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub key: Key,
    pub price: ModelPrice,
    /// See [`provider_tier`].
    pub tier: u8,
    /// Fast-mode multiplier on every price (`provider_specific_entry.fast`), if the
    /// table gives one.
    pub fast: Option<f64>,
}

/// Normalised names → index of the chosen record.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Groups {
    /// Sorted longest name first (then lexically), the order the containment pass needs.
    pub by_norm: Vec<(String, usize)>,
    /// `name-YYYYMMDD` for keys that carry a date, sorted lexically.
    pub by_dated: Vec<(String, usize)>,
}

/// Preference among keys sharing a normalised name: first-party APIs, then the big
/// clouds (Bedrock's list prices match Anthropic's more often than Vertex's), then
/// everything else.
pub(crate) fn provider_tier(provider: &str) -> u8 {
    match provider {
        "anthropic"
        | "openai"
        | "text-completion-openai"
        | "gemini"
        | "deepseek"
        | "xai"
        | "mistral"
        | "codestral"
        | "moonshot"
        | "zai"
        | "minimax"
        | "dashscope"
        | "cohere"
        | "cohere_chat"
        | "ai21" => 0,
        "bedrock" | "bedrock_converse" => 1,
        p if p.starts_with("vertex_ai") => 2,
        "azure" | "azure_ai" => 3,
        _ => 4,
    }
}

/// Smaller is better.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rank<'a> {
    /// $0 entries (local runners) only when nothing else shares the name.
    free: bool,
    tier: u8,
    /// Region/vendor prefixes such as `us.anthropic.`.
    dot_segments: u8,
    /// Provider paths such as `openrouter/anthropic/`.
    slash_segments: u8,
    /// The key differs from its normalised form (case, date, `.`…).
    not_canonical: bool,
    /// Newer dated snapshots first.
    newest: Reverse<String>,
    len: usize,
    key: &'a str,
}

pub(crate) fn build(records: &[Record]) -> Groups {
    let mut best: HashMap<String, (Rank, usize)> = HashMap::with_capacity(records.len());
    let mut best_dated: HashMap<String, (Rank, usize)> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let n = normalize(&r.key);
        if !n.name.bytes().any(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let rank = Rank {
            free: r.price.input == 0.0 && r.price.output == 0.0,
            tier: r.tier,
            dot_segments: n.dot_segments,
            slash_segments: n.slash_segments,
            not_canonical: r.key.as_str() != n.name,
            newest: Reverse(n.date.clone()),
            len: r.key.len(),
            key: &r.key,
        };
        if !n.date.is_empty() {
            keep_best(&mut best_dated, format!("{}-{}", n.name, n.date), rank.clone(), i);
        }
        keep_best(&mut best, n.name, rank, i);
    }
    let mut by_norm: Vec<(String, usize)> = best.into_iter().map(|(n, (_, i))| (n, i)).collect();
    by_norm.sort_unstable_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    let mut by_dated: Vec<(String, usize)> = best_dated.into_iter().map(|(n, (_, i))| (n, i)).collect();
    by_dated.sort_unstable();
    Groups { by_norm, by_dated }
}

fn keep_best<'a>(map: &mut HashMap<String, (Rank<'a>, usize)>, name: String, rank: Rank<'a>, i: usize) {
    match map.get_mut(&name) {
        Some(cur) if cur.0 <= rank => {}
        Some(cur) => *cur = (rank, i),
        None => {
            map.insert(name, (rank, i));
        }
    }
}
