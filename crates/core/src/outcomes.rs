//! Outcomes: what a session was worth. Tags (one outcome per session, a note, a link), the git
//! commits a session's user made in its repository while it ran, and the worth-it report.
//!
//! Invariants:
//! - Tags and commits are keyed by (source, session id) in their own tables; a scan never
//!   writes them, so they survive rescans, rewritten or deleted logs and restarts. Tags never
//!   leave the machine.
//! - Writers use IMMEDIATE transactions (waiting out the busy timeout beside a scan); several
//!   ids are tagged in one transaction, all or nothing, after every id and value was checked.
//! - Git is only read (see `git`). Found commits are stored and never deleted, so a repository
//!   that vanished or moved keeps what was found. Git runs outside any write transaction.
//! - Linkage is incremental: a session is checked when new, when its end moved, or when its
//!   window (end + [`GRACE_MS`]) was still open at the last check, at most once per
//!   [`RECHECK_MS`]; one git log per repository per run, bounded by [`MAX_SESSIONS_PER_RUN`].
//!   The candidates are the ledger's `link_due` list (filled by triggers when a session is new
//!   or its end moves), not every session: a session leaves it once checked after its window,
//!   so a call's work follows what changed, not the ledger's age.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::env::Env;
use crate::fmt::iso_utc;
use crate::git::{Git, GitError};
use crate::report::{self, Filter, Pricer, SessionRow};
pub use crate::report::{is_heavy, IDLE_BURN_COST_USD, IDLE_BURN_UNPRICED_TOKENS};
use crate::store::{Store, StoreError};
pub use crate::tags::{
    session_extras, CommitRow, Outcome, SessionExtras, SessionKey, SessionRef, Tag, TagError, MAX_NOTE_CHARS,
};

/// Commits up to this long after a session's last request still count as its work.
pub const GRACE_MS: i64 = 30 * 60 * 1000;
/// A session whose window was still open is checked again at most this often.
pub const RECHECK_MS: i64 = 60 * 1000;
/// A check that failed (git error, timeout) is retried after this long.
pub const RETRY_MS: i64 = 60 * 60 * 1000;
/// Most sessions one `link_commits` call checks; the rest wait for the next call.
pub const MAX_SESSIONS_PER_RUN: usize = 2000;
/// Longest link, in characters.
pub const MAX_LINK_CHARS: usize = 2_048;
/// How many untagged sessions the worth-it report lists for review.
pub const REVIEW_LIMIT: usize = 10;

/// Checks a link: an absolute http(s) URL with a host. Returns it normalised.
pub fn check_link(link: &str) -> Result<String, TagError> {
    let bad = |reason: &str| TagError::BadLink { link: link.to_string(), reason: reason.to_string() };
    if link.chars().count() > MAX_LINK_CHARS {
        return Err(bad(&format!("longer than {MAX_LINK_CHARS} characters")));
    }
    let url = url::Url::parse(link.trim()).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad(&format!("scheme '{}' (only http and https)", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    Ok(url.to_string())
}

/// Checks a note's length.
pub fn check_note(note: &str) -> Result<(), TagError> {
    // Count no further than needed: a 1 GB note is refused as fast as a 10,001-character one.
    let chars = note.chars().take(MAX_NOTE_CHARS + 1).count();
    if chars > MAX_NOTE_CHARS {
        return Err(TagError::NoteTooLong { chars: note.chars().count() });
    }
    Ok(())
}

fn begin(store: &Store) -> Result<Transaction<'_>, StoreError> {
    // Immediate: take the write lock first, waiting out the busy timeout beside a scan.
    Transaction::new_unchecked(store.conn(), TransactionBehavior::Immediate).map_err(|e| store.err(e))
}

/// Finds the one session an id or unique id prefix names (optionally within one source). An
/// exact id wins over longer ids it is a prefix of.
pub fn resolve_session(
    conn: &rusqlite::Connection,
    id: &str,
    source: Option<&str>,
) -> Result<Result<SessionKey, TagError>, rusqlite::Error> {
    let id = id.trim();
    if id.is_empty() {
        return Ok(Err(TagError::UnknownSession(String::new())));
    }
    const LIMIT: usize = 10;
    let mut stmt = conn.prepare_cached(
        "SELECT s.source, s.session_id, s.project, s.start_ts, s.end_ts, t.outcome
         FROM sessions s LEFT JOIN tags t ON t.source = s.source AND t.session_id = s.session_id
         WHERE substr(s.session_id, 1, length(?1)) = ?1 AND (?2 IS NULL OR s.source = ?2)
         ORDER BY s.session_id = ?1 DESC, s.end_ts DESC LIMIT ?3",
    )?;
    let rows: Vec<(SessionRef, bool)> = stmt
        .query_map(params![id, source, (LIMIT + 1) as i64], |r| {
            let session_id: String = r.get(1)?;
            let exact = session_id == id;
            Ok((
                SessionRef {
                    source: r.get(0)?,
                    session_id,
                    project: r.get(2)?,
                    start: iso_utc(r.get(3)?),
                    end: iso_utc(r.get(4)?),
                    outcome: r.get::<_, Option<String>>(5)?.and_then(|o| o.parse().ok()),
                },
                exact,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let exact: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].1).collect();
    let n_exact = exact.len();
    let pick = |r: &SessionRef| SessionKey { source: r.source.clone(), session_id: r.session_id.clone() };
    Ok(match (n_exact, rows.len()) {
        (1, _) => Ok(pick(&rows[exact[0]].0)),
        (0, 0) => Err(TagError::UnknownSession(id.to_string())),
        (0, 1) => Ok(pick(&rows[0].0)),
        _ => {
            let more = rows.len() > LIMIT;
            let candidates: Vec<SessionRef> =
                rows.into_iter().filter(|(_, e)| n_exact < 2 || *e).map(|(r, _)| r).take(LIMIT).collect();
            Err(TagError::AmbiguousSession { prefix: id.to_string(), candidates, more })
        }
    })
}

fn resolve_all(
    tx: &Transaction,
    store: &Store,
    ids: &[String],
    source: Option<&str>,
) -> Result<Vec<SessionKey>, TagError> {
    if ids.is_empty() {
        return Err(TagError::NoSessions);
    }
    let mut keys = Vec::new();
    for id in ids {
        let key = resolve_session(tx, id, source).map_err(|e| store.err(e))??;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// Tags sessions (ids or unique id prefixes) with an outcome, in one transaction: every id is
/// resolved and every value checked before anything is written. A note or link left out keeps
/// the session's previous one; an empty one removes it. Returns how many sessions were tagged.
pub fn tag_sessions(
    store: &Store,
    ids: &[String],
    outcome: Outcome,
    note: Option<&str>,
    link: Option<&str>,
    now_ms: i64,
) -> Result<usize, TagError> {
    tag_sessions_in(store, ids, None, outcome, note, link, now_ms)
}

/// [`tag_sessions`], resolving ids within one source when `source` is given.
pub fn tag_sessions_in(
    store: &Store,
    ids: &[String],
    source: Option<&str>,
    outcome: Outcome,
    note: Option<&str>,
    link: Option<&str>,
    now_ms: i64,
) -> Result<usize, TagError> {
    if let Some(n) = note {
        check_note(n)?;
    }
    // Some(None): remove; None: keep.
    let link: Option<Option<String>> = match link.map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(l) => Some(Some(check_link(l)?)),
    };
    let note: Option<Option<&str>> = note.map(|n| Some(n).filter(|n| !n.trim().is_empty()));
    let tx = begin(store)?;
    let keys = resolve_all(&tx, store, ids, source)?;
    let write = || -> rusqlite::Result<()> {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO tags(source, session_id, outcome, note, link, tagged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(source, session_id) DO UPDATE SET outcome = excluded.outcome,
                note = CASE WHEN ?7 THEN excluded.note ELSE tags.note END,
                link = CASE WHEN ?8 THEN excluded.link ELSE tags.link END,
                tagged_at = excluded.tagged_at",
        )?;
        for k in &keys {
            stmt.execute(params![
                k.source,
                k.session_id,
                outcome.as_str(),
                note.flatten(),
                link.clone().flatten(),
                now_ms,
                note.is_some(),
                link.is_some()
            ])?;
        }
        Ok(())
    };
    write().map_err(|e| store.err(e))?;
    tx.commit().map_err(|e| store.err(e))?;
    // What was done, never what was written: a note or a link is the user's own text.
    tracing::debug!(
        sessions = keys.len(),
        outcome = outcome.as_str(),
        note = if note.is_some() { "set" } else { "kept" },
        link = if link.is_some() { "set" } else { "kept" },
        "sessions tagged"
    );
    Ok(keys.len())
}

/// Removes the tags of sessions (ids or unique prefixes), all or nothing. Returns how many
/// sessions had a tag.
pub fn clear_tags(store: &Store, ids: &[String]) -> Result<usize, TagError> {
    clear_tags_in(store, ids, None)
}

/// [`clear_tags`], resolving ids within one source when `source` is given.
pub fn clear_tags_in(store: &Store, ids: &[String], source: Option<&str>) -> Result<usize, TagError> {
    let tx = begin(store)?;
    let keys = resolve_all(&tx, store, ids, source)?;
    let mut n = 0;
    for k in &keys {
        n += tx
            .execute(
                "DELETE FROM tags WHERE source = ?1 AND session_id = ?2",
                params![k.source, k.session_id],
            )
            .map_err(|e| store.err(e))?;
    }
    tx.commit().map_err(|e| store.err(e))?;
    tracing::debug!(sessions = n, "tags cleared");
    Ok(n)
}

/// The session with the latest last request (for "Tag last session…").
pub fn last_session(store: &Store) -> Result<Option<SessionRef>, StoreError> {
    store
        .conn()
        .query_row(
            "SELECT s.source, s.session_id, s.project, s.start_ts, s.end_ts, t.outcome
             FROM sessions s LEFT JOIN tags t ON t.source = s.source AND t.session_id = s.session_id
             ORDER BY s.end_ts DESC, s.session_id DESC LIMIT 1",
            [],
            |r| {
                Ok(SessionRef {
                    source: r.get(0)?,
                    session_id: r.get(1)?,
                    project: r.get(2)?,
                    start: iso_utc(r.get(3)?),
                    end: iso_utc(r.get(4)?),
                    outcome: r.get::<_, Option<String>>(5)?.and_then(|o| o.parse().ok()),
                })
            },
        )
        .optional()
        .map_err(|e| store.err(e))
}

// ---------------------------------------------------------------------------------------------
// What reports attach to a session

// ---------------------------------------------------------------------------------------------
// Git linkage

/// What one `link_commits` run did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LinkReport {
    /// Sessions whose check was recorded.
    pub sessions_checked: usize,
    /// Repositories git log ran in.
    pub repos: usize,
    /// Commits newly linked to sessions.
    pub commits_found: usize,
    /// Sessions left for a later run (over the per-run bound, or git missing).
    pub pending: usize,
    pub git_missing: bool,
    pub warnings: Vec<String>,
}

struct Due {
    key: SessionKey,
    project: String,
    start: i64,
    end: i64,
}

/// Records the same check result for every session of one repository.
fn mark_all(checks: &mut Vec<Check>, sessions: &[&Due], repo: &str, state: &'static str) {
    checks.extend(sessions.iter().map(|d| Check {
        key: d.key.clone(),
        end: d.end,
        repo: Some(repo.to_string()),
        state,
    }));
}

struct Check {
    key: SessionKey,
    end: i64,
    repo: Option<String>,
    state: &'static str,
}

/// Links sessions to the commits their repository's user authored between the session's first
/// request and its last plus [`GRACE_MS`]. Incremental and bounded (see the module invariants);
/// read-only on repositories. When git is missing, sessions get no commits, stay unchecked and
/// the report says so once per run.
pub fn link_commits(store: &Store, env: &Env, now_ms: i64) -> Result<LinkReport, StoreError> {
    let mut report = LinkReport::default();
    let Candidates { due, settled } = due_sessions(store, now_ms)?;
    let all_due = due.len();
    if due.len() > MAX_SESSIONS_PER_RUN {
        report.pending = due.len() - MAX_SESSIONS_PER_RUN;
    }
    let due = &due[..due.len().min(MAX_SESSIONS_PER_RUN)];
    if due.is_empty() {
        if !settled.is_empty() {
            let tx = begin(store)?;
            forget_settled(&tx, settled.iter().map(|(k, e)| (k, *e))).map_err(|e| store.err(e))?;
            tx.commit().map_err(|e| store.err(e))?;
        }
        return Ok(report);
    }
    let git = Git::new(env);
    let mut checks: Vec<Check> = Vec::new();
    let mut found: Vec<(SessionKey, String, crate::git::Commit)> = Vec::new();
    // cwd → work tree top (None: not in one).
    let mut tops: HashMap<String, Result<Option<PathBuf>, String>> = HashMap::new();
    let mut by_repo: BTreeMap<PathBuf, Vec<&Due>> = BTreeMap::new();
    for d in due {
        let cwd = Path::new(&d.project);
        let top = match tops.get(&d.project) {
            Some(t) => t.clone(),
            None => {
                let t = if cwd.is_absolute() && cwd.is_dir() {
                    match git.toplevel(cwd) {
                        Ok(t) => Ok(t),
                        Err(GitError::Missing) => {
                            report.git_missing = true;
                            report.pending = all_due;
                            report.warnings.push(
                                "git is not installed (not found on PATH): sessions are not linked to commits"
                                    .into(),
                            );
                            return Ok(report);
                        }
                        Err(e) => Err(e.to_string()),
                    }
                } else {
                    Ok(None)
                };
                tops.insert(d.project.clone(), t.clone());
                t
            }
        };
        match top {
            Ok(Some(top)) => by_repo.entry(top).or_default().push(d),
            Ok(None) => checks.push(Check { key: d.key.clone(), end: d.end, repo: None, state: "no_repo" }),
            Err(e) => {
                report.warnings.push(format!("git in {}: {e}", d.project));
                checks.push(Check { key: d.key.clone(), end: d.end, repo: None, state: "error" });
            }
        }
    }
    for (top, sessions) in by_repo {
        let repo = top.display().to_string();
        let email = match git.user_email(&top) {
            Ok(Some(e)) => e,
            Ok(None) => {
                mark_all(&mut checks, &sessions, &repo, "no_user");
                continue;
            }
            Err(e) => {
                report.warnings.push(format!("git in {repo}: {e}"));
                mark_all(&mut checks, &sessions, &repo, "error");
                continue;
            }
        };
        let since_s = sessions.iter().map(|d| d.start).min().unwrap_or(0).div_euclid(1000) - 60;
        report.repos += 1;
        let commits = match git.commits_since(&top, since_s) {
            Ok(c) => c,
            Err(e) => {
                report.warnings.push(format!("git log in {repo}: {e}"));
                mark_all(&mut checks, &sessions, &repo, "error");
                continue;
            }
        };
        for d in &sessions {
            for c in &commits {
                // Author dates have whole seconds: a commit in the session's first second counts.
                let in_window = c.author_ms + 999 >= d.start && c.author_ms <= d.end.saturating_add(GRACE_MS);
                if in_window && c.author_email.trim().eq_ignore_ascii_case(&email) {
                    found.push((d.key.clone(), repo.clone(), c.clone()));
                }
            }
            checks.push(Check { key: d.key.clone(), end: d.end, repo: Some(repo.clone()), state: "ok" });
        }
    }
    let tx = begin(store)?;
    let write = || -> rusqlite::Result<usize> {
        let mut n = 0;
        let mut ins = tx.prepare_cached(
            "INSERT OR IGNORE INTO session_commits(source, session_id, hash, repo, author_ts, message, files_changed, lines_added, lines_removed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for (k, repo, c) in &found {
            n += ins.execute(params![
                k.source,
                k.session_id,
                c.hash,
                repo,
                c.author_ms,
                c.message,
                c.files_changed as i64,
                c.lines_added as i64,
                c.lines_removed as i64
            ])?;
        }
        let mut chk = tx.prepare_cached(
            "INSERT INTO commit_checks(source, session_id, checked_end, checked_at, repo, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(source, session_id) DO UPDATE SET checked_end = excluded.checked_end,
                checked_at = excluded.checked_at, repo = coalesce(excluded.repo, commit_checks.repo), state = excluded.state",
        )?;
        for c in &checks {
            chk.execute(params![c.key.source, c.key.session_id, c.end, now_ms, c.repo, c.state])?;
        }
        // Checked after its window closed: final until its end moves (a trigger lists it again).
        let checked_final = checks
            .iter()
            .filter(|c| c.state != "error" && now_ms >= c.end.saturating_add(GRACE_MS))
            .map(|c| (&c.key, Some(c.end)));
        forget_settled(&tx, settled.iter().map(|(k, e)| (k, *e)).chain(checked_final))?;
        Ok(n)
    };
    report.commits_found = write().map_err(|e| store.err(e))?;
    tx.commit().map_err(|e| store.err(e))?;
    report.sessions_checked = checks.len();
    Ok(report)
}

/// What `link_due` holds now: the sessions to check now (most recently ended first), and the
/// ones it can forget (their check is final, or the session is gone).
struct Candidates {
    due: Vec<Due>,
    /// With the end the session had when read (None: gone).
    settled: Vec<(SessionKey, Option<i64>)>,
}

/// Reads `link_due` (not every session): a session is due when it has no check, when a failed
/// check is [`RETRY_MS`] old, or when its end moved or its window was open at the last check
/// and that check is [`RECHECK_MS`] old. One checked after its window with its end unchanged is
/// settled.
fn due_sessions(store: &Store, now_ms: i64) -> Result<Candidates, StoreError> {
    let run = || -> rusqlite::Result<Candidates> {
        // `link_due` first (a LEFT JOIN keeps that order): the list, then a key lookup each.
        let mut stmt = store.conn().prepare(
            "SELECT d.source, d.session_id, s.project, s.start_ts, s.end_ts, c.state, c.checked_end, c.checked_at
             FROM link_due d
             LEFT JOIN sessions s ON s.source = d.source AND s.session_id = d.session_id
             LEFT JOIN commit_checks c ON c.source = d.source AND c.session_id = d.session_id",
        )?;
        let mut out = Candidates { due: Vec::new(), settled: Vec::new() };
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let key = SessionKey { source: r.get(0)?, session_id: r.get(1)? };
            let (Some(project), Some(start), Some(end)) =
                (r.get::<_, Option<String>>(2)?, r.get::<_, Option<i64>>(3)?, r.get::<_, Option<i64>>(4)?)
            else {
                out.settled.push((key, None)); // the session is gone
                continue;
            };
            let check: Option<(String, i64, i64)> = match r.get::<_, Option<String>>(5)? {
                Some(state) => Some((state, r.get(6)?, r.get(7)?)),
                None => None,
            };
            let due = match check {
                None => true,
                Some((state, _, at)) if state == "error" => at.saturating_add(RETRY_MS) <= now_ms,
                Some((_, checked_end, at)) => {
                    if checked_end == end && at >= end.saturating_add(GRACE_MS) {
                        out.settled.push((key, Some(end)));
                        continue;
                    }
                    at.saturating_add(RECHECK_MS) <= now_ms
                }
            };
            if due {
                out.due.push(Due { key, project, start, end });
            }
        }
        out.due.sort_by_key(|d| std::cmp::Reverse(d.end));
        Ok(out)
    };
    run().map_err(|e| store.err(e))
}

/// Removes sessions from `link_due`, each only if its end is still the one it was checked (or
/// found settled, or gone) with: a scan that moved it meanwhile keeps it listed.
fn forget_settled<'a>(
    tx: &Transaction,
    keys: impl Iterator<Item = (&'a SessionKey, Option<i64>)>,
) -> rusqlite::Result<()> {
    let mut del = tx.prepare_cached(
        "DELETE FROM link_due WHERE source = ?1 AND session_id = ?2
           AND (SELECT end_ts FROM sessions s WHERE s.source = ?1 AND s.session_id = ?2) IS ?3",
    )?;
    for (k, end) in keys {
        del.execute(params![k.source, k.session_id, end])?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The worth-it report

/// Spend of the sessions with one outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeRow {
    pub outcome: Outcome,
    pub sessions: u64,
    pub cost_usd: f64,
    /// Distinct commits linked to these sessions.
    pub commits: u64,
    pub total_tokens: u64,
    pub unpriced_tokens: u64,
}

/// Spend of the sessions without a tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UntaggedRow {
    pub sessions: u64,
    pub cost_usd: f64,
    pub commits: u64,
    pub total_tokens: u64,
    pub unpriced_tokens: u64,
    /// Untagged sessions with commits (suggested: shipped).
    pub with_commits: u64,
}

/// A session worth a look.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewRow {
    pub source: String,
    pub session_id: String,
    pub project: String,
    pub start: String,
    pub end: String,
    pub cost_usd: f64,
    pub total_tokens: u64,
    pub unpriced_tokens: u64,
    pub commits: u64,
    pub suggested_outcome: Option<Outcome>,
}

/// `tokenworth outcomes --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomesReport {
    /// All five outcomes, zeros included, in the fixed order.
    pub outcomes: Vec<OutcomeRow>,
    pub untagged: UntaggedRow,
    /// Every session in the period.
    pub total: UntaggedRow,
    /// Spend of shipped sessions / shipped sessions; null without shipped sessions.
    pub cost_per_shipped_session: Option<f64>,
    /// All spend / distinct commits linked to sessions in the period; null without commits.
    pub cost_per_commit: Option<f64>,
    /// Untagged spend / all spend; null when nothing was spent.
    pub untagged_share: Option<f64>,
    /// Abandoned + wasted spend / all spend; null when nothing was spent.
    pub wasted_share: Option<f64>,
    /// The most expensive untagged sessions, most expensive first.
    pub review: Vec<ReviewRow>,
    /// Heavy sessions with no commits and no tag, most expensive first.
    pub idle_burn: Vec<ReviewRow>,
}

fn review_row(s: &SessionRow) -> ReviewRow {
    ReviewRow {
        source: s.source.clone(),
        session_id: s.session_id.clone(),
        project: s.project.clone(),
        start: s.start.clone(),
        end: s.end.clone(),
        cost_usd: s.totals.cost_usd,
        total_tokens: s.totals.total_tokens,
        unpriced_tokens: s.totals.unpriced_tokens,
        commits: s.commits.len() as u64,
        suggested_outcome: s.suggested_outcome,
    }
}

/// Spend and sessions per outcome over the filter's period (a session counts with the spend
/// of its requests inside the period).
pub fn outcomes_report(
    store: &Store,
    pricer: &Pricer,
    filter: &Filter,
) -> Result<OutcomesReport, StoreError> {
    let rep = report::sessions(store, pricer, filter)?;
    Ok(summarize(&rep.sessions))
}

/// The worth-it numbers of some sessions (as `report::sessions` returns them).
pub fn summarize(sessions: &[SessionRow]) -> OutcomesReport {
    let mut rows: Vec<OutcomeRow> = Outcome::ALL
        .iter()
        .map(|&o| OutcomeRow {
            outcome: o,
            sessions: 0,
            cost_usd: 0.0,
            commits: 0,
            total_tokens: 0,
            unpriced_tokens: 0,
        })
        .collect();
    let mut hashes: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); Outcome::ALL.len()];
    let mut untagged = UntaggedRow::default();
    let mut untagged_hashes = BTreeSet::new();
    let mut total = UntaggedRow::default();
    let mut all_hashes = BTreeSet::new();
    let add = |r: &mut UntaggedRow, s: &SessionRow| {
        r.sessions += 1;
        r.cost_usd += s.totals.cost_usd;
        r.total_tokens += s.totals.total_tokens;
        r.unpriced_tokens += s.totals.unpriced_tokens;
        r.with_commits += u64::from(!s.commits.is_empty());
    };
    for s in sessions {
        add(&mut total, s);
        all_hashes.extend(s.commits.iter().map(|c| c.hash.as_str()));
        match s.outcome {
            Some(o) => {
                let i = Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0);
                let r = &mut rows[i];
                r.sessions += 1;
                r.cost_usd += s.totals.cost_usd;
                r.total_tokens += s.totals.total_tokens;
                r.unpriced_tokens += s.totals.unpriced_tokens;
                hashes[i].extend(s.commits.iter().map(|c| c.hash.as_str()));
            }
            None => {
                add(&mut untagged, s);
                untagged_hashes.extend(s.commits.iter().map(|c| c.hash.as_str()));
            }
        }
    }
    for (r, h) in rows.iter_mut().zip(&hashes) {
        r.commits = h.len() as u64;
    }
    untagged.commits = untagged_hashes.len() as u64;
    total.commits = all_hashes.len() as u64;
    let shipped = &rows[0];
    let spent = total.cost_usd;
    let share = |x: f64| (spent > 0.0).then(|| x / spent);
    let wasted = rows[3].cost_usd + rows[4].cost_usd;
    let by_cost = |a: &&SessionRow, b: &&SessionRow| {
        b.totals
            .cost_usd
            .total_cmp(&a.totals.cost_usd)
            .then(b.totals.total_tokens.cmp(&a.totals.total_tokens))
            .then_with(|| a.session_id.cmp(&b.session_id))
    };
    let mut untagged_sessions: Vec<&SessionRow> = sessions.iter().filter(|s| s.outcome.is_none()).collect();
    untagged_sessions.sort_by(by_cost);
    let mut idle: Vec<&SessionRow> = sessions.iter().filter(|s| s.idle_burn).collect();
    idle.sort_by(by_cost);
    OutcomesReport {
        cost_per_shipped_session: (shipped.sessions > 0).then(|| shipped.cost_usd / shipped.sessions as f64),
        cost_per_commit: (total.commits > 0).then(|| spent / total.commits as f64),
        untagged_share: share(untagged.cost_usd),
        wasted_share: share(wasted),
        review: untagged_sessions
            .iter()
            .filter(|s| s.totals.cost_usd > 0.0 || s.totals.unpriced_tokens > 0)
            .take(REVIEW_LIMIT)
            .map(|s| review_row(s))
            .collect(),
        idle_burn: idle.iter().map(|s| review_row(s)).collect(),
        outcomes: rows,
        untagged,
        total,
    }
}
