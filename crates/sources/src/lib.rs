//! Every AI coding tool whose logs Tokenworth reads, one module per tool, each behind the same
//! [`Source`] interface: where its files are, what kind of file each one is, and how to turn a
//! file's content into usage records. This crate knows nothing of the ledger, the reports or
//! any shell: it depends on no other Tokenworth crate but the price table's model names, and the
//! ledger (`tokenworth-core`) depends on it, never the other way round.
//!
//! Tools write four shapes of log, and a source says which shape each of its files has:
//! - [`Shape::Lines`]: append-only lines (Claude Code, Codex, Gemini `.jsonl`, …). The ledger
//!   reads from where it left off, complete lines only, and hands each line to a [`LineParser`].
//! - [`Shape::Document`]: one JSON document rewritten in place (Cline `ui_messages.json`, Amp
//!   threads, …). Re-read whole when it changes and handed to [`Source::document`]; a document
//!   that is not complete JSON yet (mid-write) waits for its next change.
//! - [`Shape::Database`]: another tool's SQLite database (OpenCode, Goose), opened without ever
//!   writing beside it ([`database::open`]) and handed to [`Source::database`] with the state
//!   saved after the last read, so only changed rows are read.
//! - Running totals, in any of the three: a log that holds a session's cumulative counters
//!   (Goose rows, Droid `settings.json`, Copilot CLI shutdown metrics) reports an
//!   [`Observation`]; the ledger stores the delta since the last observation of that counter, at
//!   the time it was observed.
//!
//! Adding a tool is one module here, one fixture folder under `fixtures/<id>/` and one line in
//! [`all`].

use std::path::{Path, PathBuf};

pub mod database;
pub mod env;
pub mod json;
pub mod model;
pub mod names;
mod skim;
#[doc(hidden)]
pub use skim::{fuzz as fuzz_skim, FuzzSkim};

pub mod aider;
pub mod amp;
pub mod antigravity;
pub mod claude;
pub mod codebuff;
pub mod codex;
pub mod copilot;
pub mod cursor;
pub mod droid;
pub mod gemini;
pub mod goose;
pub mod grok;
pub mod hermes;
pub mod kilo;
pub mod kimi;
pub mod openclaw;
pub mod opencode;
pub mod pi;
pub mod qwen;
pub mod vscode_agents;
pub mod zcode;

pub use env::Env;
pub use model::{Observation, Output, Tokens, UsageEvent};

/// Every source Tokenworth knows, in display order. One line per tool.
pub fn all() -> Vec<Box<dyn Source>> {
    vec![
        Box::new(claude::ClaudeCode),
        Box::new(codex::Codex),
        Box::new(gemini::GeminiCli),
        Box::new(qwen::QwenCode),
        Box::new(opencode::OpenCode),
        Box::new(kilo::KILO),
        Box::new(copilot::CopilotCli),
        Box::new(goose::Goose),
        Box::new(droid::Droid),
        Box::new(cursor::Cursor),
        Box::new(vscode_agents::CLINE),
        Box::new(vscode_agents::ROO_CODE),
        Box::new(vscode_agents::KILO_CODE),
        Box::new(vscode_agents::ZOO_CODE),
        Box::new(amp::Amp),
        Box::new(pi::Pi),
        Box::new(openclaw::OpenClaw),
        Box::new(kimi::Kimi),
        Box::new(hermes::Hermes),
        Box::new(codebuff::Codebuff),
        Box::new(zcode::ZCode),
        Box::new(grok::Grok),
        Box::new(aider::Aider),
        Box::new(antigravity::Antigravity),
    ]
}

/// How a file's content is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Lines,
    Document,
    Database,
}

/// What a file found under one of a source's roots is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A log of this shape.
    Log(Shape),
    /// A file the tool writes that holds no usage (settings, caches, a database's `-wal`).
    Other,
    /// A file the source does not recognise: counted as possible format drift.
    Unknown,
}

/// What a parser made of one complete line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// The line carried usage (it may still have produced no event, e.g. a re-emitted total).
    Used,
    /// Not a usage line.
    Ignored,
    /// Not valid JSON, or a line that looked like usage but could not be read: skipped and
    /// counted (format drift when it persists).
    Malformed,
}

/// What a document parser made of a whole document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocOutcome {
    /// Read: its records are in the output (records that looked like usage but could not be
    /// read are counted in `Output::unreadable`).
    Read,
    /// Not complete JSON (being written, or truncated): nothing is taken from it; it is read
    /// again when it next changes.
    Incomplete,
}

/// A tool whose logs Tokenworth reads.
pub trait Source: Send + Sync {
    /// Stable id used in the database and the JSON contracts (`claude-code`, `codex`).
    fn id(&self) -> &'static str;
    /// The tool's name for people.
    fn name(&self) -> &'static str;
    /// False for a tool that is known but whose local logs hold no tokens (Cursor): it is
    /// listed by `sources`, never reported as $0.
    fn readable(&self) -> bool {
        true
    }
    /// Why a tool that is not [`readable`](Source::readable) cannot be read, for people (`its
    /// local logs hold no token counts`).
    fn unreadable_reason(&self) -> Option<&'static str> {
        None
    }
    /// Directories that may hold this tool's logs, whether or not they exist now.
    fn roots(&self, env: &Env) -> Vec<PathBuf>;
    /// What a file found under a root is.
    fn kind(&self, path: &Path) -> FileKind;
    /// A parser for one line file, resuming from the state it saved after the last complete
    /// line it read (`None` when reading from the start). Only called for [`Shape::Lines`].
    fn lines(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        let _ = (path, state);
        Box::new(NoLines)
    }
    /// Reads a whole document. Only called for [`Shape::Document`].
    fn document(&self, path: &Path, bytes: &[u8], out: &mut Output) -> DocOutcome {
        let _ = (path, bytes, out);
        DocOutcome::Read
    }
    /// Reads what changed in a database since `state` (`None`: everything) and returns the
    /// state to resume from. Only called for [`Shape::Database`], on a read-only connection.
    fn database(
        &self,
        path: &Path,
        db: &rusqlite::Connection,
        state: Option<&str>,
        out: &mut Output,
    ) -> Result<Option<String>, rusqlite::Error> {
        let _ = (path, db, out);
        Ok(state.map(str::to_owned))
    }
}

/// Turns the complete lines of one file, in order, into records.
pub trait LineParser: Send {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome;
    /// State to resume from after the last line given (stored with the file's offset).
    fn state(&self) -> Option<String>;
}

struct NoLines;

impl LineParser for NoLines {
    fn line(&mut self, _: &[u8], _: &mut Output) -> LineOutcome {
        LineOutcome::Ignored
    }
    fn state(&self) -> Option<String> {
        None
    }
}

/// A source with the user's settings applied: extra log folders of its own
/// (`[sources.<id>] paths = [...]` in config.toml).
pub struct Configured {
    inner: Box<dyn Source>,
    extra: Vec<PathBuf>,
}

impl Configured {
    pub fn new(inner: Box<dyn Source>, extra: Vec<PathBuf>) -> Configured {
        Configured { inner, extra }
    }
}

impl Source for Configured {
    fn id(&self) -> &'static str {
        self.inner.id()
    }
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn readable(&self) -> bool {
        self.inner.readable()
    }
    fn unreadable_reason(&self) -> Option<&'static str> {
        self.inner.unreadable_reason()
    }
    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let mut roots = self.inner.roots(env);
        for p in &self.extra {
            if !roots.contains(p) {
                roots.push(p.clone());
            }
        }
        roots
    }
    fn kind(&self, path: &Path) -> FileKind {
        self.inner.kind(path)
    }
    fn lines(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        self.inner.lines(path, state)
    }
    fn document(&self, path: &Path, bytes: &[u8], out: &mut Output) -> DocOutcome {
        self.inner.document(path, bytes, out)
    }
    fn database(
        &self,
        path: &Path,
        db: &rusqlite::Connection,
        state: Option<&str>,
        out: &mut Output,
    ) -> Result<Option<String>, rusqlite::Error> {
        self.inner.database(path, db, state, out)
    }
}

/// Cheap check that a line could be a JSON object: anything else is counted as malformed
/// without paying for a parse.
pub fn looks_like_object(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.first() == Some(&b'{') && t.last() == Some(&b'}')
}

/// Whether a change to `path` can change what `source` reads: one of its logs, or the `-wal`
/// (or `-journal`) of one of its databases, through which a database changes while its main
/// file stays as it was.
pub fn is_log(source: &dyn Source, path: &Path) -> bool {
    if let Some(main) = main_of_companion(path) {
        return source.kind(&main) == FileKind::Log(Shape::Database);
    }
    matches!(source.kind(path), FileKind::Log(_))
}

/// The database a `-wal`, `-shm` or `-journal` file belongs to (`None` for any other file).
pub fn main_of_companion(path: &Path) -> Option<std::path::PathBuf> {
    if !database::is_companion(path) {
        return None;
    }
    let s = path.to_str()?;
    ["-wal", "-shm", "-journal"]
        .iter()
        .find_map(|suffix| s.strip_suffix(suffix))
        .map(std::path::PathBuf::from)
}
