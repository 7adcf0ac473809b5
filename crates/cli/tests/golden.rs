//! Every report's output stays what it was (issue 12): `daily`, `weekly`, `monthly`, `session`,
//! `blocks` and `outcomes --json` on a generated corpus, in time zones with DST, half-hour DST
//! (Lord Howe) and a 45-minute offset (Kathmandu), with filters, equal to golden files made by
//! the build before the reports were rewritten. Costs are compared to a relative 1e-9 (a sum in
//! another order rounds differently); everything else exactly.
//!
//! `TOKENWORTH_BLESS=1 cargo test -p tokenworth-cli --test golden` writes the files anew: only
//! for a change that means to alter a report, said in its commit.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;
use tokenworth_corpus::{generate, Config};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The reports checked: a file name and the arguments (a time zone is always given).
const CASES: &[(&str, &[&str])] = &[
    ("daily-utc", &["daily", "--json", "--timezone", "UTC"]),
    ("daily-breakdown-new-york", &["daily", "--json", "--breakdown", "--timezone", "America/New_York"]),
    ("daily-lord-howe", &["daily", "--json", "--timezone", "Australia/Lord_Howe"]),
    ("daily-kathmandu", &["daily", "--json", "--timezone", "Asia/Kathmandu"]),
    (
        "daily-range-berlin",
        &["daily", "--json", "--since", "2026-03-10", "--until", "2026-04-02", "--timezone", "Europe/Berlin"],
    ),
    ("daily-codex-utc", &["daily", "--json", "--source", "codex", "--timezone", "UTC"]),
    ("weekly-new-york", &["weekly", "--json", "--breakdown", "--timezone", "America/New_York"]),
    ("monthly-auckland", &["monthly", "--json", "--breakdown", "--timezone", "Pacific/Auckland"]),
    ("session-utc", &["session", "--json", "--timezone", "UTC"]),
    ("session-since-berlin", &["session", "--json", "--since", "2026-04-01", "--timezone", "Europe/Berlin"]),
    ("blocks-utc", &["blocks", "--json", "--timezone", "UTC"]),
    ("outcomes-utc", &["outcomes", "--json", "--timezone", "UTC"]),
    (
        "outcomes-range-new-york",
        &[
            "outcomes",
            "--json",
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-31",
            "--timezone",
            "America/New_York",
        ],
    ),
];

/// Floats equal to a relative 1e-9, all else exactly; the first difference's path.
fn diff(got: &Value, want: &Value, path: &str) -> Option<String> {
    match (got, want) {
        (Value::Object(a), Value::Object(b)) => {
            let keys_a: Vec<_> = a.keys().collect();
            let keys_b: Vec<_> = b.keys().collect();
            if keys_a != keys_b {
                return Some(format!("{path}: keys {keys_a:?} != {keys_b:?}"));
            }
            a.iter().find_map(|(k, v)| diff(v, &b[k], &format!("{path}.{k}")))
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("{path}: {} items != {}", a.len(), b.len()));
            }
            a.iter().zip(b).enumerate().find_map(|(i, (x, y))| diff(x, y, &format!("{path}[{i}]")))
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            let tol = 1e-9 * x.abs().max(y.abs());
            ((x - y).abs() > tol).then(|| format!("{path}: {x} != {y}"))
        }
        _ => (got != want).then(|| format!("{path}: {got} != {want}")),
    }
}

#[test]
fn every_report_equals_its_golden_file() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let cfg = Config { size_bytes: 4_000_000, seed: 12, ..Config::default() };
    generate(&cfg, &home).expect("corpus generated");
    run_ok(&home, &data, &["scan"]);

    let bless = std::env::var_os("TOKENWORTH_BLESS").is_some();
    let dir = golden_dir();
    let mut failures = Vec::new();
    for (name, args) in CASES {
        let mut c = cmd_raw(&home, args);
        c.arg("--no-scan").arg("--data-dir").arg(&data);
        let o = c.output().expect("run tokenworth");
        assert!(o.status.success(), "tokenworth {args:?}: {}", stderr_of(&o));
        let got: Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let file = dir.join(format!("{name}.json"));
        if bless {
            write(&file, (serde_json::to_string_pretty(&got).unwrap() + "\n").as_bytes());
            continue;
        }
        let want: Value = serde_json::from_slice(
            &std::fs::read(&file)
                .unwrap_or_else(|e| panic!("{}: {e} (TOKENWORTH_BLESS=1 writes it)", file.display())),
        )
        .expect("golden JSON");
        if let Some(d) = diff(&got, &want, name) {
            failures.push(d);
        }
    }
    assert!(failures.is_empty(), "reports differ from their golden files:\n{}", failures.join("\n"));
}

#[test]
fn the_comparison_sees_a_changed_cost_and_a_missing_row() {
    let want: Value = serde_json::json!({"days": [{"date": "2026-03-01", "cost_usd": 1.25}]});
    let near: Value = serde_json::json!({"days": [{"date": "2026-03-01", "cost_usd": 1.25 * (1.0 + 1e-12)}]});
    let off: Value = serde_json::json!({"days": [{"date": "2026-03-01", "cost_usd": 1.2501}]});
    let short: Value = serde_json::json!({"days": []});
    assert_eq!(diff(&near, &want, "r"), None);
    assert!(diff(&off, &want, "r").is_some());
    assert!(diff(&short, &want, "r").is_some());
}
