//! Short human forms of token counts and dollar amounts, for tables, the tray and menus. JSON
//! always carries exact numbers.

/// 1234 → "1,234"; 12_345_678 → "12.3M" (tables only; JSON carries exact numbers).
pub fn tokens(n: u64) -> String {
    if n < 100_000 {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if n < 1_000_000 {
        format!("{:.0}K", n as f64 / 1e3)
    } else if n < 1_000_000_000 {
        format!("{:.1}M", n as f64 / 1e6)
    } else {
        format!("{:.2}B", n as f64 / 1e9)
    }
}

pub fn usd(c: f64) -> String {
    if c >= 10_000.0 {
        format!("${:.0}", c)
    } else {
        format!("${:.2}", c)
    }
}

/// Milliseconds since the epoch as an ISO 8601 UTC time with milliseconds
/// (`2026-03-02T10:00:00.000Z`), the form of every time in the JSON contracts.
pub fn iso_utc(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_forms() {
        assert_eq!(super::tokens(1234), "1,234");
        assert_eq!(super::tokens(345_678), "346K");
        assert_eq!(super::tokens(12_345_678), "12.3M");
        assert_eq!(super::tokens(2_500_000_000), "2.50B");
        assert_eq!(super::usd(1.2345), "$1.23");
        assert_eq!(super::usd(12_345.6), "$12346");
    }
}
