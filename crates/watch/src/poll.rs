//! The fallback for paths the OS watcher cannot watch: a thread, `tokenworth-poll`, that lists
//! them every `interval` and reports what appeared, vanished or changed size or mtime as
//! ordinary `notify` events, so the live thread treats them like the OS watcher's.
//!
//! Not `notify::PollWatcher`: it compares mtimes in whole seconds (or hashes every file's
//! contents each round), so a second append within the same second as the previous poll would
//! never be reported. Size plus nanosecond mtime is what the ingest itself compares.
//!
//! The thread runs only while some path is polled: it is started by the first `watch` and ends
//! when the `Poller` is dropped.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use notify::event::{CreateKind, DataChange, EventKind, ModifyKind, RemoveKind};

use crate::live::Msg;

/// Name of the polling thread (15 bytes: Linux's limit).
pub const POLL_THREAD_NAME: &str = "tokenworth-poll";

/// Same bound as the ingest's discovery walk.
const MAX_DEPTH: usize = 16;

/// What a path looked like: size, mtime in ns, directory.
type Entry = (u64, i128, bool);
type Snapshot = HashMap<PathBuf, Entry>;

enum Ctl {
    Watch(PathBuf, bool, Snapshot),
    Unwatch(PathBuf),
}

pub(crate) struct Poller {
    ctl: Option<Sender<Ctl>>,
    thread: Option<JoinHandle<()>>,
}

impl Poller {
    pub fn start(interval: Duration, events: Sender<Msg>) -> std::io::Result<Poller> {
        let (ctl, rx) = mpsc::channel::<Ctl>();
        let thread = std::thread::Builder::new().name(POLL_THREAD_NAME.to_string()).spawn(move || {
            let mut watched: BTreeMap<PathBuf, (bool, Snapshot)> = BTreeMap::new();
            loop {
                match rx.recv_timeout(interval) {
                    Ok(Ctl::Watch(path, recursive, snap)) => {
                        watched.insert(path, (recursive, snap));
                    }
                    Ok(Ctl::Unwatch(path)) => {
                        watched.remove(&path);
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                    Err(RecvTimeoutError::Timeout) => {
                        for (path, (recursive, old)) in watched.iter_mut() {
                            let new = snapshot(path, *recursive);
                            for event in diff(old, &new) {
                                if events.send(Msg::Fs(Ok(event))).is_err() {
                                    return;
                                }
                            }
                            *old = new;
                        }
                    }
                }
            }
        })?;
        Ok(Poller { ctl: Some(ctl), thread: Some(thread) })
    }

    /// Polls `path` from now on. Its first listing is taken here, on the caller's thread, so a
    /// change right after this call is reported.
    pub fn watch(&self, path: &Path, recursive: bool) {
        if let Some(ctl) = &self.ctl {
            let _ = ctl.send(Ctl::Watch(path.to_path_buf(), recursive, snapshot(path, recursive)));
        }
    }

    pub fn unwatch(&self, path: &Path) {
        if let Some(ctl) = &self.ctl {
            let _ = ctl.send(Ctl::Unwatch(path.to_path_buf()));
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        // Disconnecting wakes the thread at once.
        self.ctl.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `path` itself and what is under it (only its children unless `recursive`).
fn snapshot(path: &Path, recursive: bool) -> Snapshot {
    let mut out = Snapshot::new();
    if let Some(e) = entry(path) {
        out.insert(path.to_path_buf(), e);
        if e.2 {
            walk(path, if recursive { MAX_DEPTH } else { 1 }, &mut out);
        }
    }
    out
}

fn walk(dir: &Path, depth: usize, out: &mut Snapshot) {
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let Some(entry) = entry(&path) else { continue };
        out.insert(path.clone(), entry);
        if entry.2 {
            walk(&path, depth - 1, out);
        }
    }
}

fn entry(path: &Path) -> Option<Entry> {
    let m = std::fs::metadata(path).ok()?;
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    Some((m.len(), mtime, m.is_dir()))
}

fn diff(old: &Snapshot, new: &Snapshot) -> Vec<notify::Event> {
    let mut out = Vec::new();
    for (path, n) in new {
        let kind = match old.get(path) {
            None if n.2 => EventKind::Create(CreateKind::Folder),
            None => EventKind::Create(CreateKind::File),
            Some(o) if o.2 != n.2 => EventKind::Create(CreateKind::Any),
            Some(o) if !n.2 && (o.0 != n.0 || o.1 != n.1) => {
                EventKind::Modify(ModifyKind::Data(DataChange::Any))
            }
            Some(_) => continue,
        };
        out.push(notify::Event::new(kind).add_path(path.clone()));
    }
    for (path, o) in old {
        if !new.contains_key(path) {
            let kind = EventKind::Remove(if o.2 { RemoveKind::Folder } else { RemoveKind::File });
            out.push(notify::Event::new(kind).add_path(path.clone()));
        }
    }
    out
}
