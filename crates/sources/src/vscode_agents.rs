//! The VS Code agent extensions Cline, Roo Code, Kilo Code and Zoo Code: one reader, a small
//! table of what differs between them (extension id, where the model is named).
//!
//! Each task is a folder `<VS Code user dir>/User/globalStorage/<extension id>/tasks/<task id>/`
//! for every VS Code fork (Code, Code - Insiders, VSCodium, Cursor, Windsurf, Positron,
//! Antigravity) under the OS's application data directory, and under `~/.vscode-server/data`
//! (and `-insiders`) on a remote host. Cline's CLI keeps the same task folders under
//! `$CLINE_DATA_DIR` (default `$CLINE_DIR/data`, `~/.cline/data`).
//!
//! Usage is in `ui_messages.json`, a JSON array rewritten whole on every save: each
//! `{"type":"say","say":"api_req_started","ts":…,"text":"<JSON>"}` is one request. Its `text`
//! holds `{"request":…}` while the request runs and gains `tokensIn`, `tokensOut`,
//! `cacheWrites`, `cacheReads` and `cost` (all at once) when it ends, in place; a request is
//! keyed by (task id, `ts`) and counted once it carries them. `tokensIn` excludes the cache
//! except when `apiProtocol` is `"openai"` (Roo/Kilo/Zoo), where it includes both cache reads
//! and writes. Cancelled and failed requests that carry tokens were billed and are counted.
//!
//! The model is not in `ui_messages.json`: Cline names it in `task_metadata.json`
//! (`model_usage[]`, the last entry at or before the request), Roo and its forks in the
//! `<model>` tag of the environment details of the user turn the request sent
//! (`api_conversation_history.json`, the first user turn at or after the request's `ts`). The
//! project is the "Current Working/Workspace Directory" those environment details name.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use memchr::memmem;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use crate::env::Env;
use crate::json::lenient_str;
use crate::model::{Tokens, UsageEvent};
use crate::{DocOutcome, FileKind, Output, Shape, Source};

/// Where an extension names the model of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ModelFrom {
    /// `task_metadata.json` → `model_usage[] {ts, model_id}` (Cline).
    TaskMetadata,
    /// `<model>…</model>` in the user turns of `api_conversation_history.json` (Roo and forks).
    EnvironmentDetails,
}

/// One VS Code agent extension.
pub struct VsCodeAgent {
    id: &'static str,
    name: &'static str,
    /// `publisher.name`, lowercase, as VS Code names the extension's globalStorage folder.
    extension: &'static str,
    model_from: ModelFrom,
    /// Also read the Cline CLI's `~/.cline/data/tasks`.
    cline_data_dir: bool,
}

pub const CLINE: VsCodeAgent = VsCodeAgent {
    id: "cline",
    name: "Cline",
    extension: "saoudrizwan.claude-dev",
    model_from: ModelFrom::TaskMetadata,
    cline_data_dir: true,
};

pub const ROO_CODE: VsCodeAgent = VsCodeAgent {
    id: "roo-code",
    name: "Roo Code",
    extension: "rooveterinaryinc.roo-cline",
    model_from: ModelFrom::EnvironmentDetails,
    cline_data_dir: false,
};

pub const KILO_CODE: VsCodeAgent = VsCodeAgent {
    id: "kilo-code",
    name: "Kilo Code (VS Code)",
    extension: "kilocode.kilo-code",
    model_from: ModelFrom::EnvironmentDetails,
    cline_data_dir: false,
};

pub const ZOO_CODE: VsCodeAgent = VsCodeAgent {
    id: "zoo-code",
    name: "Zoo Code",
    extension: "zoocodeorganization.zoo-code",
    model_from: ModelFrom::EnvironmentDetails,
    cline_data_dir: false,
};

/// VS Code and the forks whose user data directory has the same layout.
const FORKS: [&str; 7] =
    ["Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf", "Positron", "Antigravity"];

/// VS Code Server's data directories (remote SSH, WSL, containers), below the home.
const SERVERS: [&str; 2] = [".vscode-server/data", ".vscode-server-insiders/data"];

/// Model name stored when the task's files name none.
pub const FALLBACK_MODEL: &str = "unknown";

/// Files an extension writes into a task folder that hold no usage.
const OTHER_TASK_FILES: [&str; 5] = [
    "api_conversation_history.json",
    "task_metadata.json",
    "context_history.json",
    "history_item.json",
    "settings.json",
];

const UI_MESSAGES: &str = "ui_messages.json";

impl Source for VsCodeAgent {
    fn id(&self) -> &'static str {
        self.id
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let storage =
            |user_dir: PathBuf| user_dir.join("User/globalStorage").join(self.extension).join("tasks");
        let app_data = env.app_data_dir();
        let mut roots: Vec<PathBuf> = FORKS.iter().map(|f| storage(app_data.join(f))).collect();
        roots.extend(SERVERS.iter().map(|s| storage(env.home.join(s))));
        if self.cline_data_dir {
            let data = env
                .dir_var("CLINE_DATA_DIR")
                .or_else(|| env.dir_var("CLINE_DIR").map(|d| d.join("data")))
                .unwrap_or_else(|| env.home.join(".cline/data"));
            roots.push(data.join("tasks"));
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        // Files directly in a task folder are judged by name; anything deeper (Roo's
        // `checkpoints/` shadow repository, attachments) is the extension's own.
        let in_task_dir =
            path.parent().and_then(Path::parent).and_then(Path::file_name).is_some_and(|n| n == "tasks");
        if !in_task_dir {
            return FileKind::Other;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return FileKind::Unknown };
        if name == UI_MESSAGES {
            FileKind::Log(Shape::Document)
        } else if OTHER_TASK_FILES.contains(&name) || name.contains(".tmp") {
            FileKind::Other
        } else {
            FileKind::Unknown
        }
    }

    fn document(&self, path: &Path, bytes: &[u8], out: &mut Output) -> DocOutcome {
        let values: Vec<Value>;
        let messages: Vec<UiMessage> = match serde_json::from_slice(bytes) {
            Ok(m) => m,
            Err(_) => {
                // The slow path for a document the typed read refused: not complete JSON
                // (mid-write) waits; otherwise its elements are read one by one, and an
                // `api_req_started` element that cannot be read, or a document that is not an
                // array, is unreadable.
                if serde_json::from_slice::<IgnoredAny>(bytes).is_err() {
                    return DocOutcome::Incomplete;
                }
                let Ok(v) = serde_json::from_slice::<Vec<Value>>(bytes) else {
                    out.unreadable += 1;
                    return DocOutcome::Read;
                };
                values = v;
                values
                    .iter()
                    .filter_map(|v| match UiMessage::deserialize(v) {
                        Ok(m) => Some(m),
                        Err(_) => {
                            if v.get("say").and_then(Value::as_str) == Some("api_req_started") {
                                out.unreadable += 1;
                            }
                            None
                        }
                    })
                    .collect()
            }
        };
        let task_dir = path.parent().unwrap_or(Path::new(""));
        let task = task_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let siblings = Siblings::read(task_dir, self.model_from);
        for m in &messages {
            if m.say.as_deref() != Some("api_req_started") {
                continue;
            }
            match request(m) {
                Request::Running => {}
                Request::Unreadable => out.unreadable += 1,
                Request::Done { ts, tokens, cost } => {
                    if tokens.is_zero() && cost.is_none_or(|c| c == 0.0) {
                        continue;
                    }
                    let (model, model_fallback) = match siblings.model_at(ts) {
                        Some(m) => (m, false),
                        None => (FALLBACK_MODEL.to_string(), true),
                    };
                    out.events.push(UsageEvent {
                        source: self.id,
                        session_id: task.clone(),
                        project: siblings.project.clone(),
                        model,
                        model_fallback,
                        ts_ms: ts,
                        dedupe_key: format!("{}:{}:{}", self.id, task, ts),
                        group_key: None,
                        sidechain: false,
                        tokens,
                        logged_cost_usd: cost,
                        git_branch: None,
                        parent_session: None,
                    });
                }
            }
        }
        DocOutcome::Read
    }
}

/// One element of `ui_messages.json`, read leniently: only `api_req_started` entries matter,
/// and an odd field elsewhere never loses the document.
#[derive(Deserialize)]
struct UiMessage<'a> {
    #[serde(default)]
    ts: Option<Value>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    say: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    text: Option<Cow<'a, str>>,
}

/// What the `text` of an `api_req_started` entry says.
#[derive(Debug, PartialEq)]
enum Request {
    /// Still running: no tokens or cost yet (they are written in place when it ends).
    Running,
    Done {
        ts: i64,
        tokens: Tokens,
        cost: Option<f64>,
    },
    /// Looks like usage but cannot be read (a field renamed or of another type).
    Unreadable,
}

#[derive(Deserialize)]
struct ApiReqInfo<'a> {
    #[serde(default, rename = "tokensIn")]
    tokens_in: Option<Value>,
    #[serde(default, rename = "tokensOut")]
    tokens_out: Option<Value>,
    #[serde(default, rename = "cacheWrites")]
    cache_writes: Option<Value>,
    #[serde(default, rename = "cacheReads")]
    cache_reads: Option<Value>,
    #[serde(default)]
    cost: Option<Value>,
    #[serde(default, borrow, rename = "apiProtocol", deserialize_with = "lenient_str")]
    api_protocol: Option<Cow<'a, str>>,
}

/// A token count: `Ok(None)` when absent or null, `Err` when of another type.
fn count_field(v: &Option<Value>) -> Result<Option<u64>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            Ok(Some(n.as_u64().or_else(|| n.as_f64().filter(|f| *f > 0.0).map(|f| f as u64)).unwrap_or(0)))
        }
        Some(_) => Err(()),
    }
}

fn request(m: &UiMessage) -> Request {
    let ts = match &m.ts {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        _ => None,
    };
    let Some(text) = m.text.as_deref().filter(|t| !t.trim().is_empty()) else { return Request::Running };
    let Ok(info) = serde_json::from_str::<ApiReqInfo>(text) else { return Request::Unreadable };
    let fields = [&info.tokens_in, &info.tokens_out, &info.cache_writes, &info.cache_reads];
    let cost = match &info.cost {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => return Request::Unreadable,
    };
    if cost.is_none() && fields.iter().all(|f| matches!(f, None | Some(Value::Null))) {
        return Request::Running;
    }
    // The extensions write the four counts together when a request ends: one missing, or any
    // of another type, is a renamed or changed field.
    let (Ok(Some(input)), Ok(Some(output)), Ok(writes), Ok(reads)) = (
        count_field(&info.tokens_in),
        count_field(&info.tokens_out),
        count_field(&info.cache_writes),
        count_field(&info.cache_reads),
    ) else {
        return Request::Unreadable;
    };
    let Some(ts) = ts else { return Request::Unreadable };
    let (writes, reads) = (writes.unwrap_or(0), reads.unwrap_or(0));
    let input = if info.api_protocol.as_deref() == Some("openai") {
        input.saturating_sub(reads).saturating_sub(writes)
    } else {
        input
    };
    let tokens = Tokens { input, cache_write_5m: writes, cache_read: reads, output, ..Tokens::default() };
    Request::Done { ts, tokens, cost }
}

/// What a task's other files say about its requests: the model at each time, the project.
#[derive(Default)]
struct Siblings {
    /// (time, model) in file order; the time is absent where the file has none.
    models: Vec<(Option<i64>, String)>,
    from: Option<ModelFrom>,
    project: String,
}

impl Siblings {
    fn read(task_dir: &Path, from: ModelFrom) -> Siblings {
        let mut s = Siblings { from: Some(from), ..Siblings::default() };
        let history = std::fs::read(task_dir.join("api_conversation_history.json")).unwrap_or_default();
        s.project = project_of(&history).unwrap_or_default();
        match from {
            ModelFrom::TaskMetadata => {
                let meta = std::fs::read(task_dir.join("task_metadata.json")).unwrap_or_default();
                if let Ok(m) = serde_json::from_slice::<TaskMetadata>(&meta) {
                    s.models = m
                        .model_usage
                        .into_iter()
                        .filter_map(|u| {
                            Some((u.ts.as_ref().and_then(Value::as_i64), u.model_id?.into_owned()))
                        })
                        .filter(|(_, m)| !m.trim().is_empty())
                        .collect();
                }
            }
            ModelFrom::EnvironmentDetails => {
                if let Ok(turns) = serde_json::from_slice::<Vec<HistoryTurn>>(&history) {
                    for t in turns.iter().filter(|t| t.role.as_deref() == Some("user")) {
                        let ts = t.ts.as_ref().and_then(Value::as_i64);
                        if let Some(m) = t.content.as_ref().and_then(model_in_content) {
                            s.models.push((ts, m));
                        }
                    }
                }
            }
        }
        s
    }

    fn model_at(&self, ts: i64) -> Option<String> {
        let pick = match self.from? {
            // Cline records the model in use when a request is made: the last entry at or
            // before the request, else the first.
            ModelFrom::TaskMetadata => self
                .models
                .iter()
                .rev()
                .find(|(t, _)| t.is_some_and(|t| t <= ts))
                .or_else(|| self.models.first()),
            // Roo writes the user turn (with its environment details) just after the request's
            // `api_req_started`: the first turn at or after it, else the last one.
            ModelFrom::EnvironmentDetails => {
                self.models.iter().find(|(t, _)| t.is_some_and(|t| t >= ts)).or_else(|| self.models.last())
            }
        };
        pick.map(|(_, m)| model_name(m))
    }
}

/// A model id as the extensions write it (`anthropic/claude-sonnet-4.5` through OpenRouter,
/// `claude-sonnet-4-5-20250929` direct), with the tool decorations removed from its last part.
fn model_name(raw: &str) -> String {
    match raw.rsplit_once('/') {
        Some((provider, model)) => {
            format!("{}/{}", provider.to_ascii_lowercase(), crate::names::normalize(model))
        }
        None => crate::names::normalize(raw),
    }
}

#[derive(Deserialize)]
struct TaskMetadata<'a> {
    #[serde(default, borrow)]
    model_usage: Vec<ModelUsage<'a>>,
}

#[derive(Deserialize)]
struct ModelUsage<'a> {
    #[serde(default)]
    ts: Option<Value>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    model_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct HistoryTurn<'a> {
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    role: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<Value>,
    #[serde(default)]
    content: Option<Value>,
}

/// The `<model>` an environment-details text block names.
fn model_in_content(content: &Value) -> Option<String> {
    let texts: Vec<&str> = match content {
        Value::String(s) => vec![s.as_str()],
        Value::Array(blocks) => blocks.iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect(),
        _ => Vec::new(),
    };
    texts.into_iter().find_map(|t| {
        let start = t.find("<model>")? + "<model>".len();
        let end = t[start..].find("</model>")? + start;
        Some(t[start..end].trim().to_string()).filter(|m| !m.is_empty())
    })
}

/// The working directory the environment details name: `# Current Working Directory (/path)`
/// (Cline) or `# Current Workspace Directory (/path)` (Roo), read from the raw JSON.
fn project_of(history: &[u8]) -> Option<String> {
    for marker in [&b"Current Working Directory ("[..], b"Current Workspace Directory ("] {
        if let Some(i) = memmem::find(history, marker) {
            let rest = &history[i + marker.len()..];
            let end = memchr::memchr2(b')', b'"', rest)?;
            let raw = String::from_utf8_lossy(&rest[..end]);
            // A JSON string escapes backslashes (Windows paths).
            return Some(raw.replace("\\\\", "\\"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Os;

    fn ui(entries: &[serde_json::Value]) -> Vec<u8> {
        serde_json::to_vec(entries).unwrap()
    }

    fn api_req(ts: i64, info: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"ts": ts, "type": "say", "say": "api_req_started", "text": info.to_string()})
    }

    fn read(source: &VsCodeAgent, dir: &Path, bytes: &[u8]) -> (DocOutcome, Output) {
        let mut out = Output::default();
        let outcome = source.document(&dir.join(UI_MESSAGES), bytes, &mut out);
        (outcome, out)
    }

    fn task_dir() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("tasks/1772449200000");
        std::fs::create_dir_all(&dir).unwrap();
        (tmp, dir)
    }

    #[test]
    fn a_request_is_counted_once_it_carries_tokens() {
        let (_tmp, dir) = task_dir();
        let running =
            ui(&[api_req(1_772_449_200_123, serde_json::json!({"request": "<task>x</task>\n\nLoading..."}))]);
        let (outcome, out) = read(&CLINE, &dir, &running);
        assert_eq!((outcome, out.events.len(), out.unreadable), (DocOutcome::Read, 0, 0));
        let done = ui(&[api_req(
            1_772_449_200_123,
            serde_json::json!({"request": "x", "tokensIn": 25, "tokensOut": 410, "cacheWrites": 1800, "cacheReads": 30500, "cost": 0.0224}),
        )]);
        let (_, out) = read(&CLINE, &dir, &done);
        assert_eq!(out.events.len(), 1);
        let e = &out.events[0];
        assert_eq!(e.dedupe_key, "cline:1772449200000:1772449200123");
        assert_eq!(
            e.tokens,
            Tokens { input: 25, cache_write_5m: 1800, cache_read: 30500, output: 410, ..Tokens::default() }
        );
        assert_eq!(e.logged_cost_usd, Some(0.0224));
        assert_eq!((e.model.as_str(), e.model_fallback), (FALLBACK_MODEL, true));
    }

    #[test]
    fn openai_protocol_input_includes_the_cache() {
        let (_tmp, dir) = task_dir();
        let doc = ui(&[api_req(
            5,
            serde_json::json!({"apiProtocol": "openai", "tokensIn": 10_000, "tokensOut": 300, "cacheWrites": 1000, "cacheReads": 8000, "cost": 0.01}),
        )]);
        let (_, out) = read(&ROO_CODE, &dir, &doc);
        assert_eq!(out.events[0].tokens.input, 1000);
        let doc = ui(&[api_req(
            5,
            serde_json::json!({"apiProtocol": "anthropic", "tokensIn": 10_000, "tokensOut": 300, "cacheWrites": 1000, "cacheReads": 8000}),
        )]);
        let (_, out) = read(&ROO_CODE, &dir, &doc);
        assert_eq!(out.events[0].tokens.input, 10_000);
    }

    #[test]
    fn a_renamed_token_field_is_counted_as_unreadable() {
        let (_tmp, dir) = task_dir();
        let good = serde_json::json!({"tokensIn": 25, "tokensOut": 410, "cacheWrites": 0, "cacheReads": 0, "cost": 0.01});
        let (_, out) = read(&KILO_CODE, &dir, &ui(&[api_req(1, good)]));
        assert_eq!((out.events.len(), out.unreadable), (1, 0));
        for renamed in [
            serde_json::json!({"inputTokens": 25, "tokensOut": 410, "cacheWrites": 0, "cacheReads": 0, "cost": 0.01}),
            serde_json::json!({"tokensIn": "25", "tokensOut": 410, "cost": 0.01}),
            serde_json::json!({"input": 25, "output": 410, "cost": 0.01}),
        ] {
            let (_, out) = read(&KILO_CODE, &dir, &ui(&[api_req(1, renamed.clone())]));
            assert_eq!((out.events.len(), out.unreadable), (0, 1), "{renamed}");
        }
        // The entry's own time renamed.
        let doc = serde_json::json!([{"time": 1, "type": "say", "say": "api_req_started",
            "text": serde_json::json!({"tokensIn": 1, "tokensOut": 2}).to_string()}]);
        let (_, out) = read(&ZOO_CODE, &dir, doc.to_string().as_bytes());
        assert_eq!((out.events.len(), out.unreadable), (0, 1));
        // Text that is not JSON, and an entry of another shape.
        let doc = serde_json::json!([{"ts": 1, "type": "say", "say": "api_req_started", "text": "{tokensIn: 1"},
            {"ts": [], "say": "api_req_started", "text": "{\"tokensIn\": 1, \"tokensOut\": 2}"}]);
        let (outcome, out) = read(&ZOO_CODE, &dir, doc.to_string().as_bytes());
        assert_eq!((outcome, out.events.len(), out.unreadable), (DocOutcome::Read, 0, 2));
    }

    #[test]
    fn a_document_cut_mid_write_waits_and_a_non_array_is_unreadable() {
        let (_tmp, dir) = task_dir();
        let doc = ui(&[api_req(1, serde_json::json!({"tokensIn": 1, "tokensOut": 2}))]);
        for cut in [0, 1, doc.len() / 2, doc.len() - 1] {
            let (outcome, out) = read(&CLINE, &dir, &doc[..cut]);
            assert_eq!((outcome, out.events.len()), (DocOutcome::Incomplete, 0), "cut at {cut}");
        }
        let (outcome, out) = read(&CLINE, &dir, br#"{"messages": []}"#);
        assert_eq!((outcome, out.unreadable), (DocOutcome::Read, 1));
    }

    #[test]
    fn models_come_from_the_task_folder() {
        let (_tmp, dir) = task_dir();
        std::fs::write(
            dir.join("task_metadata.json"),
            r#"{"files_in_context":[],"model_usage":[{"ts":100,"model_id":"claude-sonnet-4-5-20250929","model_provider_id":"anthropic","mode":"act"},{"ts":300,"model_id":"anthropic/claude-opus-4.5","model_provider_id":"openrouter","mode":"plan"}]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("api_conversation_history.json"),
            r#"[{"role":"user","ts":110,"content":[{"type":"text","text":"<task>x</task>"},{"type":"text","text":"<environment_details>\n# Current Workspace Directory (/home/dev/acme) Files\n<model>gpt-5</model>\n</environment_details>"}]},
               {"role":"assistant","ts":150,"content":[{"type":"text","text":"ok"}]},
               {"role":"user","ts":310,"content":"<environment_details><model>claude-sonnet-4.5</model></environment_details>"}]"#,
        )
        .unwrap();
        let info = serde_json::json!({"tokensIn": 1, "tokensOut": 2});
        let doc = ui(&[
            api_req(50, info.clone()),
            api_req(200, info.clone()),
            api_req(305, info.clone()),
            api_req(400, info),
        ]);
        let (_, out) = read(&CLINE, &dir, &doc);
        let models: Vec<&str> = out.events.iter().map(|e| e.model.as_str()).collect();
        assert_eq!(
            models,
            [
                "claude-sonnet-4-5-20250929",
                "claude-sonnet-4-5-20250929",
                "anthropic/claude-opus-4-5",
                "anthropic/claude-opus-4-5"
            ]
        );
        let (_, out) = read(&ROO_CODE, &dir, &doc);
        let models: Vec<&str> = out.events.iter().map(|e| e.model.as_str()).collect();
        assert_eq!(models, ["gpt-5", "claude-sonnet-4-5", "claude-sonnet-4-5", "claude-sonnet-4-5"]);
        assert!(out.events.iter().all(|e| e.project == "/home/dev/acme" && !e.model_fallback));
    }

    #[test]
    fn roots_cover_every_fork_os_and_server() {
        let linux = Env { os: Os::Linux, ..Env::with_home("/home/u") };
        let roots = CLINE.roots(&linux);
        for want in [
            "/home/u/.config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks",
            "/home/u/.config/Code - Insiders/User/globalStorage/saoudrizwan.claude-dev/tasks",
            "/home/u/.config/VSCodium/User/globalStorage/saoudrizwan.claude-dev/tasks",
            "/home/u/.config/Cursor/User/globalStorage/saoudrizwan.claude-dev/tasks",
            "/home/u/.config/Windsurf/User/globalStorage/saoudrizwan.claude-dev/tasks",
            "/home/u/.config/Positron/User/globalStorage/saoudrizwan.claude-dev/tasks",
            "/home/u/.vscode-server/data/User/globalStorage/saoudrizwan.claude-dev/tasks",
            "/home/u/.vscode-server-insiders/data/User/globalStorage/saoudrizwan.claude-dev/tasks",
            "/home/u/.cline/data/tasks",
        ] {
            assert!(roots.contains(&PathBuf::from(want)), "{want} missing from {roots:?}");
        }
        let roots = CLINE.roots(&linux.clone().set("CLINE_DIR", "~/alt"));
        assert!(roots.contains(&PathBuf::from("/home/u/alt/data/tasks")));
        let roots = CLINE.roots(&linux.clone().set("CLINE_DATA_DIR", "/d").set("CLINE_DIR", "/x"));
        assert!(roots.contains(&PathBuf::from("/d/tasks")));
        assert!(!ROO_CODE.roots(&linux).iter().any(|r| r.starts_with("/home/u/.cline")));
        let mac = Env { os: Os::MacOs, ..Env::with_home("/Users/u") };
        assert!(ROO_CODE.roots(&mac).contains(&PathBuf::from(
            "/Users/u/Library/Application Support/Cursor/User/globalStorage/rooveterinaryinc.roo-cline/tasks"
        )));
        let win = Env { os: Os::Windows, ..Env::with_home("C:/Users/u") }
            .set("APPDATA", "C:/Users/u/AppData/Roaming");
        assert!(KILO_CODE.roots(&win).contains(&PathBuf::from(
            "C:/Users/u/AppData/Roaming/Code/User/globalStorage/kilocode.kilo-code/tasks"
        )));
    }

    #[test]
    fn file_kinds() {
        let t = Path::new("/h/.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/tasks/abc");
        assert_eq!(ROO_CODE.kind(&t.join("ui_messages.json")), FileKind::Log(Shape::Document));
        assert_eq!(ROO_CODE.kind(&t.join("api_conversation_history.json")), FileKind::Other);
        assert_eq!(ROO_CODE.kind(&t.join("task_metadata.json")), FileKind::Other);
        assert_eq!(ROO_CODE.kind(&t.join("checkpoints/.git/objects/ab/cdef")), FileKind::Other);
        assert_eq!(ROO_CODE.kind(&t.join("ui_messages_v2.json")), FileKind::Unknown);
    }

    #[test]
    fn a_50_mb_document_is_read_whole() {
        let (_tmp, dir) = task_dir();
        let filler = "x".repeat(1 << 20);
        let mut entries = Vec::new();
        for i in 0..50 {
            entries.push(serde_json::json!({"ts": i * 10, "type": "say", "say": "text", "text": filler}));
            entries.push(api_req(
                i * 10 + 1,
                serde_json::json!({"tokensIn": 3, "tokensOut": 7, "cacheReads": 11}),
            ));
        }
        let path = dir.join(UI_MESSAGES);
        std::fs::write(&path, ui(&entries)).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 50 << 20);
        let (outcome, out) = read(&CLINE, &dir, &bytes);
        assert_eq!((outcome, out.events.len(), out.unreadable), (DocOutcome::Read, 50, 0));
        assert_eq!(out.events.iter().map(|e| e.tokens.total()).sum::<u64>(), 50 * 21);
    }
}
