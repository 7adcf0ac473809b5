//! The days a member sends, built from the ledger: per local day (in the user's zone, as in
//! `daily`), the totals and cost always; per tool, per model and per outcome only when chosen.
//!
//! Rules:
//! - an excluded project's usage is left out entirely (its tokens, cost and sessions);
//! - a session counts on the local day it started; its cost on the days it was spent;
//! - the outcome costs of a day add up to the day's cost: spend of untagged sessions goes under
//!   `untagged`;
//! - commit counts (distinct commits linked to the sessions that started that day) ride in the
//!   outcomes and are present only when commits are shared;
//! - nothing names a project, session, prompt, note, link, branch, commit or person: the wire
//!   shapes (`tokenworth-share`) have no field for them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tokenworth_core::report::{local_date, local_midnight_ms, Pricer, Totals};
use tokenworth_core::store::{Store, StoreError, BUCKET_MS};
use tokenworth_core::tags::{self, SessionKey};
use tokenworth_share as share;
use tokenworth_share::{DayUpload, OutcomeDay, Split};

/// What a member shares beyond the day's totals and cost (always sent once joined).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    /// Sessions and cost per outcome (on by default: they are the board's point).
    pub outcomes: bool,
    /// The split per tool.
    pub tools: bool,
    /// The split per model.
    pub models: bool,
    /// Commit counts per outcome (sent only with outcomes).
    pub commits: bool,
}

impl Default for Fields {
    fn default() -> Fields {
        Fields { outcomes: true, tools: false, models: false, commits: false }
    }
}

/// Which days to build, and how.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub fields: Fields,
    /// Projects whose usage is not sent (a directory and those below it, or a last path component).
    pub excluded_projects: &'a [String],
    pub tz: Tz,
    /// First and last local day (days since 1970-01-01), inclusive.
    pub first_day: i64,
    pub last_day: i64,
}

/// Days since 1970-01-01 of a date.
pub fn day_number(d: NaiveDate) -> i64 {
    d.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days()
}

/// The date of a day number.
pub fn date_of(day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + chrono::Duration::days(day)
}

/// Whether `project` is `p`, below the directory `p`, or has `p` as its last path component
/// (the rule of `--project`).
pub fn project_matches(project: &str, p: &str) -> bool {
    let p = p.trim();
    if p.is_empty() {
        return false;
    }
    let dir = p.trim_end_matches('/');
    project == p
        || (!dir.is_empty() && project.starts_with(&format!("{dir}/")))
        || project.ends_with(&format!("/{p}"))
        || project.rsplit('/').next() == Some(p)
}

fn excluded(project: &str, list: &[String]) -> bool {
    list.iter().any(|p| project_matches(project, p))
}

/// A tool or model name in the board's character set (letters, digits, `. _ - : / @ +`, at most
/// 100 characters); anything else becomes `_`.
pub fn wire_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-:/@+".contains(c) { c } else { '_' })
        .take(100)
        .collect();
    if out.is_empty() {
        out.push_str("unknown");
    }
    out
}

fn round6(x: f64) -> f64 {
    (x * 1_000_000.0).round() / 1_000_000.0
}

fn wire(t: &Totals) -> share::Tokens {
    share::Tokens {
        input_tokens: t.input_tokens,
        cache_creation_tokens: t.cache_creation_tokens,
        cache_read_tokens: t.cache_read_tokens,
        output_tokens: t.output_tokens,
        reasoning_tokens: t.reasoning_tokens.min(t.output_tokens),
        total_tokens: t.total_tokens,
        cost_usd: round6(t.cost_usd),
        unpriced_tokens: t.unpriced_tokens.min(t.total_tokens),
    }
}

fn splits(map: BTreeMap<String, Totals>) -> Vec<Split> {
    let mut v: Vec<(String, Totals)> = map.into_iter().collect();
    if v.len() > share::MAX_SPLITS {
        // The largest first; the rest merged into one "other" row so the day still adds up.
        v.sort_by(|a, b| b.1.cost_usd.total_cmp(&a.1.cost_usd).then(b.1.total_tokens.cmp(&a.1.total_tokens)));
        let rest = v.split_off(share::MAX_SPLITS - 1);
        let mut other = Totals::default();
        for (_, t) in &rest {
            other.add(t);
        }
        if let Some(i) = v.iter().position(|(n, _)| n == "other") {
            v[i].1.add(&other);
        } else {
            v.push(("other".into(), other));
        }
        v.sort_by(|a, b| a.0.cmp(&b.0));
    }
    v.into_iter().map(|(name, t)| Split { name, tokens: wire(&t) }).collect()
}

fn outcome_of(o: Option<tags::Outcome>) -> share::Outcome {
    match o {
        Some(tags::Outcome::Shipped) => share::Outcome::Shipped,
        Some(tags::Outcome::Fixed) => share::Outcome::Fixed,
        Some(tags::Outcome::Explored) => share::Outcome::Explored,
        Some(tags::Outcome::Abandoned) => share::Outcome::Abandoned,
        Some(tags::Outcome::Wasted) => share::Outcome::Wasted,
        None => share::Outcome::Untagged,
    }
}

#[derive(Default)]
struct Day {
    totals: Totals,
    tools: BTreeMap<String, Totals>,
    models: BTreeMap<String, Totals>,
    /// outcome → (sessions started, cost, commit hashes)
    outcomes: BTreeMap<share::Outcome, (u64, f64, BTreeSet<String>)>,
}

/// The days in `scope` with usage, oldest first, as the board receives them.
pub fn days(store: &Store, pricer: &Pricer, scope: &Scope) -> Result<Vec<DayUpload>, StoreError> {
    let tz = scope.tz;
    let start_ms = local_midnight_ms(tz, date_of(scope.first_day - 1));
    let mut by_day: BTreeMap<i64, Day> = BTreeMap::new();
    let mut bucket_day: HashMap<i64, i64> = HashMap::new();
    let mut day_of_bucket =
        |b: i64| -> i64 { *bucket_day.entry(b).or_insert_with(|| day_number(local_date(tz, b * BUCKET_MS))) };
    let extras = if scope.fields.outcomes { Some(tags::session_extras(store)?) } else { None };

    // Costs: per session, model and 15-minute bucket (a bucket lies inside one local day in
    // every zone, whose offsets are multiples of 15 minutes).
    let sql = format!(
        "SELECT source, session_id, project, model,
            input + cw5m + cw1h + cache_read > {threshold} AS long, logged_cost IS NOT NULL AS logged,
            ts / {BUCKET_MS} AS bucket,
            sum(input), sum(cw5m), sum(cw1h), sum(cache_read), sum(output), sum(reasoning),
            coalesce(sum(logged_cost), 0)
         FROM events WHERE ts >= ?1
         GROUP BY source, session_id, project, model, long, logged, bucket
         ORDER BY source, session_id, project, model, long, logged, bucket",
        threshold = tokenworth_pricing::LONG_CONTEXT_THRESHOLD
    );
    let run = |by_day: &mut BTreeMap<i64, Day>,
               day_of_bucket: &mut dyn FnMut(i64) -> i64|
     -> rusqlite::Result<()> {
        let mut stmt = store.conn().prepare(&sql)?;
        let mut q = stmt.query([start_ms])?;
        while let Some(r) = q.next()? {
            let project: String = r.get(2)?;
            if excluded(&project, scope.excluded_projects) {
                continue;
            }
            let bucket: i64 = r.get(6)?;
            let day = day_of_bucket(bucket);
            if day < scope.first_day || day > scope.last_day {
                continue;
            }
            let t = tokenworth_core::store::tokens_at(r, 7)?;
            let source: String = r.get(0)?;
            let session: String = r.get(1)?;
            let model: String = r.get(3)?;
            let long: bool = r.get(4)?;
            let logged: bool = r.get(5)?;
            let logged_cost: f64 = r.get(13)?;
            let totals = pricer.totals(&model, &t, long, logged.then_some(logged_cost));
            let d = by_day.entry(day).or_default();
            d.totals.add(&totals);
            if scope.fields.tools {
                d.tools.entry(wire_name(&source)).or_default().add(&totals);
            }
            if scope.fields.models {
                d.models.entry(wire_name(&model)).or_default().add(&totals);
            }
            if let Some(x) = &extras {
                let key = SessionKey { source, session_id: session };
                let o = outcome_of(x.tags.get(&key).map(|t| t.outcome));
                d.outcomes.entry(o).or_default().1 += totals.cost_usd;
            }
        }
        Ok(())
    };
    run(&mut by_day, &mut day_of_bucket).map_err(|e| store.err(e))?;

    // Sessions (and their commits) on the local day they started.
    if let Some(x) = &extras {
        let mut starts: HashMap<SessionKey, i64> = HashMap::new();
        let collect = || -> rusqlite::Result<Vec<(String, String, String, i64)>> {
            let mut stmt = store
                .conn()
                .prepare("SELECT source, session_id, project, min(ts) FROM events GROUP BY 1, 2, 3")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect()
        };
        for (source, session_id, project, ts) in collect().map_err(|e| store.err(e))? {
            if excluded(&project, scope.excluded_projects) {
                continue;
            }
            let e = starts.entry(SessionKey { source, session_id }).or_insert(ts);
            *e = (*e).min(ts);
        }
        for (key, ts) in starts {
            let day = day_number(local_date(tz, ts));
            let Some(d) = by_day.get_mut(&day) else { continue };
            let o = outcome_of(x.tags.get(&key).map(|t| t.outcome));
            let entry = d.outcomes.entry(o).or_default();
            entry.0 += 1;
            if let Some(commits) = x.commits.get(&key) {
                entry.2.extend(commits.iter().map(|c| c.hash.clone()));
            }
        }
    }

    let mut out = Vec::new();
    for (day, d) in by_day {
        if d.totals.total_tokens == 0 {
            continue;
        }
        let outcomes = extras.as_ref().map(|_| {
            share::Outcome::ALL
                .into_iter()
                .filter_map(|o| {
                    let (sessions, cost, commits) = d.outcomes.get(&o)?;
                    Some(OutcomeDay {
                        outcome: o,
                        sessions: *sessions,
                        cost_usd: round6(*cost),
                        commits: scope.fields.commits.then_some(commits.len() as u64),
                    })
                })
                .collect()
        });
        out.push(DayUpload {
            day: share::format_day(day),
            totals: wire(&d.totals),
            tools: scope.fields.tools.then(|| splits(d.tools)),
            models: scope.fields.models.then(|| splits(d.models)),
            outcomes,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_match_as_the_project_filter_does() {
        assert!(project_matches("/home/a/acme", "/home/a/acme"));
        assert!(project_matches("/home/a/acme/web", "/home/a/acme"));
        assert!(project_matches("/home/a/acme/web", "/home/a/acme/"));
        assert!(project_matches("/home/a/acme", "acme"));
        assert!(!project_matches("/home/a/acme2", "/home/a/acme"));
        assert!(!project_matches("/home/a/acme2", "acme"));
        assert!(!project_matches("/home/a/acme", " "));
    }

    #[test]
    fn names_fit_the_boards_character_set() {
        assert_eq!(wire_name("claude-sonnet-4-5"), "claude-sonnet-4-5");
        assert_eq!(wire_name("custom:m[Provider]-0"), "custom:m_Provider_-0");
        assert_eq!(wire_name(""), "unknown");
        assert_eq!(wire_name(&"x".repeat(300)).len(), 100);
        for n in ["custom:m[Provider]-0", "a b", "é"] {
            assert!(share::check_name("model", &wire_name(n)).is_ok(), "{n}");
        }
    }

    #[test]
    fn many_splits_are_capped_and_still_add_up() {
        let mut m = BTreeMap::new();
        let mut sum = Totals::default();
        for i in 0..100 {
            let t =
                Totals { input_tokens: i, total_tokens: i, cost_usd: i as f64 / 10.0, ..Totals::default() };
            sum.add(&t);
            m.insert(format!("m{i}"), t);
        }
        let s = splits(m);
        assert_eq!(s.len(), share::MAX_SPLITS);
        assert_eq!(s.iter().map(|x| x.tokens.total_tokens).sum::<u64>(), sum.total_tokens);
        assert!(s.iter().any(|x| x.name == "other"));
    }
}
