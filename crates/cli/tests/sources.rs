//! Users control sources (`[sources.<id>]` in config.toml) and `sources --json` tells what each
//! one is: readable, enabled, and whether its format may have changed.

mod common;

use std::path::Path;

use serde_json::Value;

use common::*;

fn small_home(rng: &mut Rng, home: &Path) -> Built {
    build_home(
        rng,
        home,
        Spec { projects: 2, claude_files: 3, codex_files: 2, turns: 4, tool_bytes: 200, big_chance: 0.0 },
    )
}

fn source<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["sources"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("{id} in {v}"))
}

#[test]
fn a_source_turned_off_is_not_read_and_extra_folders_are() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let built = small_home(&mut Rng::new(7), &home);
    let data = tmp.path().join("data");
    // Claude logs in a folder of the user's own, and Codex turned off.
    let extra = tmp.path().join("archive");
    let moved = home.join(".claude");
    std::fs::rename(&moved, &extra).unwrap();
    write(
        &data.join("config.toml"),
        format!(
            "# mine\n[sources.codex]\nenabled = false\n[sources.claude-code]\npaths = [\"{}\"]\n",
            extra.join("projects").display()
        )
        .as_bytes(),
    );
    let got = sums_of(&daily(&home, &data, false));
    let want: Expected =
        built.exp.iter().filter(|((_, s), _)| s == "claude-code").map(|(k, v)| (k.clone(), *v)).collect();
    assert!(!want.is_empty());
    assert_eq!(got, want, "only Claude Code, from the extra folder");
    let v = json_of(&run_ok(&home, &data, &["sources", "--json", "--no-scan"]));
    let codex = source(&v, "codex");
    assert_eq!(
        (codex["enabled"].clone(), codex["readable"].clone()),
        (Value::Bool(false), Value::Bool(true))
    );
    assert_eq!(codex["events"], 0);
    let claude = source(&v, "claude-code");
    assert_eq!(claude["enabled"], true);
    assert!(claude["paths"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p.as_str().unwrap().starts_with(&*extra.to_string_lossy())));
    assert_eq!(claude["drift"], Value::Null);

    // Turned on again: its history is read then.
    write(&data.join("config.toml"), b"# mine\n");
    std::fs::rename(&extra, &moved).unwrap();
    assert_eq!(sums_of(&daily(&home, &data, false)), built.exp);
}

#[test]
fn a_renamed_field_and_a_strange_file_show_as_format_drift() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let dir = home.join(".claude/projects/-home-dev-app");
    let good = r#"{"type":"assistant","cwd":"/home/dev/app","sessionId":"d1","timestamp":"2026-03-02T10:00:00.000Z","requestId":"r1","message":{"id":"m1","model":"claude-sonnet-4-5","role":"assistant","usage":{"input_tokens":10,"output_tokens":20}}}"#;
    let renamed = good.replace("\"usage\"", "\"usage_v2\"").replace("m1", "m2").replace("r1", "r2");
    write(&dir.join("d1.jsonl"), format!("{good}\n{renamed}\n{renamed}\n").as_bytes());
    write(&dir.join("notes.txt"), b"not a log");
    scan(&home, &data);
    let v = json_of(&run_ok(&home, &data, &["sources", "--json", "--no-scan"]));
    let d = &source(&v, "claude-code")["drift"];
    assert_eq!(d["unreadable_records"], 2, "{v}");
    assert_eq!(d["unknown_files"], 1, "{v}");
    assert_eq!(d["since"].as_str().unwrap().len(), 10, "{v}");
    assert_eq!(source(&v, "codex")["drift"], Value::Null);
    let text = String::from_utf8(run_ok(&home, &data, &["sources", "--no-scan"]).stdout).unwrap();
    assert!(text.contains("format may have changed: 2 unreadable records, 1 unknown files"), "{text}");
}

/// Fast mode (`usage.speed: "fast"`) is its own model key, priced at the table's multiplier
/// (claude-opus-5 has `provider_specific_entry.fast: 2`).
#[test]
fn fast_mode_is_its_own_model_at_the_tables_multiplier() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let line = |id: &str, speed: &str| {
        format!(
            r#"{{"type":"assistant","cwd":"/w","sessionId":"f1","timestamp":"2026-03-02T10:00:00.000Z","requestId":"r{id}","message":{{"id":"m{id}","model":"claude-opus-5","role":"assistant","usage":{{"input_tokens":1000,"cache_read_input_tokens":5000,"output_tokens":2000{speed}}}}}}}"#
        )
    };
    let text = format!("{}\n{}\n", line("1", ""), line("2", r#","speed":"fast""#));
    write(&home.join(".claude/projects/-w/f1.jsonl"), text.as_bytes());
    let v = json_of(&run_ok(&home, &data, &["daily", "--json", "--breakdown"]));
    let models = &v["days"][0]["models"];
    let (normal, fast) = (&models["claude-opus-5"], &models["claude-opus-5-fast"]);
    assert_eq!(normal["output_tokens"], 2000, "{v}");
    assert_eq!(fast["output_tokens"], 2000, "{v}");
    let (a, b) = (normal["cost_usd"].as_f64().unwrap(), fast["cost_usd"].as_f64().unwrap());
    assert!(a > 0.0 && (b - 2.0 * a).abs() < 1e-9, "fast {b} = 2 × {a}");
}
