//! OpenClaw (formerly Clawdbot / Moltbot): pi's session format (it runs pi's agent core), one
//! file per session under `<state dir>/agents/<agent id>/sessions/<session id>.jsonl`, the state
//! dir being `$OPENCLAW_STATE_DIR` or `~/.openclaw` (older installs: `~/.clawdbot`,
//! `~/.moltbot`, `~/.moldbot`) [openclaw/openclaw: docs, the gateway's session store].
//! `OPENCLAW_DIR` (a comma-separated list) is ccusage's own override, honoured too.
//!
//! The lines are read by [`crate::pi`]'s parser: assistant `message` entries carry pi-ai's
//! `usage` (input without cache, output with reasoning, `cost.total` kept); the model is the
//! message's, else the last `model_change` / `custom` `model-snapshot` entry's.
//!
//! The trap: resetting or deleting a session renames its file to
//! `<session id>.jsonl.reset.<time>` / `.jsonl.deleted.<time>` (and a new file may start under
//! the old name), so the same entries appear under two names. Entries are keyed by their id
//! and timestamp, never by file, so a renamed copy is stored once.

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::pi::{Flavor, SessionLines};
use crate::{FileKind, LineParser, Shape, Source};

pub const ID: &str = "openclaw";

pub struct OpenClaw;

const FLAVOR: Flavor = Flavor { id: ID, session_of_file };

/// `<session id>.jsonl[.reset.<time>|.deleted.<time>]` → `<session id>`.
fn session_of_file(path: &Path) -> String {
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match name.find(".jsonl") {
        Some(i) if i > 0 => name[..i].to_owned(),
        _ => name,
    }
}

/// A session file, live or archived by a reset or a delete.
fn is_session_file(name: &str) -> bool {
    let Some(i) = name.find(".jsonl") else { return false };
    let rest = &name[i..];
    rest == ".jsonl" || rest.starts_with(".jsonl.reset.") || rest.starts_with(".jsonl.deleted.")
}

impl Source for OpenClaw {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "OpenClaw"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let mut roots = Vec::new();
        match env.dir_var("OPENCLAW_STATE_DIR") {
            Some(dir) => roots.push(dir.join("agents")),
            None => {
                for name in [".openclaw", ".clawdbot", ".moltbot", ".moldbot"] {
                    roots.push(env.home.join(name).join("agents"));
                }
            }
        }
        for p in env.path_list("OPENCLAW_DIR") {
            let p = p.join("agents");
            if !roots.contains(&p) {
                roots.push(p);
            }
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if is_session_file(&name) {
            FileKind::Log(Shape::Lines)
        } else {
            // sessions.json (the index), auth profiles, agent settings.
            FileKind::Other
        }
    }

    fn lines(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        Box::new(SessionLines::new(&FLAVOR, path, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LineOutcome, Output};

    #[test]
    fn roots_and_kinds() {
        let env = Env::with_home("/h");
        assert_eq!(OpenClaw.roots(&env)[0], PathBuf::from("/h/.openclaw/agents"));
        assert_eq!(OpenClaw.roots(&env).len(), 4);
        let env = env.set("OPENCLAW_STATE_DIR", "/s").set("OPENCLAW_DIR", "/o");
        assert_eq!(OpenClaw.roots(&env), vec![PathBuf::from("/s/agents"), PathBuf::from("/o/agents")]);
        let k = |p: &str| OpenClaw.kind(Path::new(p));
        assert_eq!(k("/a/main/sessions/s1.jsonl"), FileKind::Log(Shape::Lines));
        assert_eq!(k("/a/main/sessions/s1.jsonl.reset.2026-03-02T10-00-00Z"), FileKind::Log(Shape::Lines));
        assert_eq!(k("/a/main/sessions/s1.jsonl.deleted.1772445600"), FileKind::Log(Shape::Lines));
        assert_eq!(k("/a/main/sessions/sessions.json"), FileKind::Other);
        assert_eq!(k("/a/main/sessions/s1.jsonl.bak"), FileKind::Other);
    }

    #[test]
    fn the_model_comes_from_a_model_change_when_the_message_names_none() {
        let mut p = OpenClaw.lines(Path::new("/a/main/sessions/s9.jsonl.reset.1"), None);
        let mut out = Output::default();
        let change = r#"{"type":"model_change","id":"m","timestamp":"2026-03-02T10:00:00.000Z","provider":"openai","modelId":"gpt-5.1"}"#;
        let turn = r#"{"type":"message","id":"x","timestamp":"2026-03-02T10:00:01.000Z","message":{"role":"assistant","usage":{"input":1,"output":2}}}"#;
        assert_eq!(p.line(change.as_bytes(), &mut out), LineOutcome::Ignored);
        assert_eq!(p.line(turn.as_bytes(), &mut out), LineOutcome::Used);
        assert_eq!(out.events[0].model, "gpt-5.1");
        assert_eq!(out.events[0].session_id, "s9");
        assert_eq!(out.events[0].dedupe_key, "openclaw:x:2026-03-02T10:00:01.000Z");
        // The state carries the model to a resumed read.
        let mut q = OpenClaw.lines(Path::new("/a/main/sessions/s9.jsonl"), p.state().as_deref());
        let mut out = Output::default();
        q.line(turn.as_bytes(), &mut out);
        assert_eq!(out.events[0].model, "gpt-5.1");
    }
}
