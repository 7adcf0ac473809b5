//! Corpus generator library.
