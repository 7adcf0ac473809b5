//! The per-day sums the writer keeps in its zone (migration 8, `day_rollup`): day, week and month
//! reports read them instead of the quarter-hour rollup, and must say exactly what the rollup
//! says, across offset changes, for batches that add to days already stored, after a rebuild
//! and in another zone.

#[path = "support/ledger.rs"]
#[allow(dead_code)] // ledger_with
mod ledger;

use chrono_tz::Tz;
use ledger::request;
use serde_json::Value;
use tokenworth_core::report::{self, Filter, Period, Pricer};
use tokenworth_core::store::Store;
use tokenworth_core::UsageEvent;
use tokenworth_pricing::PriceTable;

/// 2026-03-01T00:00:00Z: the requests span March and early April (New York changes its offset
/// on 8 March, Berlin on 29 March; Lord Howe's half-hour change is on 5 April).
const START_MS: i64 = 1_772_323_200_000;

/// `n` requests at pseudo-random times over 40 days, of two sources, three models and logged
/// costs, keyed `tag`-i.
fn requests(tag: &str, n: u64, seed: u64) -> Vec<UsageEvent> {
    let mut x = seed;
    let mut next = move || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    (0..n)
        .map(|i| {
            let ts = START_MS + (next() % (40 * 86_400)) as i64 * 1000;
            let mut e =
                request(&format!("{tag}-{i}"), &format!("s{}", i % 7), "/p", ts, 1000 + next() % 5000);
            e.tokens.cache_read = next() % 50_000;
            e.tokens.output = next() % 3000;
            e.model = ["claude-sonnet-4-5", "claude-opus-4-1", "gpt-5-codex"][(next() % 3) as usize].into();
            if e.model == "gpt-5-codex" {
                e.source = "codex";
            }
            if next() % 5 == 0 {
                e.logged_cost_usd = Some((next() % 1000) as f64 / 997.0);
            }
            e
        })
        .collect()
}

/// The day, week and month reports (whole, a range, one source) as their JSON.
fn reports(store: &Store, tz: Tz) -> Vec<Value> {
    let table = PriceTable::embedded();
    let pricer = Pricer::new(&table);
    let date = |s: &str| Some(report::parse_date(s).unwrap());
    let filters = [
        Filter::new(tz),
        Filter { since: date("2026-03-08"), until: date("2026-03-29"), ..Filter::new(tz) },
        Filter { source: Some("codex".into()), since: date("2026-03-30"), ..Filter::new(tz) },
    ];
    let mut out = Vec::new();
    for f in &filters {
        for p in [Period::Day, Period::Week, Period::Month] {
            let rep = report::periods(store, &pricer, f, p).unwrap();
            for breakdown in [false, true] {
                // The CLI writes the document straight from the report: the same bytes.
                let doc = report::period_json(&rep, p, breakdown);
                let direct = report::PeriodJson { report: &rep, period: p, breakdown };
                let pretty = serde_json::to_string_pretty(&doc).unwrap();
                let mut by_hand = Vec::new();
                direct.write_pretty(&mut by_hand).unwrap();
                assert_eq!(String::from_utf8(by_hand).unwrap(), pretty, "write_pretty: serde_json's bytes");
                out.push(doc);
            }
        }
    }
    out
}

/// Equal, with costs to a relative 1e-9 (sums of logged costs taken in another order).
fn same(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{at}");
            for (k, v) in x {
                same(v, &y[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                same(v, w, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-9 * x.abs().max(y.abs()), "{at}: {x} != {y}");
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

fn kept_rows(store: &Store) -> i64 {
    store.conn().query_row("SELECT count(*) FROM day_rollup", [], |r| r.get(0)).unwrap()
}

/// The reports read from `day_rollup` equal those summed from the rollup (the setting removed).
fn check(store: &Store, tz: Tz) {
    assert_eq!(store.day_zone().unwrap().as_deref(), Some(tz.name()));
    assert!(kept_rows(store) > 0);
    let kept = reports(store, tz);
    let days = kept[0]["days"].as_array().unwrap().len();
    assert!(days >= 39, "{days} days");
    store.conn().execute("DELETE FROM settings WHERE key = 'day_zone'", []).unwrap();
    assert_eq!(store.day_zone().unwrap(), None);
    let summed = reports(store, tz);
    for (i, (k, s)) in kept.iter().zip(&summed).enumerate() {
        same(k, s, &format!("report {i} in {tz}"));
    }
}

#[test]
fn day_reports_from_the_kept_days_equal_the_rollup_in_every_zone() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("ledger.db")).unwrap();
    let berlin: Tz = "Europe/Berlin".parse().unwrap();

    // Kept from the first batch on: every flush adds to its days.
    let mut b = store.batch().unwrap();
    b.keep_days(berlin).unwrap();
    b.import_events(&requests("a", 3000, 1)).unwrap();
    b.commit().unwrap();
    check(&store, berlin);

    // Built again from the rollup (the setting was removed), then added to by a batch whose
    // requests fall on the same days.
    let mut b = store.batch().unwrap();
    b.keep_days(berlin).unwrap();
    b.import_events(&requests("b", 2000, 2)).unwrap();
    b.commit().unwrap();
    check(&store, berlin);

    // A batch that does not name a zone keeps the table in the stored one.
    let mut b = store.batch().unwrap();
    b.keep_days(berlin).unwrap();
    b.commit().unwrap();
    let mut b = store.batch().unwrap();
    b.import_events(&requests("c", 500, 3)).unwrap();
    b.commit().unwrap();
    check(&store, berlin);

    // The doctor compares the two, and names a day that differs.
    let mut b = store.batch().unwrap();
    b.keep_days(berlin).unwrap();
    b.commit().unwrap();
    let db = tmp.path().join("ledger.db");
    let d = tokenworth_core::doctor::diagnose(&db, &tokenworth_core::source::all());
    assert!(d.sound && d.checked.contains(&"days"), "{:?}", d.findings);
    store.conn().execute("UPDATE day_rollup SET input = input + 1 WHERE day = 20537 AND model = 'claude-opus-4-1' AND NOT logged", []).unwrap();
    let d = tokenworth_core::doctor::diagnose(&db, &tokenworth_core::source::all());
    let days: Vec<&str> =
        d.findings.iter().filter(|f| f.check == "days").map(|f| f.message.as_str()).collect();
    assert_eq!(days.len(), 1, "{:?}", d.findings);
    assert!(days[0].starts_with("day 2026-03-25 (Europe/Berlin) claude-code claude-opus-4-1"), "{}", days[0]);
    store.conn().execute("UPDATE day_rollup SET input = input - 1 WHERE day = 20537 AND model = 'claude-opus-4-1' AND NOT logged", []).unwrap();

    // Other zones: New York (another change), Kathmandu (+5:45), Lord Howe (a half-hour change).
    for zone in ["America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "UTC"] {
        let tz: Tz = zone.parse().unwrap();
        let mut b = store.batch().unwrap();
        b.keep_days(tz).unwrap();
        b.import_events(&requests(zone, 200, zone.len() as u64)).unwrap();
        b.commit().unwrap();
        check(&store, tz);
    }
}

#[test]
fn a_zone_this_build_does_not_know_stops_the_kept_days() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("ledger.db")).unwrap();
    let mut b = store.batch().unwrap();
    b.keep_days("Europe/Berlin".parse().unwrap()).unwrap();
    b.import_events(&requests("a", 100, 1)).unwrap();
    b.commit().unwrap();
    assert!(kept_rows(&store) > 0);
    store
        .conn()
        .execute("UPDATE settings SET value = 'Mars/Olympus_Mons' WHERE key = 'day_zone'", [])
        .unwrap();
    // Read as not kept: the zone's days would be wrong in any zone a report asks for.
    let b = store.batch().unwrap();
    b.commit().unwrap();
    assert_eq!(store.day_zone().unwrap(), None);
    assert_eq!(kept_rows(&store), 0);
}
