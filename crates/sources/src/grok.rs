//! Grok Build CLI (xAI): `<grok home>/sessions/<project>/<session>/updates.jsonl`, the home
//! being `$GROK_HOME` when set, else `~/.grok` (every OS). Append-only lines of the agent's
//! session updates (`{timestamp, params: {sessionId, update: {sessionUpdate, …}}}`); a
//! `turn_completed` update carries the turn's `usage {inputTokens, outputTokens, cachedReadTokens,
//! cacheCreationTokens, reasoningTokens, costUsdTicks}` and, when the turn used several models,
//! `usage.modelUsage {<model>: {same fields}}`, read instead of the turn's sum (one request per
//! model). `inputTokens` INCLUDES both cache parts (subtracted here); `costUsdTicks` is the cost
//! xAI billed, in 1e-10 USD, kept as the logged cost. `reasoningTokens` is taken to be inside
//! `outputTokens`, except where it is larger (then it cannot be, and is added).
//! `chat_history.jsonl`, `summary.json` and `signals.json` beside it hold no billed usage.
//!
//! Trap: a session resumed into a new session copies its updates verbatim; a turn is keyed by
//! its `eventId` alone, so it counts once wherever it is copied.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::env::Env;
use crate::json::{parse_line, parse_ts_ms};
use crate::model::{Tokens, UsageEvent};
use crate::{looks_like_object, FileKind, LineOutcome, LineParser, Output, Shape, Source};

pub const ID: &str = "grok";
/// Model name stored when a turn names none and none was seen before it.
pub const FALLBACK_MODEL: &str = "unknown";

pub struct Grok;

impl Source for Grok {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Grok Build CLI"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let home = env.dir_var("GROK_HOME").unwrap_or_else(|| env.home.join(".grok"));
        vec![home.join("sessions")]
    }

    fn kind(&self, path: &Path) -> FileKind {
        match path.file_name().and_then(|n| n.to_str()) {
            Some("updates.jsonl") => FileKind::Log(Shape::Lines),
            Some("chat_history.jsonl" | "summary.json" | "signals.json" | ".cwd") => FileKind::Other,
            Some(n) if n.ends_with(".jsonl") => FileKind::Unknown,
            _ => FileKind::Other,
        }
    }

    fn lines(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        let st: State = state.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        let name = |p: Option<&Path>| p.and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned());
        let session = name(path.parent()).unwrap_or_default();
        let project = name(path.parent().and_then(Path::parent)).unwrap_or_default();
        Box::new(GrokLines { session, project, st })
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// The last model a turn named, for turns that name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
}

struct GrokLines {
    /// The session folder's name.
    session: String,
    /// The project folder's name (the workspace, encoded).
    project: String,
    st: State,
}

/// A count: missing or null is 0, a non-negative number a count, anything else unreadable.
fn count(u: &Map<String, Value>, k: &str) -> Result<u64, ()> {
    match u.get(k) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => {
            n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)).ok_or(())
        }
        Some(_) => Err(()),
    }
}

/// One usage object's tokens and logged cost.
fn usage(u: &Value) -> Result<(Tokens, Option<f64>), ()> {
    let u = u.as_object().ok_or(())?;
    if !u.contains_key("inputTokens") && !u.contains_key("outputTokens") {
        return Err(());
    }
    let input = count(u, "inputTokens")?;
    let output = count(u, "outputTokens")?;
    let cache_read = count(u, "cachedReadTokens")?;
    let cache_write = count(u, "cacheCreationTokens")?;
    let reasoning = count(u, "reasoningTokens")?;
    let cost = match u.get("costUsdTicks") {
        Some(Value::Number(n)) => n.as_f64().filter(|f| *f > 0.0).map(|t| t / 1e10),
        _ => None,
    };
    let (output, reasoning) =
        if reasoning > output { (output + reasoning, reasoning) } else { (output, reasoning) };
    let tokens = Tokens {
        input: input.saturating_sub(cache_read).saturating_sub(cache_write),
        cache_write_5m: cache_write,
        cache_write_1h: 0,
        cache_read,
        output,
        reasoning,
    };
    Ok((tokens, cost))
}

/// A non-empty text field of `v`.
fn str_of<'a>(v: Option<&'a Value>, k: &str) -> Option<&'a str> {
    v.and_then(|v| v.get(k)).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// Epoch seconds or milliseconds, or ISO-8601 text.
fn timestamp(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => {
            let raw = n.as_f64().filter(|f| *f > 0.0)?;
            Some(if raw < 1e11 { (raw * 1000.0) as i64 } else { raw as i64 })
        }
        Value::String(s) => parse_ts_ms(s.trim()),
        _ => None,
    }
}

impl LineParser for GrokLines {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        let mut repaired = String::new();
        let Some(rec) = parse_line::<Value>(line, &mut repaired) else { return LineOutcome::Malformed };
        let params = rec.get("params");
        let Some(update) = params.and_then(|p| p.get("update")) else { return LineOutcome::Ignored };
        if update.get("sessionUpdate").and_then(Value::as_str) != Some("turn_completed") {
            return LineOutcome::Ignored;
        }
        let Some(u) = update.get("usage").filter(|u| !u.is_null()) else { return LineOutcome::Ignored };
        let Some(ts_ms) = timestamp(rec.get("timestamp")).or_else(|| timestamp(update.get("timestamp")))
        else {
            return LineOutcome::Malformed;
        };
        let session = str_of(params, "sessionId").unwrap_or(&self.session).to_owned();
        let event_id = str_of(Some(update), "eventId").or_else(|| str_of(Some(&rec), "eventId"));
        // One request per model when the turn names its models, else the turn's sum.
        let mut parts: Vec<(Option<String>, Tokens, Option<f64>)> = Vec::new();
        let split = matches!(u.get("modelUsage"), Some(Value::Object(m)) if !m.is_empty());
        match u.get("modelUsage") {
            Some(Value::Object(models)) if !models.is_empty() => {
                for (model, mu) in models {
                    let Ok((t, c)) = usage(mu) else { return LineOutcome::Malformed };
                    parts.push((Some(model.trim().to_owned()).filter(|m| !m.is_empty()), t, c));
                }
            }
            None | Some(Value::Null) | Some(Value::Object(_)) => {
                let Ok((t, c)) = usage(u) else { return LineOutcome::Malformed };
                let model =
                    str_of(Some(update), "modelId").or_else(|| str_of(Some(u), "model")).map(str::to_owned);
                parts.push((model, t, c));
            }
            Some(_) => return LineOutcome::Malformed,
        }
        for (model, tokens, cost) in parts {
            if let Some(m) = &model {
                self.st.model = Some(m.clone());
            }
            if tokens.is_zero() && cost.is_none() {
                continue;
            }
            let (model, model_fallback) = match model.or_else(|| self.st.model.clone()) {
                Some(m) => (crate::names::normalize(&m), false),
                None => (FALLBACK_MODEL.to_owned(), true),
            };
            let key = match (event_id, split) {
                (Some(id), true) => format!("{ID}:{id}:{model}"),
                (Some(id), false) => format!("{ID}:{id}"),
                (None, true) => format!("{ID}:{session}:{ts_ms}:{model}"),
                (None, false) => format!("{ID}:{session}:{ts_ms}:{}:{}", tokens.input, tokens.output),
            };
            out.events.push(UsageEvent {
                source: ID,
                session_id: session.clone(),
                project: self.project.clone(),
                model,
                model_fallback,
                ts_ms,
                dedupe_key: key,
                group_key: None,
                sidechain: false,
                tokens,
                logged_cost_usd: cost,
                git_branch: None,
                parent_session: None,
            });
        }
        LineOutcome::Used
    }

    fn state(&self) -> Option<String> {
        serde_json::to_string(&self.st).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TURN: &str = r#"{"timestamp":1772456400,"params":{"sessionId":"s1","update":{"sessionUpdate":"turn_completed","eventId":"e1","usage":{"inputTokens":1000,"outputTokens":200,"cachedReadTokens":300,"cacheCreationTokens":40,"reasoningTokens":50,"costUsdTicks":10000000000}}}}"#;

    fn run(lines: &[&str]) -> (Output, Vec<LineOutcome>) {
        let mut p = Grok.lines(Path::new("/h/.grok/sessions/proj/s1/updates.jsonl"), None);
        let mut out = Output::default();
        let o = lines.iter().map(|l| p.line(l.as_bytes(), &mut out)).collect();
        (out, o)
    }

    #[test]
    fn a_turn_is_read_with_its_logged_cost() {
        let (out, o) = run(&[TURN]);
        assert_eq!(o, vec![LineOutcome::Used]);
        let e = &out.events[0];
        assert_eq!(
            e.tokens,
            Tokens {
                input: 660,
                cache_write_5m: 40,
                cache_read: 300,
                output: 200,
                reasoning: 50,
                ..Tokens::default()
            }
        );
        assert_eq!(e.logged_cost_usd, Some(1.0));
        assert_eq!(
            (e.dedupe_key.as_str(), e.ts_ms, e.model.as_str()),
            ("grok:e1", 1_772_456_400_000, "unknown")
        );
        assert!(e.model_fallback);
    }

    #[test]
    fn model_usage_splits_a_turn_and_names_the_model_of_later_turns() {
        let multi = r#"{"timestamp":"2026-03-02T13:00:00.000Z","params":{"update":{"sessionUpdate":"turn_completed","eventId":"e2","usage":{"inputTokens":1000,"outputTokens":200,"modelUsage":{"grok-4":{"inputTokens":600,"outputTokens":100,"cachedReadTokens":100,"costUsdTicks":5000000000},"grok-code-fast-1":{"inputTokens":400,"outputTokens":100}}}}}}"#;
        let plain = r#"{"timestamp":1772456500,"params":{"update":{"sessionUpdate":"turn_completed","usage":{"inputTokens":10,"outputTokens":20,"reasoningTokens":30}}}}"#;
        let chunk = r#"{"timestamp":1772456500,"params":{"update":{"sessionUpdate":"agent_message_chunk","content":{"text":"hi"}}}}"#;
        let (out, o) = run(&[multi, plain, chunk]);
        assert_eq!(o, vec![LineOutcome::Used, LineOutcome::Used, LineOutcome::Ignored]);
        assert_eq!(out.events.len(), 3);
        assert_eq!(out.events[0].tokens.input, 500);
        assert_eq!(out.events[0].logged_cost_usd, Some(0.5));
        // The last model named carries over; reasoning above output is added to it.
        assert_eq!(out.events[2].model, "grok-code-fast-1");
        assert_eq!(
            out.events[2].tokens,
            Tokens { input: 10, output: 50, reasoning: 30, ..Tokens::default() }
        );
        assert_eq!(out.events[2].session_id, "s1");
    }

    #[test]
    fn renamed_fields_are_drift() {
        for bad in [
            TURN.replace("inputTokens", "input_tokens").replace("outputTokens", "output_tokens"),
            TURN.replace(r#""outputTokens":200"#, r#""outputTokens":"200""#),
            TURN.replace(r#""timestamp":1772456400,"#, ""),
        ] {
            let (out, o) = run(&[&bad]);
            assert_eq!(o, vec![LineOutcome::Malformed], "{bad}");
            assert!(out.events.is_empty());
        }
        assert_eq!(run(&["{\"timestamp\":1,"]).1, vec![LineOutcome::Malformed]);
    }

    #[test]
    fn roots_and_kinds() {
        let env = Env::with_home("/h");
        assert_eq!(Grok.roots(&env), vec![PathBuf::from("/h/.grok/sessions")]);
        assert_eq!(Grok.roots(&env.set("GROK_HOME", "/g")), vec![PathBuf::from("/g/sessions")]);
        let s = Path::new("/h/.grok/sessions/p/s");
        assert_eq!(Grok.kind(&s.join("updates.jsonl")), FileKind::Log(Shape::Lines));
        assert_eq!(Grok.kind(&s.join("chat_history.jsonl")), FileKind::Other);
        assert_eq!(Grok.kind(&s.join("events.jsonl")), FileKind::Unknown);
    }
}
