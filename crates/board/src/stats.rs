//! The team page's figures, computed from the rows members sent, with the privacy rules:
//!
//! - a figure is computed only from the members who share the fields it needs (outcome figures
//!   from members who share outcomes, tool slices from members who share tools, …);
//! - a figure with fewer than k contributors is hidden;
//! - among the published spend aggregates (the period's total, each week, tool and model),
//!   considered largest first, one whose members are a subset or a superset of a published
//!   one's, differing by 1 to k-1 members, is hidden: the difference would single them out.
//!
//! Spend is shown as quartiles and a fixed log-scale histogram, never as a ranked list (and
//! never a minimum or maximum, which are one person's figures).

use std::collections::BTreeMap;

use tokenworth_share::{
    format_day, usd, Bin, BoardResponse, Hidden, MyFigures, Outcome, OutcomeFigures, Slice, SpendFigures,
};

/// One member-device-day, the member given by index.
#[derive(Debug, Clone)]
pub struct DayRow {
    pub member: u32,
    pub day: i64,
    pub cost: i64,
    pub tokens: i64,
    pub outcomes: bool,
}

/// A member's total for one tool or model over the period.
#[derive(Debug, Clone)]
pub struct SplitRow {
    pub member: u32,
    pub name: String,
    pub cost: i64,
    pub tokens: i64,
}

/// A member's total for one outcome over the period.
#[derive(Debug, Clone)]
pub struct OutcomeRow {
    pub member: u32,
    pub outcome: Outcome,
    pub sessions: i64,
    pub cost: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Input {
    pub days: Vec<DayRow>,
    pub tools: Vec<SplitRow>,
    pub models: Vec<SplitRow>,
    pub outcomes: Vec<OutcomeRow>,
}

/// The period a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Week,
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
        }
    }
    /// First and last day of the period holding `day`.
    pub fn bounds(self, day: i64) -> (i64, i64) {
        match self {
            Period::Week => {
                let start = week_start(day);
                (start, start + 6)
            }
            Period::Month => {
                let (y, m, _) = tokenworth_share::civil_from_days(day);
                let first = tokenworth_share::days_from_civil(y, m, 1);
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                (first, tokenworth_share::days_from_civil(ny, nm, 1) - 1)
            }
        }
    }
}

/// The Monday of the week holding `day` (1970-01-01 was a Thursday).
pub fn week_start(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

/// Upper bounds of the histogram's bins in dollars; the last bin is open.
pub const BIN_EDGES: [f64; 9] = [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0];

struct Agg {
    kind: &'static str,
    name: String,
    members: Vec<u32>,
    cost: i64,
    tokens: i64,
}

impl Agg {
    fn figure(&self) -> String {
        format!("{}:{}", self.kind, self.name)
    }
}

fn aggregate(kind: &'static str, rows: impl Iterator<Item = (String, u32, i64, i64)>) -> Vec<Agg> {
    let mut by: BTreeMap<String, Agg> = BTreeMap::new();
    for (name, member, cost, tokens) in rows {
        let a = by.entry(name.clone()).or_insert_with(|| Agg {
            kind,
            name,
            members: Vec::new(),
            cost: 0,
            tokens: 0,
        });
        a.members.push(member);
        a.cost += cost;
        a.tokens += tokens;
    }
    by.into_values()
        .map(|mut a| {
            a.members.sort_unstable();
            a.members.dedup();
            a
        })
        .collect()
}

/// Whether one sorted set holds the other and they differ by 1 to k-1 members.
fn isolates(a: &[u32], b: &[u32], k: usize) -> bool {
    let (small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let diff = big.len() - small.len();
    if diff == 0 || diff >= k {
        return false;
    }
    let mut j = 0;
    for x in small {
        while j < big.len() && big[j] < *x {
            j += 1;
        }
        if j == big.len() || big[j] != *x {
            return false;
        }
    }
    true
}

/// The 25th, 50th and 75th percentiles (linear between ranks) of sorted values.
fn quartiles(sorted: &[i64]) -> [f64; 3] {
    let q = |p: f64| {
        let pos = p * (sorted.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = pos.ceil() as usize;
        let v = sorted[lo] as f64 + (sorted[hi] - sorted[lo]) as f64 * (pos - lo as f64);
        (v / 1e4).round() / 100.0
    };
    [q(0.25), q(0.5), q(0.75)]
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn dollars(micros: i64) -> f64 {
    (usd(micros) * 1e6).round() / 1e6
}

/// The page's figures for a team and a period. `me` is the viewing member's index, if any.
pub fn board(
    team: &str,
    period: Period,
    from: i64,
    to: i64,
    k: i64,
    input: &Input,
    me: Option<u32>,
) -> BoardResponse {
    let k_us = k.max(1) as usize;
    let mut hidden = Vec::new();

    // Per member over the period.
    let mut cost: BTreeMap<u32, i64> = BTreeMap::new();
    let mut tokens: BTreeMap<u32, i64> = BTreeMap::new();
    let mut shares_outcomes: BTreeMap<u32, bool> = BTreeMap::new();
    for d in &input.days {
        *cost.entry(d.member).or_default() += d.cost;
        *tokens.entry(d.member).or_default() += d.tokens;
        let s = shares_outcomes.entry(d.member).or_default();
        *s |= d.outcomes;
    }

    // Outcomes: only from members who share them.
    let sharers: Vec<u32> = shares_outcomes.iter().filter(|(_, s)| **s).map(|(m, _)| *m).collect();
    let mut outcomes = OutcomeFigures::default();
    let per = |o: Outcome, pick: fn(&OutcomeRow) -> i64, who: Option<u32>| -> i64 {
        input
            .outcomes
            .iter()
            .filter(|r| r.outcome == o && who.is_none_or(|w| r.member == w))
            .filter(|r| shares_outcomes.get(&r.member).copied().unwrap_or(false))
            .map(pick)
            .sum()
    };
    if sharers.len() >= k_us {
        let spend: i64 = sharers.iter().map(|m| cost[m]).sum();
        let shipped = per(Outcome::Shipped, |r| r.sessions, None);
        let shipped_cost = per(Outcome::Shipped, |r| r.cost, None);
        outcomes.contributors = Some(sharers.len() as u64);
        outcomes.shipped_sessions = Some(shipped as u64);
        outcomes.fixed_sessions = Some(per(Outcome::Fixed, |r| r.sessions, None) as u64);
        if shipped > 0 {
            outcomes.cost_per_shipped_usd = Some(dollars(shipped_cost / shipped));
        }
        if spend > 0 {
            let share = |o| round4(per(o, |r| r.cost, None) as f64 / spend as f64);
            outcomes.share_abandoned = Some(share(Outcome::Abandoned));
            outcomes.share_wasted = Some(share(Outcome::Wasted));
            outcomes.share_untagged = Some(share(Outcome::Untagged));
        }
    } else {
        hidden.push(Hidden { figure: "outcomes".into(), reason: "fewer_than_k".into() });
    }

    // Spend as a distribution.
    let mut spend = SpendFigures::default();
    if cost.len() >= k_us {
        let mut v: Vec<i64> = cost.values().copied().collect();
        v.sort_unstable();
        spend.contributors = Some(v.len() as u64);
        spend.quartiles_usd = Some(quartiles(&v));
        let mut bins: Vec<Bin> = Vec::with_capacity(BIN_EDGES.len() + 1);
        let mut lo = 0.0;
        for hi in BIN_EDGES.iter().copied().map(Some).chain([None]) {
            let members = v
                .iter()
                .filter(|c| {
                    let d = usd(**c);
                    d >= lo && hi.is_none_or(|h| d < h)
                })
                .count() as u64;
            bins.push(Bin { from_usd: lo, to_usd: hi, members });
            lo = hi.unwrap_or(lo);
        }
        spend.histogram = Some(bins);
    } else {
        hidden.push(Hidden { figure: "spend".into(), reason: "fewer_than_k".into() });
    }

    // Slices, largest first, against the published ones.
    let total = Agg {
        kind: "total",
        name: team.to_string(),
        members: cost.keys().copied().collect(),
        cost: cost.values().sum(),
        tokens: tokens.values().sum(),
    };
    let mut candidates: Vec<Agg> = Vec::new();
    if period == Period::Month {
        candidates.extend(aggregate(
            "week",
            input.days.iter().map(|d| (format_day(week_start(d.day).max(from)), d.member, d.cost, d.tokens)),
        ));
    }
    candidates
        .extend(aggregate("tool", input.tools.iter().map(|r| (r.name.clone(), r.member, r.cost, r.tokens))));
    candidates.extend(aggregate(
        "model",
        input.models.iter().map(|r| (r.name.clone(), r.member, r.cost, r.tokens)),
    ));
    let order = |kind: &str| ["week", "tool", "model"].iter().position(|k| *k == kind).unwrap_or(3);
    candidates.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(order(a.kind).cmp(&order(b.kind)))
            .then(a.name.cmp(&b.name))
    });
    let mut published: Vec<&Agg> = Vec::new();
    if total.members.len() >= k_us {
        published.push(&total);
    }
    let mut slices = Vec::new();
    for c in &candidates {
        if c.members.len() < k_us {
            hidden.push(Hidden { figure: c.figure(), reason: "fewer_than_k".into() });
        } else if published.iter().any(|p| isolates(&p.members, &c.members, k_us)) {
            hidden.push(Hidden { figure: c.figure(), reason: "difference_isolates".into() });
        } else {
            published.push(c);
            slices.push(Slice {
                kind: c.kind.into(),
                name: c.name.clone(),
                contributors: c.members.len() as u64,
                cost_usd: dollars(c.cost),
                total_tokens: c.tokens as u64,
            });
        }
    }
    slices.sort_by(|a, b| order(&a.kind).cmp(&order(&b.kind)).then(a.name.cmp(&b.name)));

    let me = me.map(|m| {
        let mine = |o| per(o, |r| r.sessions, Some(m));
        let shares = shares_outcomes.get(&m).copied().unwrap_or(false);
        let shipped = mine(Outcome::Shipped);
        MyFigures {
            cost_usd: dollars(cost.get(&m).copied().unwrap_or(0)),
            total_tokens: tokens.get(&m).copied().unwrap_or(0) as u64,
            shipped_sessions: shares.then_some(shipped as u64),
            fixed_sessions: shares.then(|| mine(Outcome::Fixed) as u64),
            cost_per_shipped_usd: (shares && shipped > 0)
                .then(|| dollars(per(Outcome::Shipped, |r| r.cost, Some(m)) / shipped)),
        }
    });

    BoardResponse {
        team: team.to_string(),
        period: period.as_str().into(),
        from: format_day(from),
        to: format_day(to),
        min_group: k as u64,
        outcomes,
        spend,
        slices,
        hidden,
        me,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(member: u32, d: i64, cost: i64, outcomes: bool) -> DayRow {
        DayRow { member, day: d, cost, tokens: cost / 10, outcomes }
    }

    fn tool(member: u32, name: &str, cost: i64) -> SplitRow {
        SplitRow { member, name: name.into(), cost, tokens: cost / 10 }
    }

    #[test]
    fn weeks_and_months() {
        let d = tokenworth_share::parse_day("2026-12-02").unwrap();
        assert_eq!(format_day(week_start(d)), "2026-11-30");
        let (a, b) = Period::Month.bounds(d);
        assert_eq!((format_day(a), format_day(b)), ("2026-12-01".into(), "2026-12-31".into()));
        let (a, b) = Period::Week.bounds(d);
        assert_eq!((format_day(a), format_day(b)), ("2026-11-30".into(), "2026-12-06".into()));
    }

    #[test]
    fn subsets_differing_by_fewer_than_k_isolate() {
        assert!(isolates(&[1, 2, 3, 4, 5], &[1, 2, 3, 4, 5, 6], 5));
        assert!(!isolates(&[1, 2, 3, 4, 5], &[1, 2, 3, 4, 5], 5));
        assert!(!isolates(&[1, 2, 3, 4, 7], &[1, 2, 3, 4, 5, 6], 5));
        assert!(!isolates(&[1], &[1, 2, 3, 4, 5, 6], 5));
    }

    #[test]
    fn k_rule_hides_below_k_and_shows_at_k() {
        let d = 20_000;
        let mut input = Input::default();
        for m in 0..4 {
            input.days.push(day(m, d, 1_000_000 * i64::from(m + 1), true));
        }
        let b = board("t", Period::Week, d - 3, d + 3, 5, &input, None);
        assert!(b.spend.quartiles_usd.is_none() && b.outcomes.shipped_sessions.is_none());
        assert!(b.hidden.iter().any(|h| h.figure == "spend"));
        input.days.push(day(4, d, 5_000_000, true));
        let b = board("t", Period::Week, d - 3, d + 3, 5, &input, None);
        assert_eq!(b.spend.quartiles_usd, Some([2.0, 3.0, 4.0]));
        assert_eq!(b.spend.contributors, Some(5));
        assert_eq!(b.outcomes.contributors, Some(5));
    }

    #[test]
    fn a_slice_one_member_short_of_the_total_is_hidden() {
        let d = 20_000;
        let mut input = Input::default();
        for m in 0..6 {
            input.days.push(day(m, d, 1_000_000, m != 5));
            if m != 5 {
                input.tools.push(tool(m, "claude-code", 1_000_000));
            }
        }
        let b = board("t", Period::Week, d - 3, d + 3, 5, &input, Some(0));
        assert!(b.slices.iter().all(|s| s.name != "claude-code"));
        assert!(b.hidden.iter().any(|h| h.figure == "tool:claude-code" && h.reason == "difference_isolates"));
        // The member who shares no outcomes is absent from outcome figures, present in spend.
        assert_eq!(b.outcomes.contributors, Some(5));
        assert_eq!(b.spend.contributors, Some(6));
        assert_eq!(b.me.as_ref().map(|m| m.cost_usd), Some(1.0));
    }
}
