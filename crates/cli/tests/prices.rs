//! `prices update FILE`: a checked LiteLLM table replaces the shipped one for every later report
//! (of usage stored before too); a refused file leaves the table in use as it was; without a
//! usable saved table the shipped one prices.

mod common;

use std::path::Path;

use serde_json::Value;

use common::*;

/// One Claude Code request of a million input tokens of `claude-sonnet-4-5` ($3 at the shipped
/// price), without a logged cost.
fn one_request(home: &Path) {
    let line = r#"{"type":"assistant","cwd":"/home/dev/app","sessionId":"p1","timestamp":"2026-03-02T10:00:00.000Z","requestId":"r1","message":{"id":"m1","model":"claude-sonnet-4-5","role":"assistant","usage":{"input_tokens":1000000,"output_tokens":0}}}"#;
    write(&home.join(".claude/projects/-home-dev-app/p1.jsonl"), format!("{line}\n").as_bytes());
}

/// The shipped LiteLLM JSON with `edit` applied.
fn shipped_with(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pricing/data/litellm_prices.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(v.as_object_mut().unwrap());
    v.to_string()
}

/// The shipped table with `claude-sonnet-4-5` at $6 per million input tokens.
fn doubled_sonnet() -> String {
    shipped_with(|m| {
        m["claude-sonnet-4-5"]["input_cost_per_token"] = 6e-6.into();
    })
}

fn cost(home: &Path, data: &Path) -> (f64, String) {
    let o = run_ok(home, data, &["daily", "--json", "--no-scan"]);
    (json_of(&o)["total"]["cost_usd"].as_f64().unwrap(), stderr_of(&o))
}

fn assert_cost(home: &Path, data: &Path, want: f64, what: &str) -> String {
    let (got, err) = cost(home, data);
    assert!((got - want).abs() < 1e-9, "{what}: cost {got}, want {want}; stderr: {err}");
    err
}

#[test]
fn an_update_prices_stored_usage_and_without_a_saved_table_the_shipped_one_does() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, data) = (tmp.path().join("home"), tmp.path().join("data"));
    one_request(&home);
    scan(&home, &data);
    assert_cost(&home, &data, 3.0, "shipped table");
    let shipped = json_of(&run_ok(&home, &data, &["prices", "--json"]));
    assert_eq!(shipped["file"], Value::Null);
    let shipped_version = shipped["price_table"].as_str().unwrap().to_owned();

    let file = tmp.path().join("model_prices_and_context_window.json");
    write(&file, doubled_sonnet().as_bytes());
    let v = json_of(&run_ok(&home, &data, &["prices", "update", file.to_str().unwrap(), "--json"]));
    let version = v["price_table"].as_str().unwrap().to_owned();
    assert!(version.starts_with("litellm-") && version != shipped_version, "{v}");
    assert_eq!(v["models"], shipped["models"], "{v}");
    let saved = data.join("prices.tsv");
    assert_eq!(v["file"].as_str().map(Path::new), Some(saved.as_path()));
    let names: Vec<_> = std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!names.iter().any(|n| n.to_string_lossy().ends_with(".tmp")), "{names:?}");

    // Usage stored before the update is priced with the new table: costs are computed at report
    // time. Every report uses it, and `prices` and `sources` name it.
    assert_cost(&home, &data, 6.0, "updated table");
    let session = json_of(&run_ok(&home, &data, &["session", "--json", "--no-scan"]));
    assert!(session.to_string().contains("\"cost_usd\":6.0"), "{session}");
    assert_eq!(json_of(&run_ok(&home, &data, &["prices", "--json"]))["price_table"], version.as_str());
    assert_eq!(
        json_of(&run_ok(&home, &data, &["sources", "--json", "--no-scan"]))["price_table"],
        version.as_str()
    );
    let text = String::from_utf8(run_ok(&home, &data, &["prices"]).stdout).unwrap();
    assert!(text.contains(&version) && text.contains("prices.tsv"), "{text}");

    // A damaged saved table: the shipped one, with a warning.
    write(&saved, b"tokenworth-prices 2\nE\tcut");
    let err = assert_cost(&home, &data, 3.0, "damaged saved table");
    assert!(err.contains("warning") && err.contains("prices.tsv") && err.contains(&shipped_version), "{err}");
    // No saved table: the shipped one, silently.
    std::fs::remove_file(&saved).unwrap();
    let err = assert_cost(&home, &data, 3.0, "no saved table");
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(
        json_of(&run_ok(&home, &data, &["prices", "--json"]))["price_table"],
        shipped_version.as_str()
    );
}

#[test]
fn a_refused_update_keeps_the_table_in_use() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, data) = (tmp.path().join("home"), tmp.path().join("data"));
    one_request(&home);
    scan(&home, &data);
    let good = tmp.path().join("good.json");
    write(&good, doubled_sonnet().as_bytes());
    run_ok(&home, &data, &["prices", "update", good.to_str().unwrap()]);
    let saved = data.join("prices.tsv");
    let before = std::fs::read(&saved).unwrap();
    assert_cost(&home, &data, 6.0, "updated table");

    let negative = shipped_with(|m| {
        m["claude-sonnet-4-5"]["input_cost_per_token"] = (-3e-6).into();
    });
    let cases: [(&str, String, &str); 6] = [
        ("truncated.json", doubled_sonnet()[..100_000].to_owned(), "invalid price table JSON"),
        ("not-json.json", "model,price\nclaude,3\n".to_owned(), "invalid price table JSON"),
        ("array.json", "[{\"input_cost_per_token\": 1e-6}]".to_owned(), "not an object of models"),
        (
            "tiny.json",
            r#"{"m": {"mode": "chat", "input_cost_per_token": 1, "output_cost_per_token": 1}}"#.to_owned(),
            "only 1 chat models",
        ),
        ("negative.json", negative, "`claude-sonnet-4-5`: input_cost_per_token is -3e-6"),
        ("missing.json", String::new(), "cannot read"),
    ];
    for (name, body, why) in cases {
        let file = tmp.path().join(name);
        if name != "missing.json" {
            write(&file, body.as_bytes());
        }
        for json in [false, true] {
            let mut args = vec!["prices", "update", file.to_str().unwrap()];
            if json {
                args.push("--json");
            }
            let o = cmd(&home, &data, &args).output().unwrap();
            let err = stderr_of(&o);
            assert_eq!(o.status.code(), Some(2), "{name}: {err}");
            assert!(err.contains(why) && err.contains("the price table in use is kept"), "{name}: {err}");
            assert!(!err.contains("panicked"), "{name}: {err}");
            assert!(o.stdout.is_empty(), "{name}: {}", String::from_utf8_lossy(&o.stdout));
        }
        assert_eq!(std::fs::read(&saved).unwrap(), before, "{name}: the saved table is untouched");
        assert_cost(&home, &data, 6.0, name);
    }
    let names: Vec<_> = std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!names.iter().any(|n| n.to_string_lossy().ends_with(".tmp")), "{names:?}");
}
