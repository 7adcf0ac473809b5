//! What the ledger knows of a session beyond its events, as plain data: its outcome tag, its
//! identity, the commits linked to it, and why a tag was refused. Reports (`report`) read these;
//! `outcomes` writes tags and commits and builds the worth-it report on `report`. This module
//! depends on neither, so the two never import each other.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::fmt::iso_utc;
use crate::store::{Store, StoreError};

/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// What a session was worth, as its user judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Shipped,
    Fixed,
    Explored,
    Abandoned,
    Wasted,
}

impl Outcome {
    /// Every outcome, in the fixed order of reports.
    pub const ALL: [Outcome; 5] =
        [Outcome::Shipped, Outcome::Fixed, Outcome::Explored, Outcome::Abandoned, Outcome::Wasted];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Shipped => "shipped",
            Outcome::Fixed => "fixed",
            Outcome::Explored => "explored",
            Outcome::Abandoned => "abandoned",
            Outcome::Wasted => "wasted",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = TagError;
    fn from_str(s: &str) -> Result<Outcome, TagError> {
        let t = s.trim();
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| TagError::UnknownOutcome(s.to_string()))
    }
}

/// A session's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SessionKey {
    pub source: String,
    pub session_id: String,
}

/// A session as the `sessions` table knows it (no token sums: those come from events).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRef {
    pub source: String,
    pub session_id: String,
    pub project: String,
    pub start: String,
    pub end: String,
    pub outcome: Option<Outcome>,
}

/// Why tagging failed. Nothing was stored.
#[derive(Debug)]
pub enum TagError {
    UnknownOutcome(String),
    NoSessions,
    UnknownSession(String),
    AmbiguousSession { prefix: String, candidates: Vec<SessionRef>, more: bool },
    NoteTooLong { chars: usize },
    BadLink { link: String, reason: String },
    Store(StoreError),
}

impl TagError {
    /// True for mistakes in the request (as opposed to a database that cannot be used).
    pub fn is_usage(&self) -> bool {
        !matches!(self, TagError::Store(_))
    }
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagError::UnknownOutcome(s) => {
                let all: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
                write!(f, "unknown outcome '{s}' (one of: {})", all.join(", "))
            }
            TagError::NoSessions => f.write_str("no session id given"),
            TagError::UnknownSession(s) => write!(
                f,
                "no session with id or id prefix '{s}' in the ledger (`tokenworth session` lists them)"
            ),
            TagError::AmbiguousSession { prefix, candidates, more } => {
                write!(f, "session id prefix '{prefix}' matches several sessions:")?;
                for c in candidates {
                    write!(f, "\n  {} {} ({}, {})", c.source, c.session_id, c.project, c.start)?;
                }
                if *more {
                    write!(f, "\n  …")?;
                }
                write!(f, "\ngive more of the id, or --source")
            }
            TagError::NoteTooLong { chars } => {
                write!(f, "note is {chars} characters long; at most {MAX_NOTE_CHARS} are kept")
            }
            TagError::BadLink { link, reason } => {
                let shown: String = link.chars().take(80).collect();
                write!(f, "link '{shown}' is not an http(s) URL: {reason}")
            }
            TagError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TagError {}

impl From<StoreError> for TagError {
    fn from(e: StoreError) -> TagError {
        TagError::Store(e)
    }
}

/// A session's tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub outcome: Outcome,
    pub note: Option<String>,
    pub link: Option<String>,
}

/// A commit linked to a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitRow {
    pub hash: String,
    /// The subject line.
    pub message: String,
    pub lines_added: u64,
    pub lines_removed: u64,
    pub files_changed: u64,
    /// Author date, UTC.
    pub time: String,
    /// The work tree it was found in.
    pub repo: String,
}

/// What the ledger knows of sessions beyond their events: branch, parent, tag, commits.
#[derive(Debug, Default)]
pub struct SessionExtras {
    pub meta: HashMap<SessionKey, (Option<String>, Option<String>)>,
    pub tags: HashMap<SessionKey, Tag>,
    pub commits: HashMap<SessionKey, Vec<CommitRow>>,
}

/// Loads branch/parent, tags and commits of the sessions `keys` names only, each by its primary
/// key: a report of a period pays for the sessions it shows, not for the ledger's history.
pub fn session_extras_for<'k>(
    store: &Store,
    keys: impl IntoIterator<Item = &'k SessionKey>,
) -> Result<SessionExtras, StoreError> {
    let run = || -> rusqlite::Result<SessionExtras> {
        let c = store.conn();
        let mut x = SessionExtras::default();
        let mut meta = c.prepare_cached(
            "SELECT git_branch, parent_session FROM sessions WHERE source = ?1 AND session_id = ?2",
        )?;
        let mut tags =
            c.prepare_cached("SELECT outcome, note, link FROM tags WHERE source = ?1 AND session_id = ?2")?;
        let mut commits = c.prepare_cached(
            "SELECT hash, message, lines_added, lines_removed, files_changed, author_ts, repo
             FROM session_commits WHERE source = ?1 AND session_id = ?2 ORDER BY author_ts, hash",
        )?;
        for key in keys {
            let params = rusqlite::params![key.source, key.session_id];
            let mut q = meta.query(params)?;
            if let Some(r) = q.next()? {
                let (branch, parent): (Option<String>, Option<String>) = (r.get(0)?, r.get(1)?);
                if branch.is_some() || parent.is_some() {
                    x.meta.insert(key.clone(), (branch, parent));
                }
            }
            let mut q = tags.query(params)?;
            if let Some(r) = q.next()? {
                if let Ok(outcome) = r.get::<_, String>(0)?.parse() {
                    x.tags.insert(key.clone(), Tag { outcome, note: r.get(1)?, link: r.get(2)? });
                }
            }
            let mut q = commits.query(params)?;
            let mut found = Vec::new();
            while let Some(r) = q.next()? {
                found.push(commit_row(r, 0)?);
            }
            if !found.is_empty() {
                x.commits.insert(key.clone(), found);
            }
        }
        Ok(x)
    };
    run().map_err(|e| store.err(e))
}

/// A `session_commits` row read from column `at` on: hash, message, lines added and removed,
/// files changed, author time, repo.
fn commit_row(r: &rusqlite::Row, at: usize) -> rusqlite::Result<CommitRow> {
    Ok(CommitRow {
        hash: r.get(at)?,
        message: r.get(at + 1)?,
        lines_added: r.get::<_, i64>(at + 2)?.max(0) as u64,
        lines_removed: r.get::<_, i64>(at + 3)?.max(0) as u64,
        files_changed: r.get::<_, i64>(at + 4)?.max(0) as u64,
        time: iso_utc(r.get(at + 5)?),
        repo: r.get(at + 6)?,
    })
}

/// Loads branch/parent, tags and commits of every session (small tables, read whole).
pub fn session_extras(store: &Store) -> Result<SessionExtras, StoreError> {
    let run = || -> rusqlite::Result<SessionExtras> {
        let c = store.conn();
        let mut x = SessionExtras::default();
        let key = |r: &rusqlite::Row| -> rusqlite::Result<SessionKey> {
            Ok(SessionKey { source: r.get(0)?, session_id: r.get(1)? })
        };
        let mut stmt = c.prepare(
            "SELECT source, session_id, git_branch, parent_session FROM sessions
             WHERE git_branch IS NOT NULL OR parent_session IS NOT NULL",
        )?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            x.meta.insert(key(r)?, (r.get(2)?, r.get(3)?));
        }
        let mut stmt = c.prepare("SELECT source, session_id, outcome, note, link FROM tags")?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let Some(outcome) = r.get::<_, String>(2)?.parse().ok() else { continue };
            x.tags.insert(key(r)?, Tag { outcome, note: r.get(3)?, link: r.get(4)? });
        }
        let mut stmt = c.prepare(
            "SELECT source, session_id, hash, message, lines_added, lines_removed, files_changed, author_ts, repo
             FROM session_commits ORDER BY author_ts, hash",
        )?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            x.commits.entry(key(r)?).or_default().push(commit_row(r, 2)?);
        }
        Ok(x)
    };
    run().map_err(|e| store.err(e))
}
