//! Kilo CLI (the OpenCode fork by Kilo Code, not the `kilo-code` VS Code extension): OpenCode's
//! data directory renamed, `$XDG_DATA_HOME/kilo` (`~/.local/share/kilo` on every OS), holding
//! `kilo.db` (`kilo-<channel>.db` for other release channels, and an older `opencode-<channel>.db`
//! it still opens) with OpenCode's `message` / `part` tables
//! [Kilo-Org/kilocode: packages/opencode/src/storage/db.ts `Database.file`].
//!
//! Kilo CLI's own override `KILO_DB` names the database (an absolute path, or a name in the
//! data directory); `KILO_DATA_DIR` is ccusage's override (a comma-separated list of data
//! directories) and is honoured too. Everything else, the multi-step trap included, is
//! OpenCode's format and read by [`crate::opencode`]'s code under the id `kilo`.

use std::path::{Path, PathBuf};

use crate::env::Os;
use crate::opencode::Flavor;
use crate::Env;

pub const ID: &str = "kilo";

pub const KILO: Flavor =
    Flavor { id: ID, name: "Kilo CLI", roots, db_prefix: "kilo", channel_prefixes: &["opencode"] };

fn roots(env: &Env) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let mut push = |p: PathBuf| {
        if !roots.contains(&p) {
            roots.push(p);
        }
    };
    if let Some(db) = env.dir_var("KILO_DB").filter(|p| p.is_absolute()) {
        if let Some(dir) = db.parent() {
            push(dir.to_path_buf());
        }
    }
    let listed = env.path_list("KILO_DATA_DIR");
    if !listed.is_empty() {
        for p in listed {
            push(p);
        }
        return roots;
    }
    push(env.xdg_data_home().join("kilo"));
    if env.os == Os::Windows {
        // UNVERIFIED: some installs on Windows keep it under %APPDATA%.
        push(env.app_data_dir().join("kilo"));
    }
    roots
}

/// Whether a path is Kilo CLI's database (used by tests).
pub fn is_database(path: &Path) -> bool {
    use crate::Source;
    KILO.kind(path) == crate::FileKind::Log(crate::Shape::Database)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileKind, Shape, Source};

    #[test]
    fn roots_and_kinds() {
        let env = Env { os: Os::Linux, ..Env::with_home("/h") };
        assert_eq!(KILO.roots(&env), vec![PathBuf::from("/h/.local/share/kilo")]);
        let e2 = env.clone().set("XDG_DATA_HOME", "/x");
        assert_eq!(KILO.roots(&e2), vec![PathBuf::from("/x/kilo")]);
        let e3 = env.clone().set("KILO_DATA_DIR", "/a,/b");
        assert_eq!(KILO.roots(&e3), vec![PathBuf::from("/a"), PathBuf::from("/b")]);
        let e4 = env.clone().set("KILO_DB", "/db/custom/kilo.db");
        assert_eq!(KILO.roots(&e4), vec![PathBuf::from("/db/custom"), PathBuf::from("/h/.local/share/kilo")]);
        let k = |p: &str| KILO.kind(Path::new(p));
        assert_eq!(k("/h/.local/share/kilo/kilo.db"), FileKind::Log(Shape::Database));
        assert_eq!(k("/h/.local/share/kilo/kilo-beta.db"), FileKind::Log(Shape::Database));
        assert_eq!(k("/h/.local/share/kilo/opencode-dev.db"), FileKind::Log(Shape::Database));
        assert_eq!(k("/h/.local/share/kilo/opencode.db"), FileKind::Other);
        assert_eq!(k("/h/.local/share/kilo/kilo.db-wal"), FileKind::Other);
        assert!(is_database(Path::new("/k/kilo.db")));
        // OpenCode's own source does not take Kilo's database.
        assert_eq!(crate::opencode::OpenCode.kind(Path::new("/k/kilo.db")), FileKind::Other);
    }
}
