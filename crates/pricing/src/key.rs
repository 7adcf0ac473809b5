//! A table key or normalised name: either a span of the embedded name text (what
//! `build.rs` generates for the shipped table, so that its static data holds no pointers
//! and needs neither allocation nor relocation at start) or an owned string (tables read
//! at run time).
//!
//! Also compiled into `build.rs` (via `#[path]`), which only makes owned keys.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;

#[derive(Clone)]
pub(crate) enum Key {
    /// `crate::embedded::NAMES[start..start + len]`.
    Embedded {
        start: u32,
        len: u32,
    },
    Owned(String),
}

impl Key {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Embedded { start, len } => {
                let (start, len) = (*start as usize, *len as usize);
                crate::embedded::NAMES.get(start..start + len).unwrap_or_default()
            }
            Key::Owned(s) => s,
        }
    }
}

impl Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Key {
    fn from(s: String) -> Key {
        Key::Owned(s)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
