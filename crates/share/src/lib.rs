//! The shapes the Tokenworth team board accepts and answers, shared by the board server
//! (`tokenworth-board`) and the client that sends to it.
//!
//! Every request type refuses unknown fields, and [`SendRequest::validate`] holds the rules a
//! day must meet before anything is stored: counts are unsigned (a negative number does not
//! parse), token totals add up, the per-tool and per-model splits add up to the day, outcome costs
//! add up to the day's cost, and names use a small character set. There is deliberately no field
//! for prompts, paths, project or session names, notes, links, branches or commits.
//!
//! Costs travel as US dollars (`f64`) and are stored by the board as whole micro-dollars, so that
//! SQLite and PostgreSQL sum them exactly and identically.

use serde::{Deserialize, Serialize};

/// The most days one request may carry.
pub const MAX_DAYS_PER_REQUEST: usize = 400;
/// The most tools or models one day may list.
pub const MAX_SPLITS: usize = 64;
/// A cap on any one count, far above any real day, so sums never overflow.
pub const MAX_COUNT: u64 = 1_000_000_000_000_000;
/// A cap on one day's cost in dollars.
pub const MAX_COST_USD: f64 = 1_000_000_000.0;

/// The token and cost fields of the daily contract (see docs/bridge.md, `T`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    pub input_tokens: u64,
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    /// Output includes reasoning.
    pub output_tokens: u64,
    /// Informational; part of `output_tokens`.
    pub reasoning_tokens: u64,
    pub total_tokens: u64,
    pub cost_usd: f64,
    #[serde(default)]
    pub unpriced_tokens: u64,
}

/// One tool's or one model's share of a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    pub name: String,
    pub tokens: Tokens,
}

/// The outcome a session was tagged with, or `untagged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Shipped,
    Fixed,
    Explored,
    Abandoned,
    Wasted,
    Untagged,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Shipped,
        Outcome::Fixed,
        Outcome::Explored,
        Outcome::Abandoned,
        Outcome::Wasted,
        Outcome::Untagged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Shipped => "shipped",
            Outcome::Fixed => "fixed",
            Outcome::Explored => "explored",
            Outcome::Abandoned => "abandoned",
            Outcome::Wasted => "wasted",
            Outcome::Untagged => "untagged",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// Per outcome, for one local day: the sessions that started that day, the cost spent that day,
/// and the commits linked to those sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeDay {
    pub outcome: Outcome,
    pub sessions: u64,
    pub cost_usd: f64,
    /// Present only when the member shares commit counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commits: Option<u64>,
}

/// One local day of one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayUpload {
    /// `YYYY-MM-DD`, the member's local day.
    pub day: String,
    pub totals: Tokens,
    /// Present only when the member shares the split per tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Split>>,
    /// Present only when the member shares the split per model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<Split>>,
    /// Present only when the member shares outcomes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<OutcomeDay>>,
}

/// `PUT /api/v1/days`: each day replaces what this device sent for it before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    pub days: Vec<DayUpload>,
}

/// `PUT /api/v1/days` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendResponse {
    /// Days stored for the first time.
    pub stored: u64,
    /// Days that replaced an earlier send of the same device.
    pub replaced: u64,
}

/// `POST /api/v1/join`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub invite: String,
    /// How the member appears to the admin (letters, digits, space, `.`, `_`, `-`).
    pub alias: String,
}

/// `POST /api/v1/devices/join`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceJoinRequest {
    pub code: String,
}

/// The answer to a join or a device join. The token is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinResponse {
    pub team: String,
    pub member_id: String,
    pub device_id: String,
    pub token: String,
}

/// `POST /api/v1/devices/code` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCodeResponse {
    pub code: String,
    pub expires_in_seconds: u64,
}

/// `DELETE /api/v1/data` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawResponse {
    /// Member-device-days removed.
    pub deleted_days: u64,
}

/// `POST /api/v1/signin` answer: a single-use link, valid for `expires_in_seconds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigninResponse {
    pub link: String,
    pub expires_in_seconds: u64,
}

/// `GET /api/v1/me` answer: who the token or page session speaks for, and the team's rules
/// (the client sends only days inside `window_days`). The admin's session has no member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeResponse {
    pub team: String,
    pub member_id: Option<String>,
    pub device_id: Option<String>,
    pub alias: Option<String>,
    pub admin: bool,
    pub min_group: u64,
    pub window_days: u64,
}

/// Every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorResponse {
    pub error: String,
}

/// `GET /api/v1/teams/{team}/board` answer. A hidden figure is absent (`None` is not
/// serialised) and named in `hidden` with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardResponse {
    pub team: String,
    pub period: String,
    /// First day of the period.
    pub from: String,
    /// Last day of the period.
    pub to: String,
    pub min_group: u64,
    pub outcomes: OutcomeFigures,
    pub spend: SpendFigures,
    pub slices: Vec<Slice>,
    pub hidden: Vec<Hidden>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<MyFigures>,
}

/// The outcome figures, computed only from members who share outcomes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFigures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributors: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_sessions: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_sessions: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_shipped_usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_abandoned: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_wasted: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_untagged: Option<f64>,
}

/// Spend over the period per member, as a distribution.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpendFigures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributors: Option<u64>,
    /// 25th, 50th and 75th percentile of the members' cost in dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quartiles_usd: Option<[f64; 3]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Vec<Bin>>,
}

/// Members whose period cost falls in `[from_usd, to_usd)`; `to_usd` is absent on the last bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bin {
    pub from_usd: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_usd: Option<f64>,
    pub members: u64,
}

/// The team's spend on one tool or one model over the period (shown only with k members
/// and when no published figure differs from it by fewer than k members).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slice {
    /// `tool`, `model` or `week`.
    pub kind: String,
    pub name: String,
    pub contributors: u64,
    pub cost_usd: f64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hidden {
    pub figure: String,
    /// `fewer_than_k` or `difference_isolates`.
    pub reason: String,
}

/// The signed-in member's own figures for the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MyFigures {
    pub cost_usd: f64,
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_sessions: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_sessions: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_shipped_usd: Option<f64>,
}

/// One entry of the admin's review list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewItem {
    pub member_id: String,
    pub alias: String,
    pub device_id: String,
    pub day: String,
    pub reasons: Vec<String>,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

fn bad(msg: impl Into<String>) -> Invalid {
    Invalid(msg.into())
}

/// A calendar day parsed from `YYYY-MM-DD`, as days since 1970-01-01.
pub fn parse_day(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if d > dim[(m - 1) as usize] {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The `YYYY-MM-DD` form of days since 1970-01-01.
pub fn format_day(z: i64) -> String {
    let (y, m, d) = civil_from_days(z);
    format!("{y:04}-{m:02}-{d:02}")
}

/// (year, month, day) of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A tool or model name: 1 to 100 characters of letters, digits and `. _ - : / @ +`.
pub fn check_name(kind: &str, s: &str) -> Result<(), Invalid> {
    let ok = !s.is_empty()
        && s.chars().count() <= 100
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-:/@+".contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad(format!("{kind} name must be 1-100 characters of letters, digits and . _ - : / @ +")))
    }
}

/// A member alias: 1 to 40 characters of letters, digits, space, `.`, `_` and `-`.
pub fn check_alias(s: &str) -> Result<(), Invalid> {
    let ok = !s.trim().is_empty()
        && s.chars().count() <= 40
        && s.chars().all(|c| c.is_alphanumeric() || " ._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad("alias must be 1-40 characters of letters, digits, space, . _ -"))
    }
}

/// A team name: 1 to 40 characters of ASCII letters, digits, `_` and `-`.
pub fn check_team_name(s: &str) -> Result<(), Invalid> {
    let ok = !s.is_empty()
        && s.len() <= 40
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(bad("team name must be 1-40 characters of ASCII letters, digits, _ and -"))
    }
}

fn check_cost(what: &str, c: f64) -> Result<(), Invalid> {
    if !c.is_finite() || !(0.0..=MAX_COST_USD).contains(&c) {
        return Err(bad(format!("{what}: cost_usd must be between 0 and {MAX_COST_USD}")));
    }
    Ok(())
}

fn cost_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.01_f64.max(1e-6 * a.abs().max(b.abs()))
}

impl Tokens {
    /// The counts are in range, the total is input + cache creation + cache read + output,
    /// reasoning is part of output, the cost is a finite non-negative number.
    pub fn check(&self, what: &str) -> Result<(), Invalid> {
        for (n, v) in [
            ("input_tokens", self.input_tokens),
            ("cache_creation_tokens", self.cache_creation_tokens),
            ("cache_read_tokens", self.cache_read_tokens),
            ("output_tokens", self.output_tokens),
            ("reasoning_tokens", self.reasoning_tokens),
            ("total_tokens", self.total_tokens),
            ("unpriced_tokens", self.unpriced_tokens),
        ] {
            if v > MAX_COUNT {
                return Err(bad(format!("{what}: {n} is above {MAX_COUNT}")));
            }
        }
        let sum =
            self.input_tokens + self.cache_creation_tokens + self.cache_read_tokens + self.output_tokens;
        if sum != self.total_tokens {
            return Err(bad(format!(
                "{what}: total_tokens {} is not input + cache_creation + cache_read + output = {sum}",
                self.total_tokens
            )));
        }
        if self.reasoning_tokens > self.output_tokens {
            return Err(bad(format!("{what}: reasoning_tokens exceed output_tokens")));
        }
        if self.unpriced_tokens > self.total_tokens {
            return Err(bad(format!("{what}: unpriced_tokens exceed total_tokens")));
        }
        check_cost(what, self.cost_usd)
    }

    fn add(&mut self, o: &Tokens) {
        self.input_tokens += o.input_tokens;
        self.cache_creation_tokens += o.cache_creation_tokens;
        self.cache_read_tokens += o.cache_read_tokens;
        self.output_tokens += o.output_tokens;
        self.reasoning_tokens += o.reasoning_tokens;
        self.total_tokens += o.total_tokens;
        self.unpriced_tokens += o.unpriced_tokens;
        self.cost_usd += o.cost_usd;
    }
}

fn check_splits(day: &str, kind: &str, splits: &[Split], totals: &Tokens) -> Result<(), Invalid> {
    if splits.len() > MAX_SPLITS {
        return Err(bad(format!("{day}: more than {MAX_SPLITS} {kind}s")));
    }
    let mut sum = Tokens::default();
    let mut names = std::collections::HashSet::new();
    for s in splits {
        check_name(kind, &s.name).map_err(|e| bad(format!("{day}: {e}")))?;
        if !names.insert(s.name.as_str()) {
            return Err(bad(format!("{day}: {kind} {} listed twice", s.name)));
        }
        s.tokens.check(&format!("{day} {kind} {}", s.name))?;
        sum.add(&s.tokens);
    }
    let same = sum.input_tokens == totals.input_tokens
        && sum.cache_creation_tokens == totals.cache_creation_tokens
        && sum.cache_read_tokens == totals.cache_read_tokens
        && sum.output_tokens == totals.output_tokens
        && sum.reasoning_tokens == totals.reasoning_tokens
        && sum.total_tokens == totals.total_tokens
        && sum.unpriced_tokens == totals.unpriced_tokens
        && cost_close(sum.cost_usd, totals.cost_usd);
    if !same {
        return Err(bad(format!("{day}: the {kind}s do not add up to the day's totals")));
    }
    Ok(())
}

impl DayUpload {
    /// Checks one day on its own; `earliest` and `latest` are the accepted day numbers
    /// (see [`parse_day`]).
    pub fn validate(&self, earliest: i64, latest: i64) -> Result<i64, Invalid> {
        let day = parse_day(&self.day)
            .ok_or_else(|| bad(format!("day {:?} is not a YYYY-MM-DD date", self.day)))?;
        if day > latest {
            return Err(bad(format!("{}: a day in the future", self.day)));
        }
        if day < earliest {
            return Err(bad(format!("{}: older than the team's window", self.day)));
        }
        self.totals.check(&self.day)?;
        if let Some(t) = &self.tools {
            check_splits(&self.day, "tool", t, &self.totals)?;
        }
        if let Some(m) = &self.models {
            check_splits(&self.day, "model", m, &self.totals)?;
        }
        if let Some(outs) = &self.outcomes {
            let mut seen = std::collections::HashSet::new();
            let mut cost = 0.0;
            for o in outs {
                if !seen.insert(o.outcome) {
                    return Err(bad(format!("{}: outcome {} listed twice", self.day, o.outcome.as_str())));
                }
                if o.sessions > MAX_COUNT || o.commits.unwrap_or(0) > MAX_COUNT {
                    return Err(bad(format!("{}: outcome count out of range", self.day)));
                }
                check_cost(&format!("{} outcome {}", self.day, o.outcome.as_str()), o.cost_usd)?;
                cost += o.cost_usd;
            }
            if !cost_close(cost, self.totals.cost_usd) {
                return Err(bad(format!(
                    "{}: outcome costs add up to {cost:.2}, not the day's {:.2}",
                    self.day, self.totals.cost_usd
                )));
            }
        }
        Ok(day)
    }
}

impl SendRequest {
    /// Checks every day; returns their day numbers in order.
    pub fn validate(&self, earliest: i64, latest: i64) -> Result<Vec<i64>, Invalid> {
        if self.days.is_empty() {
            return Err(bad("days is empty"));
        }
        if self.days.len() > MAX_DAYS_PER_REQUEST {
            return Err(bad(format!("more than {MAX_DAYS_PER_REQUEST} days in one request")));
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(self.days.len());
        for d in &self.days {
            let n = d.validate(earliest, latest)?;
            if !seen.insert(n) {
                return Err(bad(format!("{} listed twice", d.day)));
            }
            out.push(n);
        }
        Ok(out)
    }
}

/// A board address the client may send to: `https://…`, or `http://` only on loopback
/// (`localhost`, `127.0.0.0/8`, `::1`), since anything else would carry tokens and figures in
/// the clear. Returns the address without a trailing slash.
pub fn check_board_url(url: &str) -> Result<String, Invalid> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad(format!("{url:?} is not a board address (https://host[:port])")))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return Err(bad(format!("{url:?}: give the board as https://host[:port]")));
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(url.to_string()),
        "http" => {
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host == "::1"
                || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(url.to_string())
            } else {
                Err(bad(format!(
                    "{url:?}: refusing plain http:// to a board that is not on this machine; use https://"
                )))
            }
        }
        other => Err(bad(format!("{url:?}: the scheme {other:?} is not https"))),
    }
}

/// Whole micro-dollars of a validated cost.
pub fn micros(usd: f64) -> i64 {
    (usd * 1_000_000.0).round() as i64
}

/// Dollars of micro-dollars.
pub fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(i: u64, o: u64, c: f64) -> Tokens {
        Tokens { input_tokens: i, output_tokens: o, total_tokens: i + o, cost_usd: c, ..Tokens::default() }
    }

    fn day(s: &str) -> DayUpload {
        DayUpload { day: s.into(), totals: t(10, 5, 1.0), tools: None, models: None, outcomes: None }
    }

    const LO: i64 = 0;
    const HI: i64 = 30000;

    #[test]
    fn days_round_trip() {
        for z in [0, 59, 365, 11016, 20424, 20789] {
            assert_eq!(parse_day(&format_day(z)), Some(z));
        }
        assert_eq!(parse_day("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
        for s in ["2023-02-29", "2024-13-01", "2024-1-01", "20240101xx", "2024-01-00", "２024-01-01"] {
            assert_eq!(parse_day(s), None, "{s}");
        }
    }

    #[test]
    fn unknown_fields_and_negatives_do_not_parse() {
        let base = r#"{"days":[{"day":"2026-01-01","totals":{"input_tokens":1,"cache_creation_tokens":0,"cache_read_tokens":0,"output_tokens":1,"reasoning_tokens":0,"total_tokens":2,"cost_usd":0.1}}]}"#;
        let ok: SendRequest = serde_json::from_str(base).unwrap();
        assert!(ok.validate(LO, HI).is_ok());
        for bad in [
            base.replace("\"input_tokens\":1", "\"input_tokens\":-1"),
            base.replace("\"input_tokens\":1", "\"input_tokens\":\"1\""),
            base.replace("\"input_tokens\":1", "\"input_tokens\":1.5"),
            base.replace("\"day\"", "\"prompt\":\"x\",\"day\""),
            base.replace("\"days\"", "\"project\":\"x\",\"days\""),
            base.replace("\"cost_usd\":0.1", "\"cost_usd\":0.1,\"branch\":\"main\""),
        ] {
            assert!(serde_json::from_str::<SendRequest>(&bad).is_err(), "{bad}");
        }
        let neg_cost = base.replace("0.1", "-0.1");
        let r: SendRequest = serde_json::from_str(&neg_cost).unwrap();
        assert!(r.validate(LO, HI).is_err());
    }

    #[test]
    fn sums_must_add_up() {
        let mut d = day("2026-01-01");
        d.totals.total_tokens = 16;
        assert!(d.validate(LO, HI).unwrap_err().0.contains("total_tokens"));

        let mut d = day("2026-01-01");
        d.tools = Some(vec![Split { name: "claude-code".into(), tokens: t(10, 5, 1.0) }]);
        d.models = Some(vec![
            Split { name: "m1".into(), tokens: t(4, 5, 0.5) },
            Split { name: "m2".into(), tokens: t(6, 0, 0.5) },
        ]);
        assert!(d.validate(LO, HI).is_ok());
        d.models.as_mut().unwrap()[1].tokens = t(7, 0, 0.5);
        assert!(d.validate(LO, HI).unwrap_err().0.contains("models do not add up"));

        let mut d = day("2026-01-01");
        d.outcomes = Some(vec![
            OutcomeDay { outcome: Outcome::Shipped, sessions: 1, cost_usd: 0.6, commits: Some(2) },
            OutcomeDay { outcome: Outcome::Untagged, sessions: 1, cost_usd: 0.4, commits: None },
        ]);
        assert!(d.validate(LO, HI).is_ok());
        d.outcomes.as_mut().unwrap()[1].cost_usd = 0.2;
        assert!(d.validate(LO, HI).unwrap_err().0.contains("outcome costs"));
    }

    #[test]
    fn dates_names_and_duplicates() {
        let d = day("2026-01-10");
        let n = parse_day("2026-01-10").unwrap();
        assert!(d.validate(n, n).is_ok());
        assert!(d.validate(LO, n - 1).unwrap_err().0.contains("future"));
        assert!(d.validate(n + 1, HI).unwrap_err().0.contains("window"));
        let mut d = day("2026-01-01");
        d.tools = Some(vec![Split { name: "x'; DROP TABLE days;--".into(), tokens: t(10, 5, 1.0) }]);
        assert!(d.validate(LO, HI).is_err());
        assert!(check_alias("<script>").is_err());
        assert!(check_alias("Robert'); DROP TABLE").is_err());
        assert!(check_alias("Zoë Q.").is_ok());
        assert!(check_team_name("a b").is_err());
        let r = SendRequest { days: vec![day("2026-01-01"), day("2026-01-01")] };
        assert!(r.validate(LO, HI).unwrap_err().0.contains("twice"));
        assert!(SendRequest { days: vec![] }.validate(LO, HI).is_err());
    }
    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "https://board.example.org",
            "https://b.example:8443/",
            "http://127.0.0.1:8787",
            "http://localhost:8787/",
            "http://[::1]:8787",
            "http://127.9.9.9",
        ] {
            assert!(check_board_url(ok).is_ok(), "{ok}");
        }
        for no in [
            "http://board.example.org",
            "http://10.0.0.5:8787",
            "http://127.0.0.1.evil.com",
            "http://user@127.0.0.1",
            "ftp://x",
            "board.example.org",
            "http://",
            "http://[::2]:80",
        ] {
            assert!(check_board_url(no).is_err(), "{no}");
        }
        assert_eq!(check_board_url("https://b.example/").unwrap(), "https://b.example");
    }
}
