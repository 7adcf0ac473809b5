//! Where a table's records and name indexes live: borrowed from the static data
//! `build.rs` generates (the embedded table: nothing to parse or allocate at start) or
//! owned (tables read at run time). Lookups read both the same way.

use std::borrow::Cow;
use std::ops::{Deref, Index};

use crate::embedded;
use crate::grouping::{Groups, Record};
use crate::key::Key;

/// A table's priced entries; record numbers index it.
#[derive(Debug, PartialEq)]
pub(crate) struct Records(Cow<'static, [Record]>);

impl Records {
    pub(crate) fn embedded() -> Records {
        Records(Cow::Borrowed(&embedded::RECORDS))
    }

    pub(crate) fn owned(records: Vec<Record>) -> Records {
        Records(Cow::Owned(records))
    }
}

impl Deref for Records {
    type Target = [Record];
    fn deref(&self) -> &[Record] {
        &self.0
    }
}

impl PartialEq<Records> for Vec<Record> {
    fn eq(&self, other: &Records) -> bool {
        self[..] == other[..]
    }
}

/// Name → record number: `(name, record)` pairs sorted by name, searched by binary search.
pub(crate) struct NameMap(Cow<'static, [(Key, usize)]>);

impl NameMap {
    /// Of pairs with the same name the last one counts.
    pub(crate) fn new(pairs: impl IntoIterator<Item = (Key, usize)>) -> NameMap {
        let mut pairs: Vec<(Key, usize)> = pairs.into_iter().collect();
        pairs.reverse();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        NameMap(Cow::Owned(pairs))
    }

    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        let i = self.0.binary_search_by(|(n, _)| n.as_str().cmp(name)).ok()?;
        Some(self.0[i].1)
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Pairs in name order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, usize)> {
        self.0.iter().map(|(n, i)| (n.as_str(), *i))
    }
}

impl Index<&str> for NameMap {
    type Output = usize;
    fn index(&self, name: &str) -> &usize {
        match self.0.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => &self.0[i].1,
            Err(_) => panic!("{name:?} is not in the name map"),
        }
    }
}

/// Table keys → record.
pub(crate) fn exact_keys(records: &[Record]) -> NameMap {
    NameMap::new(records.iter().enumerate().map(|(i, r)| (r.key.clone(), i)))
}

/// The names of [`Groups`], ready for lookups.
pub(crate) struct NormIndex {
    /// Normalised name → record.
    pub by_norm: NameMap,
    /// `name-YYYYMMDD` → record, for keys that carry a date.
    pub by_dated: NameMap,
    /// Normalised names, longest first, for the containment pass.
    pub by_len: Cow<'static, [(Key, usize)]>,
}

impl NormIndex {
    pub(crate) fn embedded() -> NormIndex {
        NormIndex {
            by_norm: NameMap(Cow::Borrowed(&embedded::BY_NORM)),
            by_dated: NameMap(Cow::Borrowed(&embedded::BY_DATED)),
            by_len: Cow::Borrowed(&embedded::BY_LEN),
        }
    }

    pub(crate) fn new(groups: Groups) -> NormIndex {
        let by_len: Vec<(Key, usize)> = groups.by_norm.into_iter().map(|(n, i)| (n.into(), i)).collect();
        NormIndex {
            by_norm: NameMap::new(by_len.iter().cloned()),
            by_dated: NameMap::new(groups.by_dated.into_iter().map(|(n, i)| (n.into(), i))),
            by_len: Cow::Owned(by_len),
        }
    }

    /// Back to [`Groups`] (for the compact form).
    pub(crate) fn groups(&self) -> Groups {
        Groups {
            by_norm: self.by_len.iter().map(|(n, i)| (n.to_string(), *i)).collect(),
            by_dated: self.by_dated.iter().map(|(n, i)| (n.to_owned(), i)).collect(),
        }
    }
}

/// The embedded table's keys → record.
pub(crate) fn embedded_exact() -> NameMap {
    NameMap(Cow::Borrowed(&embedded::EXACT))
}
