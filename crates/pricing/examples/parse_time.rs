//! Measures how long `PriceTable::embedded()` and the first lookups take.
//! Run: `cargo run --release -p tokenworth-pricing --example parse_time`
//!
//! With `--once`, only builds the embedded table and resolves the typical names once, then
//! exits: for whole-process measurements (`perf stat -r 50 …/parse_time --once`), which also
//! count what the dynamic loader does before `main`.
use std::hint::black_box;
use std::time::{Duration, Instant};

use tokenworth_pricing::PriceTable;

/// Model names as the tools log them: exact keys, normalised, dated, `[1m]`, provider
/// paths, containment and fast mode.
const TYPICAL: [&str; 12] = [
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-5-20250929[1m]",
    "claude-opus-4-1",
    "claude-opus-4-1-20250805",
    "claude-haiku-4-5-20251001",
    "claude-opus-5-fast",
    "gpt-5",
    "gpt-5-codex",
    "gpt-5.1-codex",
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "anthropic/claude-opus-4-1-thinking",
];

fn embedded_and_typical() -> usize {
    let table = PriceTable::embedded();
    TYPICAL.iter().filter(|m| table.resolve(black_box(m)).is_some()).count()
}

fn main() {
    if std::env::args().any(|a| a == "--once") {
        black_box(embedded_and_typical());
        return;
    }
    let runs = 30;
    let mut parse = Vec::with_capacity(runs);
    let mut first_fuzzy = Vec::with_capacity(runs);
    let mut models = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let table = PriceTable::embedded();
        parse.push(t.elapsed());
        let t = Instant::now();
        // Not an exact key: a containment pass over the normalised index.
        let _ = table.resolve("anthropic/claude-opus-4-1-thinking");
        first_fuzzy.push(t.elapsed());
        models = table.len();
    }
    let runs = 500;
    let mut typical = Vec::with_capacity(runs);
    let mut priced = 0;
    for _ in 0..runs {
        let t = Instant::now();
        priced = black_box(embedded_and_typical());
        typical.push(t.elapsed());
    }
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        format!("min {:?}, median {:?}, max {:?}", v[0], v[v.len() / 2], v[v.len() - 1])
    };
    let json = include_str!("../data/litellm_prices.json");
    let mut full = Vec::with_capacity(5);
    for _ in 0..5 {
        let t = Instant::now();
        let table = PriceTable::from_json(json, "x").expect("shipped JSON parses");
        full.push(t.elapsed());
        assert_eq!(table.len(), models);
    }
    println!("models: {models}");
    println!("PriceTable::embedded(): {}", stats(&mut parse));
    println!("first non-exact resolve: {}", stats(&mut first_fuzzy));
    println!(
        "embedded() + resolve {} typical names ({priced} priced), {runs} runs: {}",
        TYPICAL.len(),
        stats(&mut typical)
    );
    println!("PriceTable::from_json(full 3 MB JSON), for comparison: {}", stats(&mut full));
}
