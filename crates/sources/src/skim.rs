//! Reads the few fields a source needs from one JSON line without deserialising the rest.
//!
//! A Claude Code line is mostly message content that the ledger never looks at; serde_json walks
//! all of it through its visitor machinery. [`Skim`] validates and steps over unwanted values
//! without building them and hands wanted ones over as slices of the line.
//!
//! Contract: the skim path is an optimisation of the serde path, never a second opinion. It
//! accepts only what serde_json accepts, with the same strictness (control characters and bad
//! escapes in strings, number grammar, no trailing commas, nothing after the value), and returns
//! `None` whenever it is not sure: an escaped or non-ASCII key where fields are matched, a wanted
//! value of an unexpected type, a duplicated wanted field, nesting deeper than 128. A `None`
//! sends the line to serde_json, so every line gets serde's answer. Numbers that are not plain
//! integers and strings with escapes are handed to serde_json themselves.

use std::borrow::Cow;

/// Deepest nesting skipped without serde (its own limit does not apply to ignored values).
const MAX_DEPTH: u32 = 128;

pub(crate) struct Skim<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Skim<'a> {
    /// `None` for a line holding a control character (U+0000 to U+001F) before its trailing
    /// whitespace: legal only as whitespace between tokens, which compact JSON lines never
    /// have, and an error inside a string. Checking the line once lets strings be skipped by
    /// looking for `"` and `\\` alone.
    pub(crate) fn new(b: &'a [u8]) -> Option<Skim<'a>> {
        let mut end = b.len();
        while end > 0 && matches!(b[end - 1], b' ' | b'\n' | b'\t' | b'\r') {
            end -= 1;
        }
        if has_control(&b[..end]) {
            return None;
        }
        Some(Skim { b, i: 0 })
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek()? == c {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// Only whitespace is left (serde_json refuses trailing characters).
    pub(crate) fn end(&mut self) -> Option<()> {
        self.ws();
        (self.i == self.b.len()).then_some(())
    }

    /// Walks the object that starts here, calling `member(key, self)` for each member; `member`
    /// must consume the value (with [`Skim::skip`] or a reader). Keys are given raw and must be
    /// plain ASCII without escapes, else the walk gives up (an escape could spell a wanted key).
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&'a [u8], &mut Skim<'a>) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.eat(b'"')?;
            let start = self.i;
            let len = quote_or_backslash(self.b, start)? - start;
            let key = &self.b[start..start + len];
            if self.b[start + len] != b'"' || !key.is_ascii() {
                return None;
            }
            self.i = start + len + 1;
            self.eat(b':')?;
            member(key, self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `null` → `Some(None)`; an object → `Some(Some(walk))`; anything else gives up.
    pub(crate) fn object_or_null<T>(
        &mut self,
        walk: impl FnOnce(&mut Skim<'a>) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|_| None),
            b'{' => walk(self).map(Some),
            _ => None,
        }
    }

    /// A string or `null`, as serde reads an `Option<Cow<str>>`: borrowed when it has no escapes,
    /// unescaped by serde_json when it has.
    pub(crate) fn str_or_null(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|_| None),
            b'"' => {
                let start = self.i;
                self.i += 1;
                let rest = &self.b[self.i..];
                let n = quote_or_backslash(rest, 0)?;
                if rest[n] == b'"' {
                    // Invalid UTF-8 in a wanted string: serde's repair path decides.
                    let s = std::str::from_utf8(&rest[..n]).ok()?;
                    self.i += n + 1;
                    return Some(Some(Cow::Borrowed(s)));
                }
                self.string()?;
                let s: String = serde_json::from_slice(&self.b[start..self.i]).ok()?;
                Some(Some(Cow::Owned(s)))
            }
            _ => None,
        }
    }

    /// `true`, `false` or `null`.
    pub(crate) fn bool_or_null(&mut self) -> Option<Option<bool>> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|_| None),
            b't' => self.literal(b"true").map(|_| Some(true)),
            b'f' => self.literal(b"false").map(|_| Some(false)),
            _ => None,
        }
    }

    /// The raw text of the value that starts here (validated), e.g. a number for serde_json.
    pub(crate) fn raw(&mut self) -> Option<&'a [u8]> {
        self.ws();
        let start = self.i;
        self.skip()?;
        Some(&self.b[start..self.i])
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    /// Steps over a string whose opening quote was consumed, checking it as serde_json does
    /// (only known escapes, four hex digits after `\u`; control characters were ruled out for
    /// the whole line by [`Skim::new`]; UTF-8 is not checked in values serde ignores).
    fn string(&mut self) -> Option<()> {
        loop {
            let n = quote_or_backslash(self.b, self.i)?;
            self.i = n + 1;
            if self.b[n] == b'"' {
                return Some(());
            }
            match self.b.get(self.i)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                b'u' => {
                    let hex = self.b.get(self.i + 1..self.i + 5)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    self.i += 5;
                }
                _ => return None,
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, serde_json's grammar.
    fn number(&mut self) -> Option<()> {
        let digits = |s: &mut Skim| {
            let start = s.i;
            while s.b.get(s.i).is_some_and(u8::is_ascii_digit) {
                s.i += 1;
            }
            s.i > start
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i)? {
            b'0' => {
                self.i += 1;
                if self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        Some(())
    }

    /// Steps over any value, checking it as serde_json checks a value it ignores.
    pub(crate) fn skip(&mut self) -> Option<()> {
        // One bit per open container: 1 = object, 0 = array.
        let mut stack: u128 = 0;
        let mut depth = 0u32;
        loop {
            // A value is expected here.
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    self.string()?;
                }
                c @ (b'{' | b'[') => {
                    if depth == MAX_DEPTH {
                        return None;
                    }
                    self.i += 1;
                    let object = c == b'{';
                    let close = if object { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        stack = (stack << 1) | u128::from(object);
                        depth += 1;
                        if object {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                b'n' => self.literal(b"null")?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a value: close containers until one continues with a comma.
            loop {
                if depth == 0 {
                    return Some(());
                }
                let object = stack & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        if object {
                            self.member_key()?;
                        }
                        break;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return None,
                }
                self.i += 1;
                stack >>= 1;
                depth -= 1;
            }
        }
    }

    /// `"key":` inside a skipped object.
    fn member_key(&mut self) -> Option<()> {
        self.eat(b'"')?;
        self.string()?;
        self.eat(b':')
    }
}

/// Index of the first `"` or `\\` at or after `i`. Eight bytes at a time: the strings of a line
/// are short and full of escapes, where a call into a vectorised search costs more than it saves.
fn quote_or_backslash(b: &[u8], mut i: usize) -> Option<usize> {
    const LO: u64 = u64::from_ne_bytes([1; 8]);
    const HI: u64 = LO << 7;
    const QUOTE: u64 = LO * b'"' as u64;
    const BACKSLASH: u64 = LO * b'\\' as u64;
    while let Some(w) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_le_bytes(word);
        let (q, s) = (x ^ QUOTE, x ^ BACKSLASH);
        // A byte of `q` or `s` is zero where `x` has a quote or backslash; the lowest flagged
        // byte is always a real one (a false flag only follows a real one).
        let hits = (q.wrapping_sub(LO) & !q | s.wrapping_sub(LO) & !s) & HI;
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| c == b'"' || c == b'\\').map(|p| i + p)
}

/// Whether `s` holds a byte below 0x20.
fn has_control(s: &[u8]) -> bool {
    // No early exit, so the compiler vectorises it: lines without one are the rule.
    s.iter().fold(0u8, |m, &b| m | u8::from(b < 0x20)) != 0
}

/// Marks field `bit` as seen; `None` when it was seen before (serde refuses duplicate fields).
pub(crate) fn first(seen: &mut u32, bit: u32) -> Option<()> {
    let m = 1 << bit;
    if *seen & m != 0 {
        return None;
    }
    *seen |= m;
    Some(())
}

/// Fuzzing entry point, not API. Steps over `line` as one value (`skipped`), then walks it as an
/// object the way the sources do, reading each member with one of the readers chosen by its key's
/// length (nested objects to depth 4). `walked` holds, when the walk and [`Skim::end`] succeeded,
/// each value read: its raw text and what skim made of it (`None` where only the text was taken).
/// The fuzz target checks both against serde_json, skim's contract.
#[doc(hidden)]
pub fn fuzz(line: &[u8]) -> FuzzSkim<'_> {
    fn walk<'a>(
        k: &mut Skim<'a>,
        depth: u32,
        read: &mut Vec<(&'a [u8], Option<serde_json::Value>)>,
    ) -> Option<()> {
        k.object(|key, k| {
            k.ws();
            let start = k.i;
            let value = match key.len() % 5 {
                0 => Some(k.str_or_null()?.map_or(serde_json::Value::Null, |s| s.into_owned().into())),
                1 => Some(k.bool_or_null()?.map_or(serde_json::Value::Null, Into::into)),
                2 => {
                    k.raw()?;
                    None
                }
                3 if depth < 4 => {
                    k.object_or_null(|k| walk(k, depth + 1, read))?;
                    None
                }
                _ => {
                    k.skip()?;
                    None
                }
            };
            read.push((&k.b[start..k.i], value));
            Some(())
        })
    }
    let skipped = Skim::new(line).and_then(|mut k| {
        k.skip()?;
        k.end()
    });
    let mut read = Vec::new();
    let walked = Skim::new(line).and_then(|mut k| {
        walk(&mut k, 0, &mut read)?;
        k.end()
    });
    FuzzSkim { skipped: skipped.is_some(), walked: walked.map(|()| read) }
}

/// What [`fuzz`] found.
#[doc(hidden)]
pub struct FuzzSkim<'a> {
    pub skipped: bool,
    pub walked: Option<Vec<(&'a [u8], Option<serde_json::Value>)>>,
}

#[cfg(test)]
mod tests {
    use super::Skim;

    fn skip_all(s: &str) -> Option<()> {
        let mut k = Skim::new(s.as_bytes())?;
        k.skip()?;
        k.end()
    }

    /// Whatever `skip` accepts, serde_json accepts too.
    #[test]
    fn skip_is_never_laxer_than_serde() {
        let cases = [
            r#"{}"#,
            r#"[]"#,
            r#"{"a":[1,2,{"b":null}],"c":"x\"y\\z\u00e9\n","d":-0.5e+3,"e":true,"f":false}"#,
            r#"  { "a" : [ ] , "b" : { } }  "#,
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12G4"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":nul}"#,
            r#"{"a":[}"#,
            r#"{"a":{]}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"{"a":1}x"#,
            r#"{"a":1} {"b":2}"#,
            r#""unterminated"#,
            r#"{"a":"\"}"#,
            r#"[[[[[[[[[[]]]]]]]]]]"#,
            r#"{"a":1e5,"b":-0,"c":0.0e-0}"#,
        ];
        for c in cases {
            let serde_ok = serde_json::from_str::<serde::de::IgnoredAny>(c).is_ok();
            let skim_ok = skip_all(c).is_some();
            assert!(!skim_ok || serde_ok, "skim accepted what serde refuses: {c}");
            assert_eq!(skim_ok, serde_ok, "skim and serde differ on {c}");
        }
    }

    #[test]
    fn finds_the_first_quote_or_backslash() {
        for s in ["", "abc", "\"", "abcdefgh\"", "abcdefg\\\"", "x\u{e9}\\", "\u{80}\u{ff}ab\"cd\\"] {
            let b = s.as_bytes();
            for from in 0..=b.len() {
                let want = b[from..].iter().position(|&c| c == b'"' || c == b'\\').map(|p| from + p);
                assert_eq!(super::quote_or_backslash(b, from), want, "{s:?} from {from}");
            }
        }
    }

    /// The fuzz entry point reads with the reader its key's length picks, and says when it gave up.
    #[test]
    fn fuzz_entry_reads_each_member_with_its_reader() {
        let line = br#"{"abcde":"x\u00e9","b":true,"cc":-1.5e3,"ddd":{"abcde":null},"eeee":[1,{"z":2}]}"#;
        let found = super::fuzz(line);
        assert!(found.skipped);
        let read = found.walked.expect("walked");
        let values: Vec<Option<serde_json::Value>> = read.iter().map(|r| r.1.clone()).collect();
        assert_eq!(
            values,
            [Some("x\u{e9}".into()), Some(true.into()), None, Some(serde_json::Value::Null), None, None]
        );
        assert_eq!(read[2].0, b"-1.5e3");
        // A bool reader meeting a string gives up; a trailing comma is refused by both.
        assert!(super::fuzz(br#"{"b":"x"}"#).walked.is_none());
        let bad = super::fuzz(br#"{"abcde":"x",}"#);
        assert!(!bad.skipped && bad.walked.is_none());
    }

    #[test]
    fn deep_nesting_gives_up_instead_of_recursing() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(skip_all(&deep).is_none());
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(skip_all(&ok).is_some());
    }
}
