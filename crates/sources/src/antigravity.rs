//! Antigravity (Google's agentic IDE and its CLI): known, not readable yet. Each conversation is
//! a SQLite database (`~/.gemini/antigravity-cli/conversations/**/*.db`, and the IDE's
//! `~/.gemini/antigravity/…`) whose tables (`steps`, `gen_metadata`,
//! `trajectory_metadata_blob`) hold protobuf blobs with no published schema. The two public
//! readers disagree on what the usage message's fields mean (Piebald-AI/splitrail
//! `src/analyzers/antigravity.rs`: field 5 prompt tokens, 2 output, 3 reasoning; ccusage
//! 20.0.24, observed on crafted databases: 2 input, 3 output, 4 cache creation, 5 cache read),
//! so which tokens a blob holds cannot be established from public code without a real
//! database. Listed by `sources` as installed and not readable, never reported as $0: every
//! file is [`FileKind::Other`] and nothing is read. See docs/log-formats.md.

use std::path::{Path, PathBuf};

use crate::{Env, FileKind, Source};

pub const ID: &str = "antigravity";

pub struct Antigravity;

impl Source for Antigravity {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Antigravity"
    }

    fn readable(&self) -> bool {
        false
    }

    fn unreadable_reason(&self) -> Option<&'static str> {
        Some("its conversations are protobuf blobs without a public schema: not readable yet")
    }

    /// Where Antigravity keeps its conversations: `~/.gemini/antigravity`,
    /// `~/.gemini/antigravity-cli`, `~/.gemini/antigravity-ide` (every OS).
    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let gemini = env.home.join(".gemini");
        ["antigravity", "antigravity-cli", "antigravity-ide"].iter().map(|d| gemini.join(d)).collect()
    }

    fn kind(&self, _: &Path) -> FileKind {
        FileKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Output;

    #[test]
    fn known_installed_and_never_read() {
        assert!(!Antigravity.readable());
        let env = Env::with_home("/h");
        assert!(Antigravity.roots(&env).contains(&PathBuf::from("/h/.gemini/antigravity-cli")));
        let db = Path::new("/h/.gemini/antigravity-cli/conversations/c1.db");
        assert_eq!(Antigravity.kind(db), FileKind::Other);
        assert!(!crate::is_log(&Antigravity, db));
        let mut out = Output::default();
        Antigravity.lines(db, None).line(br#"{"usage":{"input_tokens":5}}"#, &mut out);
        assert!(out.events.is_empty() && out.totals.is_empty());
    }
}
