//! Where the watches are: each existing root watched recursively, each missing root through a
//! non-recursive watch of its nearest existing ancestor (so its creation is seen), by the OS
//! watcher when it can, by the poller (`poll.rs`) for the paths it cannot.
//!
//! `reconcile` compares the watches wanted now (roots exist or not) with those placed and moves
//! them; it repeats until nothing moves, because a directory can appear between looking at it and
//! watching it. The poller, whose thread wakes every `poll_interval`, exists only while some path
//! is polled.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokenworth_core::source::Source;
use tokenworth_core::Env;

use crate::live::Msg;
use crate::poll::Poller;
use crate::{RootState, RootStatus};

/// Rounds of `reconcile` before giving up on a tree that keeps changing (the next event retries).
const MAX_ROUNDS: usize = 8;

/// One root of one source.
pub(crate) struct Root {
    pub source: usize,
    pub id: &'static str,
    pub path: PathBuf,
    /// The same root through resolved symlinks, as some backends (FSEvents) report paths.
    pub alias: Option<PathBuf>,
}

impl Root {
    /// Whether `path` is this root or under it.
    pub fn contains(&self, path: &Path) -> bool {
        path.starts_with(&self.path) || self.alias.as_deref().is_some_and(|a| path.starts_with(a))
    }

    /// Whether `path` is this root or one of its ancestors.
    pub fn is_within(&self, path: &Path) -> bool {
        self.path.starts_with(path) || self.alias.as_deref().is_some_and(|a| a.starts_with(path))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum By {
    Os,
    Poll(String),
}

#[derive(Debug)]
struct Placed {
    recursive: bool,
    by: By,
    identity: Option<(u64, u64)>,
}

pub(crate) struct Watches {
    pub roots: Vec<Root>,
    tx: Sender<Msg>,
    os: Result<RecommendedWatcher, String>,
    poll: Option<Poller>,
    poll_interval: Duration,
    placed: BTreeMap<PathBuf, Placed>,
    /// Paths the OS watcher failed on while running (watch limit hit under them): polled from
    /// now on, with the reason.
    sticky_poll: HashMap<PathBuf, String>,
    statuses: Vec<RootStatus>,
}

/// Statuses before any watch is placed: what exists is about to be watched.
pub(crate) fn initial_statuses(env: &Env, sources: &[Box<dyn Source>]) -> Vec<RootStatus> {
    let mut out = Vec::new();
    for s in sources {
        for path in s.roots(env) {
            let state = if path.is_dir() { RootState::Watching } else { RootState::Missing };
            out.push(RootStatus { source: s.id().to_string(), path, state });
        }
    }
    out
}

impl Watches {
    pub fn new(
        env: &Env,
        sources: &[Box<dyn Source>],
        tx: Sender<Msg>,
        force_poll: bool,
        poll_interval: Duration,
    ) -> Watches {
        let mut roots = Vec::new();
        for (i, s) in sources.iter().enumerate() {
            for path in s.roots(env) {
                if !roots.iter().any(|r: &Root| r.path == path) {
                    roots.push(Root { source: i, id: s.id(), path, alias: None });
                }
            }
        }
        let os = if force_poll {
            Err("polling forced by configuration (force_poll)".to_string())
        } else {
            let tx = tx.clone();
            notify::recommended_watcher(move |res: notify::Result<notify::Event>| forward(&tx, res))
                .map_err(|e| format!("the OS file watcher could not start: {e}"))
        };
        Watches {
            roots,
            tx,
            os,
            poll: None,
            poll_interval,
            placed: BTreeMap::new(),
            sticky_poll: HashMap::new(),
            statuses: Vec::new(),
        }
    }

    pub fn statuses(&self) -> &[RootStatus] {
        &self.statuses
    }

    /// Whether `path` is a placed watch or an ancestor of a root: its creation, removal or
    /// renaming can change what must be watched.
    pub fn is_structural(&self, path: &Path) -> bool {
        self.placed.contains_key(path) || self.roots.iter().any(|r| r.is_within(path))
    }

    /// The OS watcher failed under `path` while running (e.g. the inotify limit was hit adding
    /// a new subdirectory): the placed watch holding it is polled from now on.
    pub fn fail_os(&mut self, path: Option<&Path>, reason: String) {
        let holders: Vec<PathBuf> = self
            .placed
            .iter()
            .filter(|(p, w)| w.by == By::Os && path.is_none_or(|f| f.starts_with(p)))
            .map(|(p, _)| p.clone())
            .collect();
        for p in holders {
            self.sticky_poll.insert(p.clone(), reason.clone());
            self.unplace(&p);
        }
    }

    /// Moves the watches to match which roots exist now. `forced` paths are placed afresh even
    /// if they look unchanged (the backend may have dropped their watch with a removal event).
    /// Returns whether any root's status changed.
    pub fn reconcile(&mut self, forced: &[PathBuf]) -> bool {
        let mut forced = forced;
        for _ in 0..MAX_ROUNDS {
            let want = self.wanted();
            let stale: Vec<PathBuf> = self
                .placed
                .iter()
                .filter(|(p, w)| {
                    want.get(*p) != Some(&w.recursive) || forced.contains(p) || identity(p) != w.identity
                })
                .map(|(p, _)| p.clone())
                .collect();
            for p in &stale {
                self.unplace(p);
            }
            let mut moved = !stale.is_empty();
            for (p, recursive) in &want {
                if !self.placed.contains_key(p) {
                    self.place(p, *recursive);
                    moved = true;
                }
            }
            forced = &[];
            if !moved {
                break;
            }
        }
        if self.poll.is_some() && !self.placed.values().any(|w| matches!(w.by, By::Poll(_))) {
            // Nothing polled any more: no timer keeps running.
            self.poll = None;
        }
        self.refresh_statuses()
    }

    /// Existing roots recursively, missing roots' nearest existing ancestors not.
    fn wanted(&mut self) -> BTreeMap<PathBuf, bool> {
        let mut want = BTreeMap::new();
        for root in &mut self.roots {
            if root.path.is_dir() {
                want.insert(root.path.clone(), true);
            } else if let Some(a) = nearest_existing_ancestor(&root.path) {
                want.entry(a.to_path_buf()).or_insert(false);
            }
            root.alias = resolved(&root.path).filter(|a| *a != root.path);
        }
        want
    }

    fn place(&mut self, path: &Path, recursive: bool) {
        let mode = if recursive { RecursiveMode::Recursive } else { RecursiveMode::NonRecursive };
        // Taken before the watch: a directory replaced right after is caught by the next round.
        let identity = identity(path);
        let reason = match (&mut self.os, self.sticky_poll.get(path), network_fs(path)) {
            (Err(e), _, _) => Some(e.clone()),
            (Ok(_), Some(reason), _) => Some(reason.clone()),
            (Ok(_), None, Some(fs)) => Some(format!(
                "{} is on a network file system ({fs}): the OS watcher would miss changes made elsewhere",
                path.display()
            )),
            (Ok(os), None, None) => match os.watch(path, mode) {
                Ok(()) => None,
                Err(e) => {
                    // A recursive watch can fail half-way: drop what was placed.
                    let _ = os.unwatch(path);
                    Some(describe(&e, path))
                }
            },
        };
        let by = match reason {
            None => By::Os,
            Some(reason) => {
                if self.poll.is_none() {
                    self.poll = Poller::start(self.poll_interval, self.tx.clone()).ok();
                }
                match &self.poll {
                    Some(poll) => {
                        poll.watch(path, recursive);
                        By::Poll(reason)
                    }
                    None => By::Poll(format!("{reason}; polling could not start either")),
                }
            }
        };
        self.placed.insert(path.to_path_buf(), Placed { recursive, by, identity });
    }

    fn unplace(&mut self, path: &Path) {
        let Some(w) = self.placed.remove(path) else { return };
        // Errors mean the watch is already gone (its directory was deleted).
        match w.by {
            By::Os => {
                if let Ok(os) = &mut self.os {
                    let _ = os.unwatch(path);
                }
            }
            By::Poll(_) => {
                if let Some(poll) = &self.poll {
                    poll.unwatch(path);
                }
            }
        }
    }

    fn refresh_statuses(&mut self) -> bool {
        let statuses: Vec<RootStatus> = self
            .roots
            .iter()
            .map(|r| {
                let state = match self.placed.get(&r.path) {
                    Some(Placed { recursive: true, by: By::Os, .. }) => RootState::Watching,
                    Some(Placed { recursive: true, by: By::Poll(reason), .. }) => {
                        RootState::Polling { reason: reason.clone() }
                    }
                    _ => RootState::Missing,
                };
                RootStatus { source: r.id.to_string(), path: r.path.clone(), state }
            })
            .collect();
        let changed = statuses != self.statuses;
        self.statuses = statuses;
        changed
    }
}

/// Hands a watcher's event to the live thread. Access events (opens and closes, including the
/// scan's own reads) never change a log, so they do not even wake it.
fn forward(tx: &Sender<Msg>, res: notify::Result<notify::Event>) {
    if let Ok(e) = &res {
        if matches!(e.kind, notify::EventKind::Access(_)) {
            return;
        }
    }
    let _ = tx.send(Msg::Fs(res));
}

fn describe(e: &notify::Error, path: &Path) -> String {
    match e.kind {
        notify::ErrorKind::MaxFilesWatch => format!(
            "the OS watch limit was reached watching {} (on Linux: raise fs.inotify.max_user_watches)",
            path.display()
        ),
        _ => format!("the OS watcher cannot watch {}: {e}", path.display()),
    }
}

fn nearest_existing_ancestor(path: &Path) -> Option<&Path> {
    path.ancestors().skip(1).find(|a| a.is_dir())
}

/// `path` with symlinks resolved, as far as it exists.
fn resolved(path: &Path) -> Option<PathBuf> {
    let existing = path.ancestors().find(|a| a.exists())?;
    let rest = path.strip_prefix(existing).ok()?;
    Some(std::fs::canonicalize(existing).ok()?.join(rest))
}

/// File systems whose changes made by other machines the OS watcher never reports.
const NETWORK_FS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ncpfs",
    "afs",
    "9p",
    "ceph",
    "glusterfs",
    "davfs",
    "fuse.sshfs",
    "fuse.rclone",
];

/// The type of the network file system `path` is on, if it is on one (Linux: the longest
/// mount point above it in `/proc/self/mountinfo`).
#[cfg(target_os = "linux")]
fn network_fs(path: &Path) -> Option<String> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let path = std::fs::canonicalize(path).ok()?;
    let fs = mount_fs_type(&mountinfo, &path)?;
    NETWORK_FS.contains(&fs.as_str()).then_some(fs)
}

#[cfg(not(target_os = "linux"))]
fn network_fs(_path: &Path) -> Option<String> {
    None
}

/// The file system type of the mount `path` is on, from the text of a `mountinfo` file.
fn mount_fs_type(mountinfo: &str, path: &Path) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else { continue };
        let (Some(mount_point), Some(fs)) = (left.split(' ').nth(4), right.split(' ').next()) else {
            continue;
        };
        let mount_point = unescape_octal(mount_point);
        let depth = Path::new(&mount_point).components().count();
        if path.starts_with(&mount_point) && best.is_none_or(|(d, _)| depth >= d) {
            best = Some((depth, fs));
        }
    }
    best.map(|(_, fs)| fs.to_string())
}

/// `mountinfo` writes space, tab, newline and backslash in paths as `\ooo`.
fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal =
            b.get(i + 1..i + 4).filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(d) => {
                out.push(d.iter().fold(0u8, |n, c| n.wrapping_mul(8).wrapping_add(c - b'0')));
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|_| (0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:35 / /home rw,relatime shared:20 - ext4 /dev/sda2 rw
51 40 0:44 / /home/dev/shared\\040drive rw,relatime shared:31 - nfs4 server:/export rw,vers=4.2
52 22 0:45 / /mnt/c rw,noatime - 9p drvfs rw,dirsync
";

    #[test]
    fn the_longest_mount_point_above_a_path_gives_its_file_system() {
        let fs = |p: &str| mount_fs_type(MOUNTINFO, Path::new(p));
        assert_eq!(fs("/home/dev/.claude/projects").as_deref(), Some("ext4"));
        assert_eq!(fs("/home/dev/shared drive/.claude/projects").as_deref(), Some("nfs4"));
        assert_eq!(fs("/home/dev/shared drive").as_deref(), Some("nfs4"));
        assert_eq!(fs("/home/dev/shared drivex").as_deref(), Some("ext4"), "components, not bytes");
        assert_eq!(fs("/mnt/c/Users/dev/.codex").as_deref(), Some("9p"));
        assert_eq!(fs("/etc").as_deref(), Some("ext4"));
        assert_eq!(mount_fs_type("garbage\n- \n", Path::new("/x")), None);
    }

    #[test]
    fn octal_escapes_in_mount_points_are_decoded() {
        assert_eq!(unescape_octal("/a\\040b\\011c\\134d"), "/a b\tc\\d");
        assert_eq!(unescape_octal("/trailing\\04"), "/trailing\\04");
        assert_eq!(unescape_octal("/plain"), "/plain");
    }
}
