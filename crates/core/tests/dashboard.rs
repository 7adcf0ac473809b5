//! The dashboard's composed views agree with the reports they are built from: today in the
//! configured zone, the last N local days, and today's hours.

use tokenworth_core::dashboard;
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::report::{self, Filter, Period, Pricer};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_pricing::PriceTable;

fn line(id: u32, ts: &str, input: u64) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"s1","cwd":"/p","requestId":"r{id}","timestamp":"{ts}","message":{{"id":"m{id}","model":"claude-sonnet-4-5","usage":{{"input_tokens":{input},"output_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#
    )
}

fn ms(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

/// A ledger that has scanned one Claude Code log of `lines` (the temp dir lives as long as it).
fn ledger(lines: &[String]) -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("home/.claude/projects/-p");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("s1.jsonl"), lines.join("\n") + "\n").unwrap();
    let env = Env::with_home(tmp.path().join("home"));
    let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
    ingest::scan(&mut store, &env, &source::all(), &ScanOptions::default()).unwrap();
    (tmp, store)
}

#[test]
fn today_overview_and_hours_follow_the_zone() {
    // Berlin is UTC+1 in March: 23:30Z on the 1st is 00:30 on the 2nd there.
    let lines = [
        line(1, "2026-03-01T10:00:00.000Z", 100),  // Berlin 1 March 11:00
        line(2, "2026-03-01T23:30:00.000Z", 200),  // Berlin 2 March 00:30
        line(3, "2026-03-02T08:10:00.000Z", 400),  // Berlin 2 March 09:10
        line(4, "2026-03-02T08:50:00.000Z", 800),  // Berlin 2 March 09:50
        line(5, "2026-02-20T08:50:00.000Z", 1600), // 10 days before
    ];
    let (_tmp, store) = ledger(&lines);
    let table = PriceTable::embedded();
    let pricer = Pricer::new(&table);
    let tz = chrono_tz::Europe::Berlin;
    let now = ms("2026-03-02T12:00:00Z");

    let today = dashboard::today_totals(&store, &pricer, tz, now).unwrap();
    assert_eq!(today.date, "2026-03-02");
    assert_eq!(today.total.input_tokens, 1400);
    assert_eq!(today.sources["claude-code"].input_tokens, 1400);
    let utc_today = dashboard::today_totals(&store, &pricer, chrono_tz::UTC, now).unwrap();
    assert_eq!(utc_today.total.input_tokens, 1200, "in UTC the 23:30 line is still the 1st");

    let week = dashboard::overview(&store, &pricer, tz, now, 7).unwrap();
    assert_eq!(week["today"], "2026-03-02");
    assert_eq!(week["timezone"], "Europe/Berlin");
    assert_eq!(week["daily"]["total"]["input_tokens"], 1500);
    let filter = Filter {
        since: Some(chrono::NaiveDate::from_ymd_opt(2026, 2, 24).unwrap()),
        until: Some(chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()),
        ..Filter::new(tz)
    };
    let rep = report::periods(&store, &pricer, &filter, Period::Day).unwrap();
    assert_eq!(
        week["daily"],
        report::period_json(&rep, Period::Day, true),
        "the daily contract, with models"
    );
    let month = dashboard::overview(&store, &pricer, tz, now, 30).unwrap();
    assert_eq!(month["daily"]["total"]["input_tokens"], 3100);

    let hours: Vec<(String, u64)> = week["hourly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["hour"].as_str().unwrap().to_string(), h["total"]["input_tokens"].as_u64().unwrap()))
        .collect();
    assert_eq!(hours, vec![("2026-03-02T00".to_string(), 200), ("2026-03-02T09".to_string(), 1200)]);
}

#[test]
fn the_overview_has_the_active_window_with_its_burn_as_blocks_active_does() {
    let lines = [
        line(1, "2026-03-02T02:10:00.000Z", 100), // a window 02:00–07:00, closed at noon
        line(2, "2026-03-02T10:20:00.000Z", 200), // the window 10:00–15:00
        line(3, "2026-03-02T11:20:00.000Z", 400),
    ];
    let (_tmp, store) = ledger(&lines);
    let table = PriceTable::embedded();
    let pricer = Pricer::new(&table);
    let tz = chrono_tz::Europe::Berlin;
    let now = ms("2026-03-02T12:20:00Z");

    let o = dashboard::overview(&store, &pricer, tz, now, 7).unwrap();
    let b = &o["active_block"];
    assert_eq!(b["start"], "2026-03-02T10:00:00.000Z", "{b}");
    assert_eq!(b["total"]["input_tokens"], 600);
    // The whole ledger's `blocks --active`: the same window, the same pace.
    let all = report::blocks(&store, &pricer, &Filter::new(tz), now).unwrap();
    let active = all.blocks.iter().find(|b| b.active).unwrap();
    let burn = active.burn_at(now);
    assert_eq!(b["burn"]["cost_per_hour"].as_f64().unwrap(), burn.cost_per_hour);
    assert_eq!(b["burn"]["projected_cost_usd"].as_f64().unwrap(), burn.projected_cost_usd);
    // Two hours since the first request: 600 input and 20 output tokens over 120 minutes.
    assert!((b["burn"]["tokens_per_minute"].as_f64().unwrap() - 620.0 / 120.0).abs() < 1e-9);

    // After the window closes, none.
    let later = dashboard::overview(&store, &pricer, tz, ms("2026-03-02T15:30:00Z"), 7).unwrap();
    assert!(later["active_block"].is_null());
}
