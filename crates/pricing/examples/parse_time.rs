//! Measures how long `PriceTable::embedded()` and the first fuzzy lookup take.
//! Run: `cargo run --release -p tokenworth-pricing --example parse_time`
use std::time::{Duration, Instant};

use tokenworth_pricing::PriceTable;

fn main() {
    let runs = 30;
    let mut parse = Vec::with_capacity(runs);
    let mut first_fuzzy = Vec::with_capacity(runs);
    let mut models = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let table = PriceTable::embedded();
        parse.push(t.elapsed());
        let t = Instant::now();
        // Not an exact key: builds the normalised index, then a containment pass.
        let _ = table.resolve("anthropic/claude-opus-4-1-thinking");
        first_fuzzy.push(t.elapsed());
        models = table.len();
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
    println!("PriceTable::from_json(full 3 MB JSON), for comparison: {}", stats(&mut full));
}
