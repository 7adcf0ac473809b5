//! Kimi CLI (MoonshotAI/kimi-cli): each session's event log `wire.jsonl` under
//! `<share dir>/sessions/<work dir hash>/<session id>/`, the share dir being `$KIMI_SHARE_DIR` or
//! `~/.kimi` on every OS [MoonshotAI/kimi-cli: src/kimi_cli/share.py, src/kimi_cli/session.py].
//! `KIMI_DATA_DIR` (a comma-separated list of share dirs) is ccusage's own override, honoured too.
//!
//! Lines `{"timestamp": <epoch seconds, fractional>, "message": {"type", "payload"}}` after a
//! `{"type":"metadata",…}` first line. Usage is a `StatusUpdate` whose payload holds the step's
//! `token_usage` `{input_other, output, input_cache_read, input_cache_creation}` (kosong's
//! `TokenUsage`: `input_other` excludes the cache; `output` includes thinking, never reported
//! apart) and the step's `message_id` [src/kimi_cli/wire/types.py `StatusUpdate`]. The wire
//! names no model: it is the config's `default_model` (`config.toml`), else `config.json`'s
//! `model` (what ccusage reads), else `kimi-for-coding`, marked as a fallback.
//!
//! The trap: a sub-agent's events are also written into the parent's wire wrapped in a
//! `SubagentEvent` (`payload.event` = the sub-agent's `StatusUpdate`), besides any log of the
//! sub-agent's own. Both copies carry the step's `message_id` (the API response id), which is
//! the key: a step is stored once however many wires hold it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::env::Env;
use crate::json::parse_line;
use crate::model::{Tokens, UsageEvent};
use crate::{looks_like_object, FileKind, LineOutcome, LineParser, Output, Shape, Source};

pub const ID: &str = "kimi";
/// Priced when no config names the model.
pub const FALLBACK_MODEL: &str = "kimi-for-coding";

pub struct Kimi;

impl Source for Kimi {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Kimi CLI"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let share = env.dir_var("KIMI_SHARE_DIR").unwrap_or_else(|| env.home.join(".kimi"));
        let mut roots = vec![share.join("sessions")];
        for p in env.path_list("KIMI_DATA_DIR") {
            let p = p.join("sessions");
            if !roots.contains(&p) {
                roots.push(p);
            }
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        if path.file_name().is_some_and(|n| n == "wire.jsonl") {
            FileKind::Log(Shape::Lines)
        } else {
            // context.jsonl (the model's context, no usage), state and metadata files.
            FileKind::Other
        }
    }

    fn lines(&self, path: &Path, _state: Option<&str>) -> Box<dyn LineParser> {
        let (model, model_fallback) = match share_dir(path).and_then(|d| configured_model(&d)) {
            Some(m) => (m, false),
            None => (FALLBACK_MODEL.to_owned(), true),
        };
        let session = path
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let project = path
            .ancestors()
            .skip_while(|a| a.file_name().is_none_or(|n| n != "sessions"))
            .nth(0)
            .and_then(|s| path.strip_prefix(s).ok())
            .and_then(|rel| rel.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        Box::new(WireLines { session, project, model, model_fallback })
    }
}

/// The share dir a wire file belongs to: the parent of its `sessions` ancestor.
fn share_dir(wire: &Path) -> Option<PathBuf> {
    wire.ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "sessions"))
        .and_then(Path::parent)
        .map(Path::to_path_buf)
}

/// `default_model = "…"` of `config.toml`, else `model` of `config.json`.
fn configured_model(share: &Path) -> Option<String> {
    if let Ok(toml) = std::fs::read_to_string(share.join("config.toml")) {
        for line in toml.lines() {
            let Some((k, v)) = line.split_once('=') else { continue };
            if k.trim() == "default_model" {
                let v = v.trim().trim_matches(['"', '\'']).trim();
                if !v.is_empty() {
                    return Some(v.to_owned());
                }
            }
            if line.trim_start().starts_with('[') {
                break;
            }
        }
    }
    let json: Value = serde_json::from_slice(&std::fs::read(share.join("config.json")).ok()?).ok()?;
    json.get("model").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

struct WireLines {
    session: String,
    /// The work dir's hash (Kimi's wire names no path).
    project: String,
    model: String,
    model_fallback: bool,
}

fn count(v: Option<&Value>) -> Result<u64, ()> {
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0 && f.is_finite()).map(|f| f as u64))
            .ok_or(()),
        Some(_) => Err(()),
    }
}

impl LineParser for WireLines {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        let mut repaired = String::new();
        let Some(rec) = parse_line::<Value>(line, &mut repaired) else { return LineOutcome::Malformed };
        let Some(msg) = rec.get("message") else { return LineOutcome::Ignored };
        let payload = match msg.get("type").and_then(Value::as_str) {
            Some("StatusUpdate") => msg.get("payload"),
            Some("SubagentEvent") => {
                let ev = msg.pointer("/payload/event");
                if ev.and_then(|e| e.get("type")).and_then(Value::as_str) != Some("StatusUpdate") {
                    return LineOutcome::Ignored;
                }
                ev.and_then(|e| e.get("payload"))
            }
            _ => return LineOutcome::Ignored,
        };
        let Some(usage) = payload.and_then(|p| p.get("token_usage")).filter(|u| !u.is_null()) else {
            return LineOutcome::Ignored;
        };
        let Some(u) = usage.as_object() else { return LineOutcome::Malformed };
        if !["input_other", "output", "input_cache_read", "input_cache_creation"]
            .iter()
            .any(|k| u.contains_key(*k))
        {
            return LineOutcome::Malformed;
        }
        let counts = (|| {
            Ok::<_, ()>((
                count(u.get("input_other"))?,
                count(u.get("output"))?,
                count(u.get("input_cache_read"))?,
                count(u.get("input_cache_creation"))?,
            ))
        })();
        let Ok((input, output, cache_read, cache_write)) = counts else { return LineOutcome::Malformed };
        let ts_ms = rec
            .get("timestamp")
            .and_then(Value::as_f64)
            .filter(|t| t.is_finite() && *t > 0.0)
            .map(|t| if t > 1e12 { t as i64 } else { (t * 1000.0) as i64 });
        let Some(ts_ms) = ts_ms else { return LineOutcome::Malformed };
        let tokens = Tokens {
            input,
            cache_write_5m: cache_write,
            cache_write_1h: 0,
            cache_read,
            output,
            reasoning: 0,
        };
        if tokens.is_zero() {
            return LineOutcome::Used;
        }
        let message_id =
            payload.and_then(|p| p.get("message_id")).and_then(Value::as_str).filter(|s| !s.is_empty());
        let dedupe_key = match message_id {
            Some(m) => format!("{ID}:{m}"),
            None => format!("{ID}:{}:{ts_ms}:{input}:{output}:{cache_read}:{cache_write}", self.session),
        };
        out.events.push(UsageEvent {
            source: ID,
            session_id: self.session.clone(),
            project: self.project.clone(),
            model: self.model.clone(),
            model_fallback: self.model_fallback,
            ts_ms,
            dedupe_key,
            group_key: None,
            sidechain: false,
            tokens,
            logged_cost_usd: None,
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

    const STEP: &str = r#"{"timestamp":1772445605.25,"message":{"type":"StatusUpdate","payload":{"context_usage":0.1,"token_usage":{"input_other":1200,"output":340,"input_cache_read":8000,"input_cache_creation":0},"message_id":"chatcmpl-1"}}}"#;

    fn run(lines: &[&str]) -> (Output, Vec<LineOutcome>) {
        let mut p = Kimi.lines(Path::new("/nowhere/.kimi/sessions/abc123/sess-1/wire.jsonl"), None);
        let mut out = Output::default();
        let o = lines.iter().map(|l| p.line(l.as_bytes(), &mut out)).collect();
        (out, o)
    }

    #[test]
    fn status_updates_are_steps() {
        let meta = r#"{"type":"metadata","protocol_version":"1.3"}"#;
        let (out, o) = run(&[meta, STEP]);
        assert_eq!(o, [LineOutcome::Ignored, LineOutcome::Used]);
        let e = &out.events[0];
        assert_eq!((e.tokens.input, e.tokens.cache_read, e.tokens.output), (1200, 8000, 340));
        assert_eq!(e.ts_ms, 1772445605250);
        assert_eq!((e.session_id.as_str(), e.project.as_str()), ("sess-1", "abc123"));
        assert_eq!((e.model.as_str(), e.model_fallback), (FALLBACK_MODEL, true));
        assert_eq!(e.dedupe_key, "kimi:chatcmpl-1");
    }

    #[test]
    fn a_wrapped_subagent_step_has_the_key_of_its_own_copy() {
        let wrapped = r#"{"timestamp":1772445606.0,"message":{"type":"SubagentEvent","payload":{"parent_tool_call_id":"t1","agent_id":"a1","event":{"type":"StatusUpdate","payload":{"token_usage":{"input_other":10,"output":5,"input_cache_read":0,"input_cache_creation":0},"message_id":"chatcmpl-sub"}}}}}"#;
        let own = r#"{"timestamp":1772445606.0,"message":{"type":"StatusUpdate","payload":{"token_usage":{"input_other":10,"output":5,"input_cache_read":0,"input_cache_creation":0},"message_id":"chatcmpl-sub"}}}"#;
        let (a, _) = run(&[wrapped]);
        let (b, _) = run(&[own]);
        assert_eq!(a.events[0].dedupe_key, b.events[0].dedupe_key);
    }

    #[test]
    fn drift_is_malformed() {
        for bad in [
            STEP.replace("input_other", "prompt")
                .replace("input_cache_read", "cached")
                .replace(r#""output""#, r#""completion""#)
                .replace("input_cache_creation", "created"),
            STEP.replace(r#""output":340"#, r#""output":"340""#),
            STEP.replace(r#""timestamp":1772445605.25,"#, ""),
        ] {
            let (out, o) = run(&[&bad]);
            assert_eq!(o, [LineOutcome::Malformed], "{bad}");
            assert!(out.events.is_empty());
        }
    }

    #[test]
    fn model_from_config_and_roots() {
        let tmp = tempfile::tempdir().unwrap();
        let share = tmp.path().join(".kimi");
        std::fs::create_dir_all(share.join("sessions/h/s")).unwrap();
        std::fs::write(share.join("config.toml"), "default_model = \"kimi-k2-turbo-preview\"\n[models]\n")
            .unwrap();
        let mut p = Kimi.lines(&share.join("sessions/h/s/wire.jsonl"), None);
        let mut out = Output::default();
        p.line(STEP.as_bytes(), &mut out);
        assert_eq!(
            (out.events[0].model.as_str(), out.events[0].model_fallback),
            ("kimi-k2-turbo-preview", false)
        );
        let env = Env::with_home("/h");
        assert_eq!(Kimi.roots(&env), vec![PathBuf::from("/h/.kimi/sessions")]);
        let env = env.set("KIMI_SHARE_DIR", "/k").set("KIMI_DATA_DIR", "/d");
        assert_eq!(Kimi.roots(&env), vec![PathBuf::from("/k/sessions"), PathBuf::from("/d/sessions")]);
        assert_eq!(Kimi.kind(Path::new("/k/sessions/h/s/context.jsonl")), FileKind::Other);
    }
}
