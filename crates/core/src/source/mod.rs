//! One module per AI tool, each behind the same [`Source`] interface: where its files are, how to
//! turn complete lines into usage events, and which key dedupes an event. Reading bytes from an
//! offset, cutting at the last newline and remembering where a file was left is shared (`ingest`).

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::model::UsageEvent;

pub mod claude;
pub mod codex;
mod json;
mod skim;

/// What a parser made of one complete line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// The line carried usage (it may still have produced no event, e.g. a re-emitted total).
    Used,
    /// Not a usage line.
    Ignored,
    /// Not valid JSON, or a usage line that could not be read: skipped and counted.
    Malformed,
}

/// A tool whose logs Tokenworth reads.
pub trait Source: Send + Sync {
    /// Stable id used in the database and the JSON contracts (`claude-code`, `codex`).
    fn id(&self) -> &'static str;
    /// Directories that may hold this tool's logs, whether or not they exist now.
    fn roots(&self, env: &Env) -> Vec<PathBuf>;
    /// Whether a file found under a root is one of this tool's logs.
    fn accepts(&self, path: &Path) -> bool;
    /// A parser for one file, resuming from the state it saved after the last complete line it
    /// read (`None` when reading from the start).
    fn parser(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser>;
}

/// Turns the complete lines of one file, in order, into events.
pub trait LineParser: Send {
    fn line(&mut self, line: &[u8], out: &mut Vec<UsageEvent>) -> LineOutcome;
    /// State to resume from after the last line given (stored with the file's offset).
    fn state(&self) -> Option<String>;
}

/// Every source Tokenworth knows, in display order.
pub fn all() -> Vec<Box<dyn Source>> {
    vec![Box::new(claude::ClaudeCode), Box::new(codex::Codex)]
}

/// Cheap check that a line could be a JSON object: anything else is counted as malformed
/// without paying for a parse.
pub(crate) fn looks_like_object(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.first() == Some(&b'{') && t.last() == Some(&b'}')
}
