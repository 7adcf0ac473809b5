//! Costs are computed from stored tokens at report time: a price override changes every past
//! day without reading a log again, and a model without a price is reported as unpriced, never
//! as $0.

use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::report::{self, Filter, Period, Pricer};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_pricing::PriceTable;

fn line(model: &str, id: &str, input: u64, output: u64) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"s1","cwd":"/p","requestId":"r{id}","timestamp":"2026-03-02T10:00:0{id}.000Z","message":{{"id":"m{id}","model":"{model}","usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#
    )
}

#[test]
fn costs_follow_prices_and_unknown_models_are_unpriced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("home/.claude/projects/-p");
    std::fs::create_dir_all(&dir).unwrap();
    let body =
        [line("claude-sonnet-4-5-20250929", "1", 1_000_000, 100_000), line("acme-coder-9", "2", 2_000, 500)]
            .join("\n")
            + "\n";
    std::fs::write(dir.join("s1.jsonl"), body).unwrap();
    let env = Env::with_home(tmp.path().join("home"));
    let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
    ingest::scan(&mut store, &env, &source::all(), &ScanOptions::default()).unwrap();
    let filter = Filter::new(chrono_tz::UTC);

    let mut table = PriceTable::embedded();
    let before = report::periods(&store, &Pricer::new(&table), &filter, Period::Day).unwrap();
    // Sonnet 4.5 list price: $3 in, $15 out per million.
    assert!((before.total.cost_usd - (3.0 + 1.5)).abs() < 1e-9, "{}", before.total.cost_usd);
    assert_eq!(before.total.unpriced_tokens, 2_500, "the unknown model is unpriced, not $0");

    // Delete the log: the ledger keeps it, and new prices still apply to it.
    std::fs::remove_file(dir.join("s1.jsonl")).unwrap();
    ingest::scan(&mut store, &env, &source::all(), &ScanOptions::default()).unwrap();
    table
        .apply_overrides(
            "[pricing.models.\"claude-sonnet-4-5\"]\ninput = 1.0\noutput = 2.0\n\n[pricing.models.\"acme-coder-9\"]\ninput = 1000.0\noutput = 1000.0\n",
        )
        .unwrap();
    let after = report::periods(&store, &Pricer::new(&table), &filter, Period::Day).unwrap();
    let want = 1.0 + 0.2 + 2.5;
    assert!((after.total.cost_usd - want).abs() < 1e-9, "{} != {want}", after.total.cost_usd);
    assert_eq!(after.total.unpriced_tokens, 0);
    assert_eq!(after.total.total_tokens, before.total.total_tokens);
}
