//! Tokenworth's ledger: finds the local logs of AI coding tools, ingests every usage event exactly
//! once into SQLite, and answers reports over it.
//!
//! This crate knows nothing of Tauri, HTTP or terminals. Time zones, paths and the environment are
//! passed in, never read from globals, so every test can pin them.

pub mod alerts;
pub mod backup;
pub mod budget;
pub mod config;
pub mod dashboard;
pub mod doctor;
pub mod exchange;
pub mod fmt;
pub mod git;
pub mod hash;
pub mod ingest;
pub mod logfile;
pub mod outcomes;
pub mod report;
pub mod store;
pub mod tags;
pub mod walk;
mod zone;

// The sources live in their own crate (`tokenworth-sources`), below this one: a tool's module
// cannot reach into the store or the reports. Re-exported under their old paths.
pub use tokenworth_sources as source;
pub use tokenworth_sources::{env, model};
pub use tokenworth_sources::{Env, Tokens, UsageEvent};
