//! Shared helpers for reading JSON lines.

use serde::Deserialize;

/// Parses a line with serde_json, borrowing its strings; a line with invalid UTF-8 inside a
/// string is read again from `repaired`, a copy with each bad byte mapped to a character of its
/// own ([`keep_bytes`]), so one broken byte in a tool output never loses the usage on that line,
/// and two request ids that differ only in such bytes stay two keys.
pub(crate) fn parse_line<'a, T: Deserialize<'a>>(line: &'a [u8], repaired: &'a mut String) -> Option<T> {
    match serde_json::from_slice(line) {
        Ok(v) => Some(v),
        Err(_) if std::str::from_utf8(line).is_err() => {
            *repaired = keep_bytes(line);
            let repaired: &'a String = repaired;
            serde_json::from_str(repaired).ok()
        }
        Err(_) => None,
    }
}

/// `bytes` as text that keeps every byte: valid UTF-8 as it is, each byte of an invalid sequence
/// as the private-use character U+10FF00 + byte (a lossy conversion would make every bad byte
/// U+FFFD, so ids differing only there would collapse into one key).
pub fn keep_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for &b in chunk.invalid() {
            out.push(char::from_u32(0x10_FF00 + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
    }
    out
}

/// Reads `null`, a missing field or a number as a u64 (gateways write null token counts).
pub(crate) fn u64_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v: Option<serde_json::Number> = Option::deserialize(d)?;
    Ok(count_of(v))
}

fn count_of(v: Option<serde_json::Number>) -> u64 {
    v.and_then(|n| n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))).unwrap_or(0)
}

/// [`u64_or_null`] for the raw text of one JSON value; `None` where serde would fail. Plain
/// integers are read directly, everything else by serde_json.
pub(crate) fn count(raw: &[u8]) -> Option<u64> {
    // Up to 19 digits always fit a u64, which is what serde_json makes of them.
    if !raw.is_empty()
        && raw.len() <= 19
        && raw.iter().all(u8::is_ascii_digit)
        && (raw[0] != b'0' || raw.len() == 1)
    {
        return Some(raw.iter().fold(0u64, |v, &d| v * 10 + u64::from(d - b'0')));
    }
    serde_json::from_slice::<Option<serde_json::Number>>(raw).ok().map(count_of)
}

/// Reads a string field leniently: a string (borrowed when it can be) or, for `null`, a missing
/// field or any other JSON value, `None`, so an odd optional field never loses a usage line.
pub(crate) fn lenient_str<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<std::borrow::Cow<'de, str>>, D::Error> {
    use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::borrow::Cow;
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(V)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// Parses an ISO-8601 / RFC 3339 timestamp into UTC milliseconds.
pub(crate) fn parse_ts_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // Fast path: YYYY-MM-DDTHH:MM:SS[.fff…]Z, as the tools write it.
    if b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && *b.last()? == b'Z' {
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
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let mut ms = 0i64;
        if b[19] == b'.' {
            let frac = &b[20..b.len() - 1];
            let mut scale = 100;
            for &c in frac.iter().take(3) {
                if !c.is_ascii_digit() {
                    return None;
                }
                ms += i64::from(c - b'0') * scale;
                scale /= 10;
            }
        } else if b.len() != 20 {
            return chrono_parse(s);
        }
        let date = chrono::NaiveDate::from_ymd_opt(y as i32, mo as u32, d as u32)?;
        let t = chrono::NaiveTime::from_hms_opt(h as u32, mi as u32, sec as u32)?;
        return Some(date.and_time(t).and_utc().timestamp_millis() + ms);
    }
    chrono_parse(s)
}

fn chrono_parse(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp_millis())
}

/// Test helper of every source with a skim path: the skim may give up (`false`), but when it
/// answers it answers what serde answers (asserted).
#[cfg(test)]
pub(crate) fn skim_agrees<'a, T>(
    line: &'a [u8],
    repaired: &'a mut String,
    skim: fn(&'a [u8]) -> Option<T>,
) -> bool
where
    T: Deserialize<'a> + PartialEq + std::fmt::Debug,
{
    let serde: Option<T> = parse_line(line, repaired);
    match skim(line) {
        Some(fast) => {
            assert_eq!(
                Some(&fast),
                serde.as_ref(),
                "skim and serde differ on {}",
                String::from_utf8_lossy(line)
            );
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{lenient_str, parse_ts_ms};

    #[test]
    fn lenient_strings() {
        #[derive(serde::Deserialize)]
        struct L<'a> {
            #[serde(default, borrow, deserialize_with = "lenient_str")]
            b: Option<std::borrow::Cow<'a, str>>,
        }
        let get = |s: &str| serde_json::from_str::<L>(s).unwrap().b.map(|c| c.into_owned());
        assert_eq!(get(r#"{"b":"main"}"#).as_deref(), Some("main"));
        assert_eq!(get(r#"{"b":"a\"b"}"#).as_deref(), Some("a\"b"));
        for odd in [r#"{}"#, r#"{"b":null}"#, r#"{"b":7}"#, r#"{"b":[1,{"x":2}]}"#, r#"{"b":{"x":[]}}"#] {
            assert_eq!(get(odd), None, "{odd}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_ts_ms("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_ts_ms("2026-03-02T10:15:31.204Z"), Some(1_772_446_531_204));
        assert_eq!(parse_ts_ms("2026-03-02T10:15:31Z"), Some(1_772_446_531_000));
        assert_eq!(parse_ts_ms("2026-03-02T11:15:31.204+01:00"), Some(1_772_446_531_204));
        assert_eq!(parse_ts_ms("2026-13-02T10:15:31Z"), None);
        assert_eq!(parse_ts_ms("yesterday"), None);
    }
}
