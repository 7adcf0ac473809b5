//! Qwen Code (a Gemini CLI fork): `<runtime dir>/projects/<sanitised cwd>/chats/<sessionId>.jsonl`,
//! the runtime dir being `$QWEN_RUNTIME_DIR` when set, else `~/.qwen`
//! [QwenLM/qwen-code: packages/core/src/config/storage.ts `getRuntimeBaseDir`, `getProjectDir`].
//!
//! Append-only lines `{uuid, parentUuid, sessionId, timestamp, type, cwd, model, …}`; an
//! `assistant` record carries the Gemini API's `usageMetadata` (prompt inclusive of cached,
//! thoughts billed as output, see [`crate::gemini::generate_content_tokens`]). Trap: `system`
//! `ui_telemetry` records repeat the same counts (`qwen-code.api_response`); only the assistant
//! record is counted.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::env::Env;
use crate::gemini::{generate_content_tokens, GenerateContentCounts};
use crate::json::{parse_line, parse_ts_ms};
use crate::model::UsageEvent;
use crate::{looks_like_object, FileKind, LineOutcome, LineParser, Output, Shape, Source};

pub const ID: &str = "qwen-code";
/// Priced when a record names no model.
pub const FALLBACK_MODEL: &str = "qwen3-coder-plus";

pub struct QwenCode;

impl Source for QwenCode {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Qwen Code"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let base = env.dir_var("QWEN_RUNTIME_DIR").unwrap_or_else(|| env.home.join(".qwen"));
        vec![base.join("projects")]
    }

    fn kind(&self, path: &Path) -> FileKind {
        let in_chats = path.parent().and_then(Path::file_name).is_some_and(|n| n == "chats");
        if !in_chats {
            return FileKind::Other;
        }
        if path.extension().is_some_and(|e| e == "jsonl") {
            FileKind::Log(Shape::Lines)
        } else {
            FileKind::Unknown
        }
    }

    fn lines(&self, path: &Path, _state: Option<&str>) -> Box<dyn LineParser> {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Box::new(QwenLines { stem })
    }
}

struct QwenLines {
    /// The file's session id (its name), for records that name none.
    stem: String,
}

fn count(v: Option<&Value>) -> Option<u64> {
    match v {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Some(_) => None,
    }
}

impl LineParser for QwenLines {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        let mut repaired = String::new();
        let Some(rec) = parse_line::<Value>(line, &mut repaired) else { return LineOutcome::Malformed };
        if rec.get("type").and_then(Value::as_str) != Some("assistant") {
            return LineOutcome::Ignored;
        }
        let Some(usage) = rec.get("usageMetadata").filter(|u| !u.is_null()) else {
            return LineOutcome::Ignored;
        };
        let counts = usage.as_object().and_then(|u| {
            Some(GenerateContentCounts {
                prompt: count(Some(u.get("promptTokenCount")?))?,
                candidates: count(u.get("candidatesTokenCount"))?,
                cached: count(u.get("cachedContentTokenCount"))?,
                thoughts: count(u.get("thoughtsTokenCount"))?,
                tool_use_prompt: count(u.get("toolUsePromptTokenCount"))?,
            })
        });
        let ts = rec.get("timestamp").and_then(Value::as_str).and_then(parse_ts_ms);
        let (Some(counts), Some(ts_ms)) = (counts, ts) else { return LineOutcome::Malformed };
        let tokens = generate_content_tokens(counts);
        if tokens.is_zero() {
            return LineOutcome::Used;
        }
        let str_of = |k: &str| rec.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let session = str_of("sessionId").unwrap_or(&self.stem).to_owned();
        let id = match str_of("uuid") {
            Some(u) => u.to_owned(),
            None => format!("{ts_ms}:{}:{}", tokens.input, tokens.output),
        };
        let (model, model_fallback) = match str_of("model") {
            Some(m) => (m.to_owned(), false),
            None => (FALLBACK_MODEL.to_owned(), true),
        };
        out.events.push(UsageEvent {
            source: ID,
            dedupe_key: format!("{ID}:{session}:{id}"),
            session_id: session,
            project: str_of("cwd").unwrap_or_default().to_owned(),
            model,
            model_fallback,
            ts_ms,
            group_key: None,
            sidechain: false,
            tokens,
            logged_cost_usd: None,
            git_branch: str_of("gitBranch").map(str::to_owned),
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

    const REC: &str = r#"{"uuid":"u1","parentUuid":"u0","sessionId":"s1","timestamp":"2026-03-02T12:00:04.000Z","type":"assistant","cwd":"/home/dev/acme","model":"qwen3-coder-plus","usageMetadata":{"promptTokenCount":9000,"candidatesTokenCount":300,"thoughtsTokenCount":50,"totalTokenCount":9350,"cachedContentTokenCount":6000}}"#;

    fn run(line: &str) -> (Output, LineOutcome) {
        let mut p = QwenCode.lines(Path::new("/h/.qwen/projects/-home-dev-acme/chats/s1.jsonl"), None);
        let mut out = Output::default();
        let o = p.line(line.as_bytes(), &mut out);
        (out, o)
    }

    #[test]
    fn usage_metadata_is_normalised() {
        let (out, o) = run(REC);
        assert_eq!(o, LineOutcome::Used);
        let t = out.events[0].tokens;
        assert_eq!((t.input, t.cache_read, t.output, t.reasoning), (3000, 6000, 350, 50));
        assert_eq!(out.events[0].dedupe_key, "qwen-code:s1:u1");
        assert_eq!(out.events[0].project, "/home/dev/acme");
    }

    #[test]
    fn renamed_field_is_drift() {
        for bad in [
            REC.replace("promptTokenCount", "promptTokens"),
            REC.replace(r#""candidatesTokenCount":300"#, r#""candidatesTokenCount":"300""#),
            REC.replace(r#""timestamp""#, r#""time""#),
        ] {
            let (out, o) = run(&bad);
            assert_eq!(o, LineOutcome::Malformed, "{bad}");
            assert!(out.events.is_empty());
        }
    }

    #[test]
    fn telemetry_records_are_not_counted() {
        let tel = r#"{"uuid":"u2","sessionId":"s1","timestamp":"2026-03-02T12:00:04.100Z","type":"system","subtype":"ui_telemetry","systemPayload":{"uiEvent":{"event.name":"qwen-code.api_response","input_token_count":9000,"output_token_count":300}}}"#;
        let (out, o) = run(tel);
        assert_eq!(o, LineOutcome::Ignored);
        assert!(out.events.is_empty());
    }

    #[test]
    fn roots_and_kinds() {
        let env = Env::with_home("/h");
        assert_eq!(QwenCode.roots(&env), vec![PathBuf::from("/h/.qwen/projects")]);
        let env = env.set("QWEN_RUNTIME_DIR", "~/rt");
        assert_eq!(QwenCode.roots(&env), vec![PathBuf::from("/h/rt/projects")]);
        assert_eq!(
            QwenCode.kind(Path::new("/h/.qwen/projects/p/chats/s.jsonl")),
            FileKind::Log(Shape::Lines)
        );
        assert_eq!(QwenCode.kind(Path::new("/h/.qwen/projects/p/memory.md")), FileKind::Other);
        assert_eq!(QwenCode.kind(Path::new("/h/.qwen/projects/p/chats/s.txt")), FileKind::Unknown);
    }
}
