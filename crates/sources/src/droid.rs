//! Factory Droid: `~/.factory/sessions/**/<sessionId>.settings.json`, one JSON document per
//! session, rewritten in place, whose `tokenUsage` holds the session's CUMULATIVE counters
//! (`inputTokens`, `outputTokens`, `cacheCreationTokens`, `cacheReadTokens`, `thinkingTokens`,
//! sometimes only `totalTokens`). Each read reports one [`Observation`] per session; the ledger
//! stores the delta since the last one, so a session that runs over several days has its spend
//! on the days it happened (ccusage puts all of it on `providerLockTimestamp`'s day).
//!
//! The document has no last-update time of its own (`providerLockTimestamp` is when the session
//! locked its provider, near its start), so the observation's time is the file's modification
//! time. The sibling `<sessionId>.jsonl` transcript is read only to find the model when the
//! settings name none (a `Model: …` text in its first lines). See docs/log-formats.md.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::model::{Observation, Output, Tokens, UsageEvent};
use crate::{names, DocOutcome, Env, FileKind, Shape, Source};

pub const ID: &str = "droid";

pub struct Droid;

/// Lines of the transcript searched for a `Model:` text (as ccusage does).
const SIDECAR_LINES: usize = 500;

impl Source for Droid {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Factory Droid"
    }

    /// `~/.factory/sessions` on every OS (`%USERPROFILE%\.factory\sessions` on Windows). Factory
    /// documents no variable that moves it; `DROID_SESSIONS_DIR` (ccusage's override) is honoured
    /// too, so a folder a user already points ccusage at is found.
    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let mut roots = vec![env.home.join(".factory").join("sessions")];
        if let Some(dir) = env.dir_var("DROID_SESSIONS_DIR") {
            if !roots.contains(&dir) {
                roots.push(dir);
            }
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if name.ends_with(".settings.json") {
            FileKind::Log(Shape::Document)
        } else if name.ends_with(".jsonl") {
            FileKind::Other // the transcript: no usage, only the model when settings lack it
        } else {
            FileKind::Unknown
        }
    }

    fn document(&self, path: &Path, bytes: &[u8], out: &mut Output) -> DocOutcome {
        let Ok(doc) = serde_json::from_slice::<Settings>(bytes) else {
            // Not complete JSON (mid-write), or not an object: a settings file that is valid
            // JSON but not an object is no usage record, so only incomplete bytes wait.
            return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => DocOutcome::Read,
                Err(_) => DocOutcome::Incomplete,
            };
        };
        match observation(path, doc) {
            Ok(Some(obs)) => out.totals.push(obs),
            Ok(None) => {}
            Err(Unreadable) => out.unreadable += 1,
        }
        DocOutcome::Read
    }
}

#[derive(Deserialize)]
struct Settings {
    #[serde(default)]
    model: Option<Value>,
    #[serde(default, rename = "providerLock")]
    provider_lock: Option<Value>,
    #[serde(default, rename = "tokenUsage")]
    token_usage: Option<Value>,
    /// Every other key: looked at only to tell a renamed `tokenUsage` from a session that has
    /// made no request yet.
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// A document that looked like usage but could not be read.
struct Unreadable;

fn observation(path: &Path, doc: Settings) -> Result<Option<Observation>, Unreadable> {
    let usage = match doc.token_usage {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => {
            // No counters yet (a session that made no request) — unless they moved elsewhere.
            let renamed = doc.rest.iter().any(|(k, v)| {
                let k = k.to_ascii_lowercase();
                v.is_object() && (k.contains("token") || k.contains("usage"))
            });
            return if renamed { Err(Unreadable) } else { Ok(None) };
        }
        Some(_) => return Err(Unreadable),
    };
    let tokens = tokens_of(&usage)?;
    if tokens.is_zero() {
        return Ok(None);
    }
    let session = session_id(path);
    let model_raw = string(doc.model.as_ref()).map(str::to_owned).or_else(|| sidecar_model(path));
    let (model, model_fallback) = match model_raw.map(|m| names::normalize(&m)).filter(|m| !m.is_empty()) {
        Some(m) => (m, false),
        None => (fallback_model(string(doc.provider_lock.as_ref())).to_owned(), true),
    };
    let project = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n != "sessions")
        .unwrap_or_default();
    Ok(Some(Observation {
        counter: session.clone(),
        event: UsageEvent {
            source: ID,
            session_id: session,
            project,
            model,
            model_fallback,
            ts_ms: 0, // no last-update time in the document: the file's mtime
            dedupe_key: String::new(),
            group_key: None,
            sidechain: false,
            tokens,
            logged_cost_usd: None,
            git_branch: None,
            parent_session: None,
        },
    }))
}

/// The counters of `tokenUsage`. A known counter of another type than a number (or null), or
/// an object with none of the known counters but other keys, is format drift.
fn tokens_of(usage: &Map<String, Value>) -> Result<Tokens, Unreadable> {
    const KEYS: [&str; 6] = [
        "inputTokens",
        "outputTokens",
        "cacheCreationTokens",
        "cacheReadTokens",
        "thinkingTokens",
        "totalTokens",
    ];
    let mut v = [0u64; 6];
    let mut known = false;
    for (i, key) in KEYS.iter().enumerate() {
        match usage.get(*key) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => {
                known = true;
                v[i] = n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)).unwrap_or(0);
            }
            Some(_) => return Err(Unreadable),
        }
    }
    if !known && !usage.is_empty() {
        return Err(Unreadable);
    }
    let [input, output, cache_write, cache_read, thinking, total] = v;
    let mut t = Tokens {
        input,
        cache_write_5m: cache_write,
        cache_read,
        output: output.saturating_add(thinking),
        reasoning: thinking,
        ..Tokens::default()
    };
    // Only a total, no parts: it is all counted as output (as ccusage does; the split is lost).
    if t.is_zero() && total > 0 {
        t.output = total;
    }
    Ok(t)
}

fn string(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn session_id(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.strip_suffix(".settings.json").unwrap_or(&name).to_owned()
}

/// The model named in the sibling transcript: the text after `Model:` in one of its first lines,
/// up to a quote, a backslash or a bracket (`Model: Claude Opus 4.5 Thinking [Anthropic]`).
fn sidecar_model(settings: &Path) -> Option<String> {
    use std::io::{BufRead, BufReader};
    let transcript = settings.with_file_name(format!("{}.jsonl", session_id(settings)));
    let file = std::fs::File::open(transcript).ok()?;
    for line in BufReader::new(file).split(b'\n').take(SIDECAR_LINES) {
        let line = line.ok()?;
        let line = String::from_utf8_lossy(&line);
        let Some((_, tail)) = line.split_once("Model:") else { continue };
        let raw = tail.split(['"', '\\', '[']).next().unwrap_or_default().trim();
        if !raw.is_empty() {
            return Some(raw.to_owned());
        }
    }
    None
}

/// The model when neither the settings nor the transcript name one, by the locked provider.
fn fallback_model(provider: Option<&str>) -> &'static str {
    match provider.map(str::to_ascii_lowercase).as_deref() {
        Some("anthropic" | "claude") => "claude-unknown",
        Some("openai") => "gpt-unknown",
        Some("google" | "gemini" | "vertex" | "vertex_ai") => "gemini-unknown",
        Some("xai" | "grok") => "grok-unknown",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path, doc: &str) -> (DocOutcome, Output) {
        let mut out = Output::default();
        let r = Droid.document(path, doc.as_bytes(), &mut out);
        (r, out)
    }

    const DOC: &str = r#"{"model":"custom:Claude-Opus-4.5-Thinking-[Anthropic]-0","providerLock":"anthropic",
        "providerLockTimestamp":"2026-03-02T16:00:00.000Z",
        "tokenUsage":{"inputTokens":1200,"outputTokens":5400,"cacheCreationTokens":9000,"cacheReadTokens":180000,"thinkingTokens":800}}"#;

    #[test]
    fn cumulative_usage_is_one_observation_per_session() {
        let (r, out) = read(Path::new("/h/.factory/sessions/-home-dev-acme/s-1.settings.json"), DOC);
        assert_eq!(r, DocOutcome::Read);
        assert_eq!(out.totals.len(), 1);
        let o = &out.totals[0];
        assert_eq!(o.counter, "s-1");
        assert_eq!(o.event.model, "claude-opus-4-5");
        assert_eq!(o.event.project, "-home-dev-acme");
        assert_eq!(o.event.ts_ms, 0);
        let t = o.event.tokens;
        assert_eq!(
            (t.input, t.cache_write_5m, t.cache_read, t.output, t.reasoning),
            (1200, 9000, 180000, 6200, 800)
        );
    }

    #[test]
    fn a_renamed_field_is_counted_as_drift_never_as_zero() {
        let p = Path::new("/h/.factory/sessions/s-2.settings.json");
        for drifted in [
            DOC.replace("\"tokenUsage\"", "\"tokenStats\""),
            DOC.replace("\"inputTokens\":1200,\"outputTokens\":5400,\"cacheCreationTokens\":9000,\"cacheReadTokens\":180000,\"thinkingTokens\":800", "\"in\":1200,\"out\":5400"),
            DOC.replace("\"inputTokens\":1200", "\"inputTokens\":\"1200\""),
        ] {
            let (r, out) = read(p, &drifted);
            assert_eq!(r, DocOutcome::Read);
            assert_eq!(out.unreadable, 1, "{drifted}");
            assert!(out.totals.is_empty());
        }
        // The same document as written is read (the test can fail).
        assert_eq!(read(p, DOC).1.unreadable, 0);
    }

    #[test]
    fn half_written_waits_and_a_fresh_session_is_nothing() {
        let p = Path::new("/h/.factory/sessions/s-3.settings.json");
        assert_eq!(read(p, &DOC[..DOC.len() / 2]).0, DocOutcome::Incomplete);
        let (r, out) = read(p, r#"{"model":"gpt-5","providerLock":"openai","autonomyLevel":"high"}"#);
        assert_eq!((r, out.totals.len(), out.unreadable), (DocOutcome::Read, 0, 0));
        let (r, out) = read(p, "[1,2]");
        assert_eq!((r, out.totals.len(), out.unreadable), (DocOutcome::Read, 0, 0));
    }

    #[test]
    fn total_only_is_output_and_model_comes_from_the_transcript() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s-4.settings.json");
        std::fs::write(
            dir.path().join("s-4.jsonl"),
            "{\"type\":\"session_start\"}\n{\"content\":\"Model: Claude Sonnet 4.5 [Anthropic]\\n\"}\n",
        )
        .unwrap();
        let (_, out) = read(&p, r#"{"providerLock":"anthropic","tokenUsage":{"totalTokens":456}}"#);
        let e = &out.totals[0].event;
        assert_eq!(
            (e.tokens.output, e.tokens.input, e.model.as_str(), e.model_fallback),
            (456, 0, "claude-sonnet-4-5", false)
        );
        std::fs::remove_file(dir.path().join("s-4.jsonl")).unwrap();
        let (_, out) = read(&p, r#"{"providerLock":"anthropic","tokenUsage":{"inputTokens":1}}"#);
        assert_eq!(out.totals[0].event.model, "claude-unknown");
        assert!(out.totals[0].event.model_fallback);
    }

    #[test]
    fn files_and_roots() {
        assert_eq!(Droid.kind(Path::new("/s/a.settings.json")), FileKind::Log(Shape::Document));
        assert_eq!(Droid.kind(Path::new("/s/a.jsonl")), FileKind::Other);
        assert_eq!(Droid.kind(Path::new("/s/notes.txt")), FileKind::Unknown);
        let env = Env::with_home("/h").set("DROID_SESSIONS_DIR", "~/elsewhere");
        assert_eq!(
            Droid.roots(&env),
            vec![PathBuf::from("/h/.factory/sessions"), PathBuf::from("/h/elsewhere")]
        );
    }
}
