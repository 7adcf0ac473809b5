//! Requests built directly, not parsed from a log, and a new ledger holding them: for the
//! migration tests, which then rewind the ledger to an older schema.

use std::path::Path;

use tokenworth_core::store::Store;
use tokenworth_core::{Tokens, UsageEvent};

/// A Claude Code request with `input` tokens in and one out.
pub fn request(key: &str, session: &str, project: &str, ts_ms: i64, input: u64) -> UsageEvent {
    UsageEvent {
        source: "claude-code",
        session_id: session.into(),
        project: project.into(),
        model: "claude-sonnet-4-5".into(),
        model_fallback: false,
        ts_ms,
        dedupe_key: key.into(),
        group_key: None,
        sidechain: false,
        tokens: Tokens { input, output: 1, ..Tokens::default() },
        logged_cost_usd: None,
        git_branch: None,
        parent_session: None,
    }
}

/// A new ledger at `db` holding `events`, stored as an import stores them.
pub fn ledger_with(db: &Path, events: &[UsageEvent]) -> Store {
    let mut store = Store::open(db).unwrap();
    let mut b = store.batch().unwrap();
    b.import_events(events).unwrap();
    b.commit().unwrap();
    store
}
