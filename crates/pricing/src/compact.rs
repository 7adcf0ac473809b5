//! The compact, line-based form of a price table that `build.rs` derives from the
//! LiteLLM JSON and the library embeds: parsing it is an order of magnitude faster
//! than parsing the 3 MB JSON.
//!
//! ```text
//! tokenworth-prices 2
//! V <version>                     (optional)
//! E <tier> <key> <input> <output> <cw5m> <cw1h> <cr> <in_long> <out_long> <cw5m_long> <cw1h_long> <cr_long> <fast>
//! N <record> <normalised name>     (longest first)
//! D <record> <normalised name-YYYYMMDD>
//! ```
//! Fields are tab-separated; prices are USD per token in Rust's shortest round-trip
//! notation, an empty field is `None`. Records are numbered from 0 in file order.
//!
//! Also compiled into `build.rs` (via `#[path]`).

use std::fmt::Write as _;

use crate::grouping::{Groups, Record};
use crate::ModelPrice;

const HEADER: &str = "tokenworth-prices 2";

/// True when `key` can be stored (no tab or line break).
#[allow(dead_code)] // used by build.rs
pub(crate) fn storable(key: &str) -> bool {
    !key.contains(['\t', '\n', '\r'])
}

#[allow(dead_code)] // used by build.rs and tests
pub(crate) fn write(records: &[Record], groups: &Groups) -> String {
    write_versioned(records, groups, None)
}

/// [`write`], with a `V <version>` line after the header when `version` is given (and
/// storable).
pub(crate) fn write_versioned(records: &[Record], groups: &Groups, version: Option<&str>) -> String {
    let mut out = String::with_capacity(records.len() * 96);
    out.push_str(HEADER);
    out.push('\n');
    if let Some(v) = version.filter(|v| storable(v)) {
        let _ = writeln!(out, "V\t{v}");
    }
    for r in records {
        let p = &r.price;
        let _ = write!(
            out,
            "E\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.tier, r.key, p.input, p.output, p.cache_write_5m, p.cache_write_1h, p.cache_read
        );
        for long in [
            p.input_long,
            p.output_long,
            p.cache_write_5m_long,
            p.cache_write_1h_long,
            p.cache_read_long,
            r.fast,
        ] {
            out.push('\t');
            if let Some(v) = long {
                let _ = write!(out, "{v}");
            }
        }
        out.push('\n');
    }
    for (tag, list) in [("N", &groups.by_norm), ("D", &groups.by_dated)] {
        for (name, i) in list {
            let _ = writeln!(out, "{tag}\t{i}\t{name}");
        }
    }
    out
}

/// The version a [`write_versioned`] text carries.
pub(crate) fn read_version(text: &str) -> Option<&str> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    lines.next()?.strip_prefix("V\t")
}

/// Parse what [`write`] produced; `None` on any malformed line (or on the text of an
/// older format version).
pub(crate) fn read(text: &str) -> Option<(Vec<Record>, Groups)> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut records = Vec::with_capacity(text.len() / 96);
    let mut groups = Groups::default();
    for line in lines {
        let mut f = line.split('\t');
        match f.next()? {
            "V" => {}
            "E" => {
                let tier = f.next()?.parse().ok()?;
                let key = f.next()?.to_owned().into();
                let mut num = || -> Option<f64> { f.next()?.parse().ok() };
                let (input, output, cw5m, cw1h, cr) = (num()?, num()?, num()?, num()?, num()?);
                let mut opt = || -> Option<Option<f64>> {
                    match f.next()? {
                        "" => Some(None),
                        s => s.parse().ok().map(Some),
                    }
                };
                let price = ModelPrice {
                    input,
                    output,
                    cache_write_5m: cw5m,
                    cache_write_1h: cw1h,
                    cache_read: cr,
                    input_long: opt()?,
                    output_long: opt()?,
                    cache_write_5m_long: opt()?,
                    cache_write_1h_long: opt()?,
                    cache_read_long: opt()?,
                };
                let fast = opt()?;
                if f.next().is_some() {
                    return None;
                }
                records.push(Record { key, price, tier, fast });
            }
            tag @ ("N" | "D") => {
                let i: usize = f.next()?.parse().ok()?;
                let name = f.next()?.to_owned();
                if i >= records.len() {
                    return None;
                }
                if tag == "N" {
                    groups.by_norm.push((name, i));
                } else {
                    groups.by_dated.push((name, i));
                }
            }
            _ => return None,
        }
    }
    Some((records, groups))
}
