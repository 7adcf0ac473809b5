//! Compacts `data/litellm_prices.json` (3 MB, ~100 fields per model) into the few
//! fields the library needs, plus the precomputed name index, so that
//! `PriceTable::embedded()` stays fast. The JSON itself is the shipped source of truth;
//! the compact file only lives in `OUT_DIR`.
//!
//! The parsing, normalisation and grouping code is the library's own, compiled in here
//! via `#[path]`, so the build-time and run-time results cannot drift apart.

#![allow(dead_code)]

#[path = "src/compact.rs"]
mod compact;
#[path = "src/grouping.rs"]
mod grouping;
#[path = "src/matching.rs"]
mod matching;
#[path = "src/parse.rs"]
mod parse;
#[path = "src/price.rs"]
mod price;

use price::ModelPrice;

use std::path::PathBuf;
use std::{env, fs};

const SOURCES: [&str; 6] = [
    "data/litellm_prices.json",
    "src/compact.rs",
    "src/grouping.rs",
    "src/matching.rs",
    "src/parse.rs",
    "src/price.rs",
];

fn main() {
    for s in SOURCES {
        println!("cargo::rerun-if-changed={s}");
    }
    let json =
        fs::read_to_string("data/litellm_prices.json").expect("read crates/pricing/data/litellm_prices.json");
    let mut records =
        parse::parse_table(&json).expect("crates/pricing/data/litellm_prices.json is not valid JSON");
    records.retain(|r| compact::storable(&r.key));
    let groups = grouping::build(&records);
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("prices.tsv");
    fs::write(&out, compact::write(&records, &groups)).expect("write compact price table");
}
