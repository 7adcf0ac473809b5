//! Model-name normalisation and boundary-aware containment matching.
//!
//! The rules (exact key → normalised key → longest boundary-aware containment with a
//! version guard) follow the behaviour of other token trackers as described in
//! `log-formats.md` §16; the code here is our own.

/// Normalised form of a model name or a price-table key.
///
/// Steps, in order: trim and lowercase; drop a `custom:` prefix; keep only what
/// follows the last `/` (provider paths such as `openrouter/anthropic/`, `vertex_ai/`);
/// drop an `@…` suffix (Vertex `@20250929`, `@default`); drop leading dot segments made
/// only of letters, `-` and `_` (Bedrock `us.anthropic.`, `global.anthropic.`); drop a
/// trailing `[…]` (`[1m]`), a Bedrock `-v1:0` revision and a trailing date
/// (`-20250929`, `-2025-08-07`); finally `.` becomes `-` (`claude-sonnet-4.5`).
pub(crate) fn normalize(name: &str) -> Normalized {
    let lower = name.trim().to_ascii_lowercase();
    let mut s: &str = &lower;
    if let Some(rest) = s.strip_prefix("custom:") {
        s = rest;
    }
    let mut slash_segments = 0u8;
    if let Some(idx) = s.rfind('/') {
        slash_segments = s[..idx].split('/').count().min(255) as u8;
        s = &s[idx + 1..];
    }
    let mut at_date = "";
    if let Some(idx) = s.find('@') {
        if idx > 0 {
            if is_compact_date(&s.as_bytes()[idx + 1..]) {
                at_date = &s[idx + 1..];
            }
            s = &s[..idx];
        }
    }
    let mut dot_segments = 0u8;
    while let Some(idx) = s.find('.') {
        let seg = &s[..idx];
        let is_prefix =
            !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_');
        if !is_prefix || idx + 1 >= s.len() {
            break;
        }
        s = &s[idx + 1..];
        dot_segments = dot_segments.saturating_add(1);
    }
    // Trailing decorations, possibly stacked: `…-20250929-v1:0`, `…-20250929[1m]`.
    loop {
        let before = s.len();
        if s.ends_with(']') {
            if let Some(idx) = s.rfind('[') {
                if idx > 0 {
                    s = &s[..idx];
                }
            }
        }
        s = strip_revision_suffix(s);
        if s.len() == before {
            break;
        }
    }
    let undated = strip_date_suffix(s);
    let date = match &s[undated.len()..] {
        "" => at_date.to_owned(),
        suffix => suffix.trim_start_matches('-').replace('-', ""),
    };
    Normalized { name: undated.replace('.', "-"), date, slash_segments, dot_segments }
}

pub(crate) struct Normalized {
    /// The normalised name without its date suffix.
    pub name: String,
    /// The removed date suffix as `YYYYMMDD`, or empty.
    pub date: String,
    /// How many `/`-separated provider path segments were removed.
    pub slash_segments: u8,
    /// How many `region.`/`vendor.` dot segments were removed.
    pub dot_segments: u8,
}

/// Strip a Bedrock-style `-v<digits>:<digits>` revision suffix, but only when what
/// remains still carries a version number (`anthropic.claude-v2:1` stays as it is, or
/// it would become a bare `claude` that matches everything).
fn strip_revision_suffix(s: &str) -> &str {
    let Some(colon) = s.rfind(':') else {
        return s;
    };
    let after = &s[colon + 1..];
    if after.is_empty() || !after.bytes().all(|b| b.is_ascii_digit()) {
        return s;
    }
    let head = &s[..colon];
    let digits = head.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return s;
    }
    let head = &head[..head.len() - digits];
    match head.strip_suffix("-v") {
        Some(base) if base.bytes().any(|b| b.is_ascii_digit()) => base,
        _ => s,
    }
}

/// Strip a trailing `-YYYYMMDD` or `-YYYY-MM-DD` date.
fn strip_date_suffix(s: &str) -> &str {
    let b = s.as_bytes();
    // -YYYYMMDD
    if b.len() > 9 && b[b.len() - 9] == b'-' && is_compact_date(&b[b.len() - 8..]) {
        return &s[..s.len() - 9];
    }
    // -YYYY-MM-DD
    if b.len() > 11 && b[b.len() - 11] == b'-' && is_dashed_date(&b[b.len() - 10..]) {
        return &s[..s.len() - 11];
    }
    s
}

fn all_digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

fn plausible_date(year: &[u8], month: &[u8], day: &[u8]) -> bool {
    let num = |x: &[u8]| x.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    all_digits(year)
        && all_digits(month)
        && all_digits(day)
        && (2000..2100).contains(&num(year))
        && (1..=12).contains(&num(month))
        && (1..=31).contains(&num(day))
}

fn is_compact_date(b: &[u8]) -> bool {
    b.len() == 8 && plausible_date(&b[..4], &b[4..6], &b[6..])
}

fn is_dashed_date(b: &[u8]) -> bool {
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && plausible_date(&b[..4], &b[5..7], &b[8..])
}

/// True when `key` occurs in `query` delimited by non-alphanumeric characters (or the
/// ends of the string) and is not followed by a numeric version continuation.
pub(crate) fn contains_at_boundary(query: &str, key: &str) -> bool {
    if key.is_empty() {
        return false;
    }
    let q = query.as_bytes();
    query.match_indices(key).any(|(pos, _)| {
        let end = pos + key.len();
        let before_ok = pos == 0 || !q[pos - 1].is_ascii_alphanumeric();
        let after_ok = end == q.len() || !q[end].is_ascii_alphanumeric();
        before_ok && after_ok && !version_continues(key, &query[end..])
    })
}

/// A key ending in a digit followed by `-<digits>` names a different version
/// (`gpt-5` vs `gpt-5-9999`, `claude-sonnet-4` vs `claude-sonnet-4-5`), unless the
/// digits are a date (`-20250929`, `-2025-08-07`).
fn version_continues(key: &str, rest: &str) -> bool {
    if !key.as_bytes().last().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let Some(r) = rest.strip_prefix('-') else {
        return false;
    };
    let rb = r.as_bytes();
    let digits = rb.iter().take_while(|b| b.is_ascii_digit()).count();
    match digits {
        0 => false,
        8 => !is_compact_date(&rb[..8]),
        4 => !(rb.len() >= 10 && is_dashed_date(&rb[..10]) && rb.get(10).is_none_or(|b| !b.is_ascii_digit())),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(s).name
    }

    #[test]
    fn normalisation() {
        let cases = [
            ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
            ("Claude-Sonnet-4.5", "claude-sonnet-4-5"),
            ("anthropic/claude-opus-4-1", "claude-opus-4-1"),
            ("openrouter/anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
            ("vertex_ai/claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
            ("vertex_ai/claude-sonnet-4-6@default", "claude-sonnet-4-6"),
            ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
            ("bedrock/us-gov-east-1/anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
            ("claude-sonnet-4-5-20250929[1m]", "claude-sonnet-4-5"),
            ("gpt-5.1-codex", "gpt-5-1-codex"),
            ("gpt-5-2025-08-07", "gpt-5"),
            ("azure/gpt-5", "gpt-5"),
            ("amazon.titan-embed-text-v2:0", "titan-embed-text-v2:0"),
            ("anthropic.claude-v2:1", "claude-v2:1"),
            ("meta.llama3-70b-instruct-v1:0", "llama3-70b-instruct"),
            ("claude-instant-v1", "claude-instant-v1"),
            ("gpt-5-9999", "gpt-5-9999"),
            ("<synthetic>", "<synthetic>"),
            ("", ""),
            ("custom:Claude-Opus-4.5-Thinking", "claude-opus-4-5-thinking"),
        ];
        for (input, want) in cases {
            assert_eq!(n(input), want, "normalize({input:?})");
        }
    }

    #[test]
    fn prefix_counts() {
        let x = normalize("us.anthropic.claude-x");
        assert_eq!((x.dot_segments, x.slash_segments), (2, 0));
        let x = normalize("bedrock/us-gov-east-1/anthropic.claude-x");
        assert_eq!((x.dot_segments, x.slash_segments), (1, 2));
        let x = normalize("claude-x");
        assert_eq!((x.dot_segments, x.slash_segments), (0, 0));
        assert_eq!(normalize("claude-x-20250929-v1:0").date, "20250929");
        assert_eq!(normalize("gpt-5-2025-08-07").date, "20250807");
        assert_eq!(normalize("vertex_ai/claude-x@20250929").date, "20250929");
        assert_eq!(normalize("vertex_ai/claude-x@default").date, "");
        assert_eq!(normalize("claude-x").date, "");
    }

    #[test]
    fn containment() {
        let yes = [
            ("claude-sonnet-4-5-thinking", "claude-sonnet-4-5"),
            ("claude-sonnet-4-5-20250929-foo", "claude-sonnet-4-5"),
            ("gpt-5-2025-08-07-x", "gpt-5"),
            ("gpt-5-codex-high", "gpt-5-codex"),
            ("gpt-5-codex-2", "gpt-5-codex"),
            ("my:gpt-5", "gpt-5"),
        ];
        for (q, k) in yes {
            assert!(contains_at_boundary(q, k), "{k:?} should match in {q:?}");
        }
        let no = [
            ("gpt-5-9999", "gpt-5"),
            ("claude-sonnet-4-5", "claude-sonnet-4"),
            ("gpt-50", "gpt-5"),
            ("chatgpt-5", "gpt-5"),
            ("gpt-5-1-codex", "gpt-5"),
            ("gpt-5-2025-08", "gpt-5"),
            ("gpt-5-20251399", "gpt-5"),
            ("anything", ""),
        ];
        for (q, k) in no {
            assert!(!contains_at_boundary(q, k), "{k:?} should not match in {q:?}");
        }
    }
}
