//! Cursor: known, but its local files hold no billed tokens (chat state in `state.vscdb`
//! key-value tables, the CLI's `store.db` with a context-window gauge only; the accurate numbers
//! are on Cursor's server). Listed by `sources` as installed and not readable offline, never
//! reported as $0: every file is [`FileKind::Other`] and nothing is ever read. See
//! docs/log-formats.md.

use std::path::{Path, PathBuf};

use crate::{Env, FileKind, Source};

pub const ID: &str = "cursor";

pub struct Cursor;

impl Source for Cursor {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Cursor"
    }

    fn readable(&self) -> bool {
        false
    }

    fn unreadable_reason(&self) -> Option<&'static str> {
        Some("its local logs hold no token counts: not readable offline")
    }

    /// Where Cursor keeps its data: the editor's `User/globalStorage` and
    /// `User/workspaceStorage` (`~/.config/Cursor`, `~/Library/Application Support/Cursor`,
    /// `%APPDATA%\Cursor`) and the CLI's `~/.cursor/chats` and `~/.cursor/ai-tracking`.
    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let user = env.app_data_dir().join("Cursor").join("User");
        let cli = env.home.join(".cursor");
        vec![
            user.join("globalStorage"),
            user.join("workspaceStorage"),
            cli.join("chats"),
            cli.join("ai-tracking"),
        ]
    }

    fn kind(&self, _: &Path) -> FileKind {
        FileKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Os;
    use crate::{Output, Shape};

    #[test]
    fn known_installed_and_never_read() {
        assert!(!Cursor.readable());
        let mut env = Env::with_home("/h");
        env.os = Os::Linux;
        assert!(Cursor.roots(&env).contains(&PathBuf::from("/h/.config/Cursor/User/globalStorage")));
        env.os = Os::MacOs;
        assert!(Cursor
            .roots(&env)
            .contains(&PathBuf::from("/h/Library/Application Support/Cursor/User/workspaceStorage")));
        assert!(Cursor.roots(&env).contains(&PathBuf::from("/h/.cursor/chats")));
        for f in [
            "/h/.config/Cursor/User/globalStorage/state.vscdb",
            "/h/.cursor/chats/a/b/store.db",
            "/h/x.jsonl",
        ] {
            assert_eq!(Cursor.kind(Path::new(f)), FileKind::Other);
            assert!(!crate::is_log(&Cursor, Path::new(f)));
            assert_ne!(Cursor.kind(Path::new(f)), FileKind::Log(Shape::Lines));
        }
        // Even handed bytes that look like usage, it yields nothing.
        let mut out = Output::default();
        let mut lines = Cursor.lines(Path::new("/h/x.jsonl"), None);
        lines.line(br#"{"usage":{"input_tokens":5}}"#, &mut out);
        Cursor.document(Path::new("/h/y.json"), br#"{"tokenCount":{"inputTokens":5}}"#, &mut out);
        assert!(out.events.is_empty() && out.totals.is_empty() && out.unreadable == 0);
    }
}
