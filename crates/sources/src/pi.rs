//! Pi (the coding agent of badlogic/pi-mono): one append-only session file per session,
//! `<agent dir>/sessions/--<cwd with / \ : as ->--/<ISO time>_<session uuid>.jsonl`, the agent dir
//! being `$PI_CODING_AGENT_DIR` or `~/.pi/agent` on every OS (`$PI_CODING_AGENT_SESSION_DIR`
//! replaces the sessions folder) [badlogic/pi-mono: packages/coding-agent/src/config.ts,
//! src/core/session-manager.ts]. `PI_AGENT_DIR` (a comma-separated list of sessions folders)
//! is ccusage's own override, honoured too.
//!
//! Lines: a header `{"type":"session","id","timestamp","cwd","parentSession"?}`, then entries
//! `{"type","id","parentId","timestamp",…}`; an assistant turn is
//! `{"type":"message","message":{"role":"assistant","provider","model","usage":{"input","output",
//! "cacheRead","cacheWrite","totalTokens","cost":{…,"total"}}}}`. pi-ai's `input` already leaves
//! out cache reads and writes, and `output` is the provider's output count (reasoning included,
//! never reported apart); `cost.total` is pi's own estimate in USD and is kept.
//!
//! The trap: a fork (`--fork`, `/fork`) or an extracted branch (`createBranchedSession`) writes a
//! NEW session file that copies the source session's entries verbatim (same entry ids, same
//! timestamps) after a new header. Every entry is keyed by its id and timestamp, not by file or
//! session, so a copied turn is stored once, in the session it was first read in.
//!
//! OpenClaw writes the same session format ([`crate::openclaw`]); the parser here serves both.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::env::Env;
use crate::json::{parse_line, parse_ts_ms};
use crate::model::{Tokens, UsageEvent};
use crate::{looks_like_object, FileKind, LineOutcome, LineParser, Output, Shape, Source};

pub const ID: &str = "pi";

pub struct Pi;

impl Source for Pi {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Pi"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let mut roots = Vec::new();
        if let Some(dir) = env.dir_var("PI_CODING_AGENT_SESSION_DIR") {
            roots.push(dir);
        }
        let agent = env.dir_var("PI_CODING_AGENT_DIR").unwrap_or_else(|| env.home.join(".pi/agent"));
        roots.push(agent.join("sessions"));
        for p in env.path_list("PI_AGENT_DIR") {
            if !roots.contains(&p) {
                roots.push(p);
            }
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        if path.extension().is_some_and(|e| e == "jsonl") {
            FileKind::Log(Shape::Lines)
        } else {
            FileKind::Other
        }
    }

    fn lines(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        Box::new(SessionLines::new(&PI_FLAVOR, path, state))
    }
}

/// What differs between the tools writing pi's session format.
pub(crate) struct Flavor {
    pub id: &'static str,
    /// The session id of a file whose header is missing, from its name.
    pub session_of_file: fn(&Path) -> String,
}

const PI_FLAVOR: Flavor = Flavor { id: ID, session_of_file: pi_session_of_file };

/// `<time>_<uuid>.jsonl` → `<uuid>`.
fn pi_session_of_file(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match stem.split_once('_') {
        Some((_, id)) if !id.is_empty() => id.to_owned(),
        _ => stem,
    }
}

/// A session file's running context: its header, and the model last switched to (OpenClaw
/// names the model in `model_change` / `model-snapshot` entries, not always in the message).
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider: Option<String>,
}

pub(crate) struct SessionLines {
    flavor: &'static Flavor,
    file_session: String,
    ctx: Context,
}

impl SessionLines {
    pub(crate) fn new(flavor: &'static Flavor, path: &Path, state: Option<&str>) -> SessionLines {
        let ctx = state.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        SessionLines { flavor, file_session: (flavor.session_of_file)(path), ctx }
    }
}

fn text(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// A token count: absent or null is 0, a negative or non-number is unreadable.
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

/// A session path named in a header (`parentSession`) → that session's id.
fn session_of_parent(p: &str) -> String {
    let name = p.rsplit(['/', '\\']).next().unwrap_or(p);
    let stem = name.split(".jsonl").next().unwrap_or(name);
    match stem.split_once('_') {
        Some((_, id)) if !id.is_empty() => id.to_owned(),
        _ => stem.to_owned(),
    }
}

impl LineParser for SessionLines {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        let mut repaired = String::new();
        let Some(rec) = parse_line::<Value>(line, &mut repaired) else { return LineOutcome::Malformed };
        let kind = rec.get("type").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "session" => {
                self.ctx.session = text(rec.get("id")).map(str::to_owned);
                self.ctx.cwd = text(rec.get("cwd")).map(str::to_owned);
                self.ctx.parent = text(rec.get("parentSession")).map(session_of_parent);
                return LineOutcome::Ignored;
            }
            "model_change" => {
                let src = rec.get("data").filter(|d| d.is_object()).unwrap_or(&rec);
                if let Some(m) = text(src.get("modelId")).or_else(|| text(src.get("model"))) {
                    self.ctx.model = Some(m.to_owned());
                }
                if let Some(p) = text(src.get("provider")) {
                    self.ctx.provider = Some(p.to_owned());
                }
                return LineOutcome::Ignored;
            }
            "custom" if rec.get("customType").and_then(Value::as_str) == Some("model-snapshot") => {
                let src = rec.get("data").filter(|d| d.is_object()).unwrap_or(&rec);
                if let Some(m) = text(src.get("modelId")).or_else(|| text(src.get("model"))) {
                    self.ctx.model = Some(m.to_owned());
                }
                if let Some(p) = text(src.get("provider")) {
                    self.ctx.provider = Some(p.to_owned());
                }
                return LineOutcome::Ignored;
            }
            "message" => {}
            _ => return LineOutcome::Ignored,
        }
        let Some(msg) = rec.get("message") else { return LineOutcome::Ignored };
        if msg.get("role").and_then(Value::as_str) != Some("assistant") {
            return LineOutcome::Ignored;
        }
        let Some(usage) = msg.get("usage").filter(|u| !u.is_null()) else { return LineOutcome::Ignored };
        let Some(u) = usage.as_object() else { return LineOutcome::Malformed };
        if !["input", "output", "cacheRead", "cacheWrite"].iter().any(|k| u.contains_key(*k)) {
            // Renamed fields (a total only is not enough to know what was billed).
            return LineOutcome::Malformed;
        }
        let counts = (|| {
            Ok::<_, ()>((
                count(u.get("input"))?,
                count(u.get("output"))?,
                count(u.get("cacheRead"))?,
                count(u.get("cacheWrite"))?,
            ))
        })();
        let Ok((input, output, cache_read, cache_write)) = counts else { return LineOutcome::Malformed };
        let ts_ms = text(rec.get("timestamp"))
            .and_then(parse_ts_ms)
            .or_else(|| msg.get("timestamp").and_then(Value::as_f64).filter(|t| *t > 0.0).map(|t| t as i64));
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
            // An aborted or failed request: nothing billed.
            return LineOutcome::Used;
        }
        let session = self.ctx.session.clone().unwrap_or_else(|| self.file_session.clone());
        let id = match text(rec.get("id")) {
            // Entry ids are unique within a session tree, and copied verbatim by forks: with
            // the entry's timestamp they identify the request across files.
            Some(id) => {
                format!("{}:{}:{}", self.flavor.id, id, text(rec.get("timestamp")).unwrap_or_default())
            }
            None => {
                format!("{}:{session}:{ts_ms}:{input}:{output}:{cache_read}:{cache_write}", self.flavor.id)
            }
        };
        let raw_model =
            text(msg.get("model")).or_else(|| text(msg.get("modelId"))).or(self.ctx.model.as_deref());
        let (model, model_fallback) = match raw_model {
            Some(m) => (crate::names::normalize(m), false),
            None => ("unknown".to_owned(), true),
        };
        let cost = usage.pointer("/cost/total").and_then(Value::as_f64).filter(|c| *c > 0.0 && c.is_finite());
        out.events.push(UsageEvent {
            source: self.flavor.id,
            session_id: session,
            project: self.ctx.cwd.clone().unwrap_or_default(),
            model,
            model_fallback,
            ts_ms,
            dedupe_key: id,
            group_key: None,
            sidechain: false,
            tokens,
            logged_cost_usd: cost,
            git_branch: None,
            parent_session: self.ctx.parent.clone(),
        });
        LineOutcome::Used
    }

    fn state(&self) -> Option<String> {
        let c = &self.ctx;
        if c.session.is_none()
            && c.cwd.is_none()
            && c.model.is_none()
            && c.provider.is_none()
            && c.parent.is_none()
        {
            return None;
        }
        serde_json::to_string(c).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"type":"session","version":3,"id":"s-1","timestamp":"2026-03-02T10:00:00.000Z","cwd":"/home/dev/acme"}"#;
    const TURN: &str = r#"{"type":"message","id":"a1b2c3d4","parentId":"u1","timestamp":"2026-03-02T10:00:05.000Z","message":{"role":"assistant","content":[],"api":"anthropic-messages","provider":"anthropic","model":"claude-sonnet-4-5","usage":{"input":120,"output":300,"cacheRead":9000,"cacheWrite":400,"totalTokens":9820,"cost":{"input":0.1,"output":0.2,"cacheRead":0.01,"cacheWrite":0.02,"total":0.33}},"stopReason":"toolUse","timestamp":1772445605000}}"#;

    fn run(lines: &[&str], state: Option<&str>) -> (Output, Vec<LineOutcome>, Option<String>) {
        let mut p = Pi.lines(
            Path::new("/h/.pi/agent/sessions/--home-dev-acme--/2026-03-02T10-00-00-000Z_s-1.jsonl"),
            state,
        );
        let mut out = Output::default();
        let o = lines.iter().map(|l| p.line(l.as_bytes(), &mut out)).collect();
        (out, o, p.state())
    }

    #[test]
    fn assistant_usage_is_read() {
        let (out, o, state) = run(&[HEADER, TURN], None);
        assert_eq!(o, [LineOutcome::Ignored, LineOutcome::Used]);
        let e = &out.events[0];
        assert_eq!(
            (e.tokens.input, e.tokens.cache_read, e.tokens.cache_write_5m, e.tokens.output),
            (120, 9000, 400, 300)
        );
        assert_eq!(e.dedupe_key, "pi:a1b2c3d4:2026-03-02T10:00:05.000Z");
        assert_eq!(
            (e.session_id.as_str(), e.project.as_str(), e.model.as_str()),
            ("s-1", "/home/dev/acme", "claude-sonnet-4-5")
        );
        assert_eq!(e.logged_cost_usd, Some(0.33));
        // Resumed after the header: the session and project are kept in the state.
        let (out, _, _) = run(&[TURN], state.as_deref());
        assert_eq!(out.events[0].project, "/home/dev/acme");
    }

    #[test]
    fn a_fork_copies_entries_under_the_same_key() {
        let fork = r#"{"type":"session","version":3,"id":"s-2","timestamp":"2026-03-03T09:00:00.000Z","cwd":"/home/dev/other","parentSession":"/h/.pi/agent/sessions/--home-dev-acme--/2026-03-02T10-00-00-000Z_s-1.jsonl"}"#;
        let (a, _, _) = run(&[HEADER, TURN], None);
        let (b, _, _) = run(&[fork, TURN], None);
        assert_eq!(a.events[0].dedupe_key, b.events[0].dedupe_key);
        assert_eq!(b.events[0].parent_session.as_deref(), Some("s-1"));
    }

    #[test]
    fn drift_is_malformed_and_zero_is_not_billed() {
        for bad in [
            TURN.replace(
                r#""input":120,"output":300,"cacheRead":9000,"cacheWrite":400,"#,
                r#""inputTokens":120,"#,
            ),
            TURN.replace(r#""output":300"#, r#""output":"300""#),
            TURN.replace(r#""timestamp":"2026-03-02T10:00:05.000Z","#, "")
                .replace(r#","timestamp":1772445605000"#, ""),
            TURN[..80].to_owned(),
        ] {
            let (out, o, _) = run(&[&bad], None);
            assert_eq!(o, [LineOutcome::Malformed], "{bad}");
            assert!(out.events.is_empty());
        }
        let aborted = TURN.replace(
            r#""input":120,"output":300,"cacheRead":9000,"cacheWrite":400"#,
            r#""input":0,"output":0,"cacheRead":0,"cacheWrite":0"#,
        );
        let (out, o, _) = run(&[&aborted], None);
        assert_eq!((o[0], out.events.len()), (LineOutcome::Used, 0));
    }

    #[test]
    fn roots() {
        let env = Env::with_home("/h");
        assert_eq!(Pi.roots(&env), vec![PathBuf::from("/h/.pi/agent/sessions")]);
        let env = env.set("PI_CODING_AGENT_DIR", "~/agent").set("PI_AGENT_DIR", "/x/sessions");
        assert_eq!(Pi.roots(&env), vec![PathBuf::from("/h/agent/sessions"), PathBuf::from("/x/sessions")]);
        let env = Env::with_home("/h").set("PI_CODING_AGENT_SESSION_DIR", "/s");
        assert_eq!(Pi.roots(&env), vec![PathBuf::from("/s"), PathBuf::from("/h/.pi/agent/sessions")]);
    }
}
