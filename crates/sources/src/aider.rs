//! Aider: its analytics log, written only when the user asks for it with `--analytics-log FILE`
//! (also `AIDER_ANALYTICS_LOG` or `analytics-log:` in `.aider.conf.yml`); Aider has no default
//! file. Read from `~/.aider/` (where Aider's own maintainers keep theirs, `analytics.jsonl`),
//! from the folder of `$AIDER_ANALYTICS_LOG`, and from any folder named in config.toml
//! (`[sources.aider] paths`); every `.jsonl` file there is read as an analytics log.
//!
//! Append-only lines `{event, properties, user_id, time}`, `time` in Unix seconds. A
//! `message_send` event is one chat message's requests: `properties.{main_model, edit_format,
//! prompt_tokens, completion_tokens, total_tokens, cost, total_cost}`. `prompt_tokens` is every
//! input token sent, cache reads and writes included, with no split logged (so it is stored as
//! input); `cost` is the message's cost in USD as Aider computed it (kept as the logged cost);
//! `total_cost` is the session's running total and is never added. `main_model` is
//! `<provider>/REDACTED` for a model Aider does not know. Other events (`message_send_starting`,
//! `message_send_exception`, commands, launch) carry no usage.
//!
//! A message has no id: it is keyed by (user id, time, tokens, cost), so a copy of the log (a
//! backup beside it) counts once.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::env::Env;
use crate::json::parse_line;
use crate::model::{Tokens, UsageEvent};
use crate::{looks_like_object, FileKind, LineOutcome, LineParser, Output, Shape, Source};

pub const ID: &str = "aider";
/// Model name stored when an event names none.
pub const FALLBACK_MODEL: &str = "unknown";

pub struct Aider;

impl Source for Aider {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Aider"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let mut roots = vec![env.home.join(".aider")];
        if let Some(dir) = env.dir_var("AIDER_ANALYTICS_LOG").and_then(|f| f.parent().map(Path::to_path_buf))
        {
            if !dir.as_os_str().is_empty() && !roots.contains(&dir) {
                roots.push(dir);
            }
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        if path.extension().is_some_and(|e| e == "jsonl") {
            FileKind::Log(Shape::Lines)
        } else {
            // Aider's caches, install records, OAuth keys.
            FileKind::Other
        }
    }

    fn lines(&self, path: &Path, _state: Option<&str>) -> Box<dyn LineParser> {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Box::new(AiderLines { stem })
    }
}

struct AiderLines {
    /// The log's name: the session id of its messages (the log names no session).
    stem: String,
}

/// A count: a non-negative number; anything else (Aider writes other values as text) is `None`.
fn count(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        _ => None,
    }
}

impl LineParser for AiderLines {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        let mut repaired = String::new();
        let Some(rec) = parse_line::<Value>(line, &mut repaired) else { return LineOutcome::Malformed };
        if rec.get("event").and_then(Value::as_str) != Some("message_send") {
            return LineOutcome::Ignored;
        }
        let Some(p) = rec.get("properties").and_then(Value::as_object) else { return LineOutcome::Malformed };
        let time = match rec.get("time") {
            Some(Value::Number(n)) => n.as_f64().filter(|t| *t > 0.0),
            _ => None,
        };
        let (Some(prompt), Some(completion), Some(time)) =
            (count(p.get("prompt_tokens")), count(p.get("completion_tokens")), time)
        else {
            return LineOutcome::Malformed;
        };
        let cost = p.get("cost").and_then(Value::as_f64).filter(|c| c.is_finite() && *c > 0.0);
        let tokens = Tokens { input: prompt, output: completion, ..Tokens::default() };
        if tokens.is_zero() && cost.is_none() {
            return LineOutcome::Used;
        }
        let ts_ms = if time < 1e11 { (time * 1000.0) as i64 } else { time as i64 };
        let (model, model_fallback) =
            match p.get("main_model").and_then(Value::as_str).map(str::trim).filter(|m| !m.is_empty()) {
                Some(m) => (crate::names::normalize(m), false),
                None => (FALLBACK_MODEL.to_owned(), true),
            };
        let user = rec.get("user_id").and_then(Value::as_str).unwrap_or_default();
        out.events.push(UsageEvent {
            source: ID,
            session_id: self.stem.clone(),
            project: String::new(),
            model,
            model_fallback,
            ts_ms,
            dedupe_key: format!("{ID}:{user}:{ts_ms}:{prompt}:{completion}:{}", cost.unwrap_or(0.0)),
            group_key: None,
            sidechain: false,
            tokens,
            logged_cost_usd: cost,
            git_branch: None,
            parent_session: None,
        });
        LineOutcome::Used
    }

    fn state(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEND: &str = r#"{"event": "message_send", "properties": {"main_model": "gemini/gemini-2.5-pro", "weak_model": "gemini/gemini-2.5-flash-lite", "editor_model": "gemini/gemini-2.5-pro", "edit_format": "ask", "prompt_tokens": 10829, "completion_tokens": 591, "total_tokens": 11420, "cost": 0.01944625, "total_cost": 0.03276375, "aider_version": "0.86.2"}, "user_id": "c42c4e6b-0000-4000-8000-000000000000", "time": 1755100863}"#;

    fn run(lines: &[&str]) -> (Output, Vec<LineOutcome>) {
        let mut p = Aider.lines(Path::new("/h/.aider/analytics.jsonl"), None);
        let mut out = Output::default();
        let o = lines.iter().map(|l| p.line(l.as_bytes(), &mut out)).collect();
        (out, o)
    }

    #[test]
    fn message_send_is_one_request_with_its_cost() {
        let start =
            r#"{"event": "message_send_starting", "properties": {}, "user_id": "u", "time": 1755100852}"#;
        let (out, o) = run(&[start, SEND]);
        assert_eq!(o, vec![LineOutcome::Ignored, LineOutcome::Used]);
        let e = &out.events[0];
        assert_eq!(e.tokens, Tokens { input: 10829, output: 591, ..Tokens::default() });
        assert_eq!(e.logged_cost_usd, Some(0.01944625));
        assert_eq!(
            (e.ts_ms, e.model.as_str(), e.session_id.as_str()),
            (1_755_100_863_000, "gemini/gemini-2.5-pro", "analytics")
        );
    }

    #[test]
    fn odd_values_are_drift() {
        for bad in [
            SEND.replace(r#""prompt_tokens": 10829"#, r#""prompt_tokens": "None""#),
            SEND.replace(r#""completion_tokens""#, r#""output_tokens""#),
            SEND.replace(r#""time": 1755100863"#, r#""ts": 1755100863"#),
        ] {
            let (out, o) = run(&[&bad]);
            assert_eq!((o[0], out.events.len()), (LineOutcome::Malformed, 0), "{bad}");
        }
        assert_eq!(run(&[r#"{"event": "message_send", "prop"#]).1, vec![LineOutcome::Malformed]);
    }

    #[test]
    fn roots_and_kinds() {
        let env = Env::with_home("/h");
        assert_eq!(Aider.roots(&env), vec![PathBuf::from("/h/.aider")]);
        let env = env.set("AIDER_ANALYTICS_LOG", "~/logs/aider.jsonl");
        assert_eq!(Aider.roots(&env), vec![PathBuf::from("/h/.aider"), PathBuf::from("/h/logs")]);
        assert_eq!(Aider.kind(Path::new("/h/.aider/analytics.jsonl")), FileKind::Log(Shape::Lines));
        assert_eq!(Aider.kind(Path::new("/h/.aider/caches/mixpanel.json")), FileKind::Other);
    }
}
