//! A Droid session that runs over several days: its settings file is rewritten with growing
//! cumulative totals, and each scan's delta falls on the day of the file's mtime then.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::report::{self, Filter, Period, Pricer};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_pricing::PriceTable;

fn write(path: &Path, input: u64, output: u64, thinking: u64, mtime_s: u64) {
    let doc = format!(
        r#"{{"model":"gpt-5","providerLock":"openai","providerLockTimestamp":"2026-03-02T10:00:00.000Z","tokenUsage":{{"inputTokens":{input},"outputTokens":{output},"cacheCreationTokens":0,"cacheReadTokens":0,"thinkingTokens":{thinking}}}}}"#
    );
    std::fs::write(path, doc).unwrap();
    let f = std::fs::File::options().append(true).open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(mtime_s)).unwrap();
}

#[test]
fn a_multi_day_session_lands_on_the_days_it_happened() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("home/.factory/sessions/-home-dev-acme");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s-multi.settings.json");
    let env = Env::with_home(tmp.path().join("home"));
    let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
    let scan = |store: &mut Store| {
        let r = ingest::scan(store, &env, &source::all(), &ScanOptions::default()).unwrap();
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    };
    let scan_reset = |store: &mut Store| {
        let r = ingest::scan(store, &env, &source::all(), &ScanOptions::default()).unwrap();
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        let w = &r.warnings[0];
        assert!(w.contains("s-multi.settings.json") && w.contains("went down") && w.contains("reset"), "{w}");
    };
    // 2026-03-02 12:00, 2026-03-03 09:00, then a reset (lower totals) on 2026-03-04 08:00.
    write(&file, 1000, 100, 10, 1_772_452_800);
    scan(&mut store);
    write(&file, 3500, 400, 30, 1_772_528_400);
    scan(&mut store);
    scan(&mut store); // nothing new
    write(&file, 200, 20, 0, 1_772_611_200);
    scan_reset(&mut store);
    scan(&mut store); // the same lower total again: nothing new, no warning
    let table = PriceTable::embedded();
    let rep =
        report::periods(&store, &Pricer::new(&table), &Filter::new(chrono_tz::UTC), Period::Day).unwrap();
    let days: Vec<(String, u64, u64, u64)> = rep
        .rows
        .iter()
        .map(|r| {
            let t = &r.sources["droid"];
            (r.key.clone(), t.input_tokens, t.output_tokens, t.reasoning_tokens)
        })
        .collect();
    assert_eq!(
        days,
        vec![
            ("2026-03-02".to_string(), 1000, 110, 10),
            ("2026-03-03".to_string(), 2500, 320, 20),
            ("2026-03-04".to_string(), 200, 20, 0),
        ]
    );
}
