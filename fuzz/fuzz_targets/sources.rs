//! Every source in `tokenworth_sources::all()`, fed the input as each shape it reads:
//! - lines: the input's complete lines, once straight through and once with the parser's state
//!   saved and a new parser resumed from it after every line (as the ledger does between reads);
//! - a document: the whole input;
//! - a database: when the input is a SQLite file, written under a temporary folder and opened by
//!   the crate's own read-only `database::open`, read from scratch and again from the saved state.
//!
//! Each source is given a path its `kind()` takes for that shape, found among the fixtures
//! (`crates/sources/fixtures`, `crates/core/tests/fixtures`): a source added with its fixture
//! folder is fuzzed without a change here.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenworth_sources::{database, FileKind, Output, Shape, Source};

struct Fed {
    source: Box<dyn Source>,
    lines: Option<PathBuf>,
    document: Option<PathBuf>,
    /// A path under the temporary folder, with the fixture's own name.
    database: Option<PathBuf>,
}

struct Setup {
    fed: Vec<Fed>,
    _tmp: tempfile::TempDir,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        for d in ["crates/sources/fixtures", "crates/core/tests/fixtures"] {
            files(&top.join(d), &mut found);
        }
        let tmp = tempfile::Builder::new().prefix("tokenworth-fuzz-sources-").tempdir().unwrap();
        let mut fed = Vec::new();
        for source in tokenworth_sources::all() {
            let (mut lines, mut document, mut db) = (None, None, None);
            for f in &found {
                // Database fixtures are kept as SQL scripts beside where the database would be.
                let path = f.to_string_lossy();
                let path = PathBuf::from(path.strip_suffix(".sql").unwrap_or(&path));
                match source.kind(&path) {
                    FileKind::Log(Shape::Lines) => {
                        lines.get_or_insert(path);
                    }
                    FileKind::Log(Shape::Document) => {
                        document.get_or_insert(path);
                    }
                    FileKind::Log(Shape::Database) if db.is_none() => {
                        let home = path.ancestors().find(|a| a.ends_with("home")).unwrap_or(&path);
                        let rel = path.strip_prefix(home).unwrap_or(&path);
                        let at = tmp.path().join(source.id()).join(rel);
                        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
                        assert_eq!(source.kind(&at), FileKind::Log(Shape::Database), "{}", at.display());
                        db = Some(at);
                    }
                    _ => {}
                }
            }
            let none = lines.is_none() && document.is_none() && db.is_none();
            assert!(!source.readable() || !none, "no fixture gives {} a path of any shape", source.id());
            eprintln!(
                "sources: {} lines={} document={} database={}",
                source.id(),
                lines.is_some(),
                document.is_some(),
                db.is_some()
            );
            fed.push(Fed { source, lines, document, database: db });
        }
        Setup { fed, _tmp: tmp }
    })
}

fn read_lines(source: &dyn Source, path: &Path, bytes: &[u8], resume_each_line: bool) {
    let mut out = Output::default();
    let mut parser = source.lines(path, None);
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(&[][..], |nl| &bytes[..nl]);
    for line in complete.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let _ = parser.line(line, &mut out);
        if resume_each_line {
            let state = parser.state();
            parser = source.lines(path, state.as_deref());
        }
    }
    let _ = parser.state();
}

fuzz_target!(|bytes: &[u8]| {
    let setup = setup();
    tokenworth_fuzz::within_memory_limit(bytes.len(), || {
        let is_sqlite = bytes.starts_with(b"SQLite format 3\0");
        for fed in &setup.fed {
            let s = fed.source.as_ref();
            if let (Some(path), false) = (&fed.lines, is_sqlite) {
                read_lines(s, path, bytes, false);
                read_lines(s, path, bytes, true);
            }
            if let (Some(path), false) = (&fed.document, is_sqlite) {
                let mut out = Output::default();
                let _ = s.document(path, bytes, &mut out);
            }
            if let (Some(path), true) = (&fed.database, is_sqlite) {
                std::fs::write(path, bytes).unwrap();
                if let Ok(db) = database::open(path) {
                    let mut out = Output::default();
                    if let Ok(state) = s.database(path, &db.conn, None, &mut out) {
                        let _ = s.database(path, &db.conn, state.as_deref(), &mut out);
                    }
                }
            }
        }
    });
});
