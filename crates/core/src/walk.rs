//! Listing the log folders, with the listings of folders that have not changed kept in the
//! ledger (migration 9), so a scan that finds nothing new (every warm report) stats each folder
//! and each file once instead of opening and reading every folder.
//!
//! A folder's kept listing is used while its stamp is the one it had when it was listed: its
//! change time on Unix (changed by every create, delete and rename in it, and not settable by
//! a program), its modification time elsewhere. A listing is kept only of a folder whose stamp
//! was at least [`QUIET_NS`] before the scan's time, so a file made in the same clock tick as
//! the listing (coarse file-system clocks) can never hide behind an unchanged stamp; a folder
//! holding a symlink (its target can change without the folder changing), or a name that is not
//! UTF-8, is always listed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

/// How long a folder must have been unchanged before its listing is kept.
pub const QUIET_NS: i64 = 2_000_000_000;

/// One folder's entries as listed: names, and whether each is a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub dir: String,
    pub stamp: i64,
    pub entries: Vec<(String, bool)>,
}

impl Listing {
    /// The entries as stored: per entry a kind byte (`d` folder, `f` anything else) and the
    /// name, each ended by a NUL (no file name holds one).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.iter().map(|(n, _)| n.len() + 2).sum());
        for (name, dir) in &self.entries {
            out.push(if *dir { b'd' } else { b'f' });
            out.extend_from_slice(name.as_bytes());
            out.push(0);
        }
        out
    }
}

/// The entries of a stored listing, borrowed from it; `None` when it is not one this build
/// wrote (then the folder is read).
pub fn entries(bytes: &[u8]) -> Option<Vec<(&str, bool)>> {
    let body = match bytes.split_last() {
        None => return Some(Vec::new()),
        Some((0, body)) => body,
        Some(_) => return None,
    };
    body.split(|&b| b == 0).map(entry).collect()
}

fn entry(e: &[u8]) -> Option<(&str, bool)> {
    let (&kind, name) = e.split_first()?;
    let dir = match kind {
        b'd' => true,
        b'f' => false,
        _ => return None,
    };
    if name.is_empty() || name == b"." || name == b".." || name.iter().any(|&b| b == b'/' || b == b'\\') {
        return None;
    }
    Some((std::str::from_utf8(name).ok()?, dir))
}

/// The kept listings a walk may use, and the scan's time.
#[derive(Debug, Default)]
pub struct Listings {
    /// Per folder, its stamp and its entries as stored ([`Listing::encode`]).
    pub kept: FxHashMap<String, (i64, Vec<u8>)>,
    /// The scan's time (ns since the epoch); `None`: no new listing is kept.
    pub now_ns: Option<i64>,
}

/// What a walk did with the listings: folders listed afresh that may be kept, and the kept
/// folders it visited (the others are gone, or no longer below a root).
#[derive(Debug, Default)]
pub struct WalkLog<'a> {
    pub fresh: Vec<Listing>,
    pub visited: Vec<&'a str>,
    /// Folders read, and folders whose kept listing stood in for reading them.
    pub read: usize,
    pub kept: usize,
}

/// Lists the files below `root`, each with its metadata where the walk read it (a symlink's is
/// left to the caller: what it points to decides). Each real folder is entered once: a symlink
/// loop (`ln -s .. up`) or two links to one folder never list a file twice. With `listings`,
/// an unchanged folder's kept listing stands in for reading it.
pub fn files<'a>(
    root: &Path,
    listings: Option<&'a Listings>,
    log: &mut WalkLog<'a>,
    warnings: &mut Vec<String>,
) -> Vec<(PathBuf, Option<std::fs::Metadata>)> {
    let mut out = Vec::new();
    let mut visited = HashSet::new();
    match std::fs::metadata(root) {
        Ok(meta) => {
            let mut w = Walk { listings, log, warnings, out: &mut out, visited: &mut visited };
            w.dir(root, &meta, 0);
        }
        Err(e) => warnings.push(format!("cannot read directory {}: {e}", root.display())),
    }
    out
}

struct Walk<'a, 'b> {
    listings: Option<&'a Listings>,
    log: &'b mut WalkLog<'a>,
    warnings: &'b mut Vec<String>,
    out: &'b mut Vec<(PathBuf, Option<std::fs::Metadata>)>,
    visited: &'b mut HashSet<DirId>,
}

impl Walk<'_, '_> {
    fn dir(&mut self, dir: &Path, meta: &std::fs::Metadata, depth: usize) {
        if depth > 16 || !self.visited.insert(dir_id(dir, meta)) {
            return;
        }
        let stamp = stamp(meta);
        let key = dir.to_str();
        if let (Some(l), Some(key)) = (self.listings, key) {
            if let Some((kept_key, (_, bytes))) =
                l.kept.get_key_value(key).filter(|(_, (kept, _))| *kept == stamp)
            {
                if let Some(entries) = entries(bytes) {
                    self.log.visited.push(kept_key);
                    self.log.kept += 1;
                    for (name, is_dir) in entries {
                        let path = dir.join(name);
                        match std::fs::symlink_metadata(&path) {
                            Ok(m) if is_dir && m.is_dir() => self.dir(&path, &m, depth + 1),
                            Ok(m) if !is_dir && !m.is_dir() && !m.file_type().is_symlink() => {
                                self.out.push((path, Some(m)))
                            }
                            // Changed since (the stamp said otherwise: a clock set back?):
                            // what is there now decides.
                            Ok(_) => self.entry(path, depth),
                            Err(_) => self.out.push((path, None)),
                        }
                    }
                    return;
                }
            }
        }
        self.log.read += 1;
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.warnings.push(format!("cannot read directory {}: {e}", dir.display()));
                return;
            }
        };
        // Kept only for a folder quiet for a while, of UTF-8 names, without symlinks.
        let quiet = self.listings.and_then(|l| l.now_ns).is_some_and(|now| stamp <= now - QUIET_NS);
        let mut listing = (quiet && key.is_some()).then(Vec::new);
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else {
                listing = None;
                continue;
            };
            if ft.is_symlink() {
                listing = None;
                self.entry(path, depth);
                continue;
            }
            match (listing.as_mut(), entry.file_name().to_str()) {
                (Some(l), Some(name)) => l.push((name.to_string(), ft.is_dir())),
                _ => listing = None,
            }
            if ft.is_dir() {
                match entry.metadata() {
                    Ok(m) => self.dir(&path, &m, depth + 1),
                    Err(e) => self.warnings.push(format!("cannot read directory {}: {e}", path.display())),
                }
            } else {
                let meta = entry.metadata().ok();
                self.out.push((path, meta));
            }
        }
        if let (Some(entries), Some(key)) = (listing, key) {
            if let Some((kept_key, _)) = self.listings.and_then(|l| l.kept.get_key_value(key)) {
                self.log.visited.push(kept_key);
            }
            self.log.fresh.push(Listing { dir: key.to_string(), stamp, entries });
        }
    }

    /// An entry whose kind is not known yet (a symlink followed, or an entry that changed).
    fn entry(&mut self, path: PathBuf, depth: usize) {
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => self.dir(&path, &m, depth + 1),
            _ => self.out.push((path, None)),
        }
    }
}

/// What makes a directory the same one under two names.
#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = PathBuf;

#[cfg(unix)]
fn dir_id(_dir: &Path, meta: &std::fs::Metadata) -> DirId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn dir_id(dir: &Path, _meta: &std::fs::Metadata) -> DirId {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// A folder's stamp: its change time (ns) on Unix, its modification time elsewhere.
#[cfg(unix)]
fn stamp(meta: &std::fs::Metadata) -> i64 {
    use std::os::unix::fs::MetadataExt;
    meta.ctime().saturating_mul(1_000_000_000).saturating_add(meta.ctime_nsec())
}

#[cfg(not(unix))]
fn stamp(meta: &std::fs::Metadata) -> i64 {
    mtime_ns(meta)
}

/// A file's modification time in ns since the epoch (0 when it has none).
pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_bad_bytes_are_refused() {
        let l = Listing {
            dir: "/x".into(),
            stamp: 1,
            entries: vec![("a.jsonl".into(), false), ("sub".into(), true)],
        };
        let want: Vec<(&str, bool)> = l.entries.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        assert_eq!(entries(&l.encode()), Some(want));
        assert_eq!(entries(b""), Some(vec![]));
        for bad in [&b"xname\0"[..], b"fname", b"f\0", b"f..\0", b"fa/b\0", b"f\xff\0", b"fa\0\0", b"\0fa\0"]
        {
            assert_eq!(entries(bad), None, "{bad:?}");
        }
    }
}
