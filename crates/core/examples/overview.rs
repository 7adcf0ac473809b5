//! The dashboard's Overview query as the tray app runs it (`commands::overview` through
//! `AppState::read`: a read-only connection of its own, the price table, the zone, then
//! `dashboard::overview`), for benchmarks (bench/warm.sh). Not a test: it times nothing itself
//! unless asked to.
//!
//!   overview --data-dir DIR --now 2026-04-20T18:00:00Z [--timezone Europe/Berlin] [--days 30]
//!            [--repeat N]
//!
//! Prints the Overview's JSON once. With `--repeat N` it runs the call N more times in this
//! process and prints the median wall time and CPU time (Linux) of those N calls to stderr.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use tokenworth_core::config::{self, DataDir};
use tokenworth_core::dashboard;
use tokenworth_core::report::Pricer;
use tokenworth_core::store::Store;

fn main() -> Result<()> {
    let mut data_dir: Option<PathBuf> = None;
    let mut now: Option<i64> = None;
    let mut tz = chrono_tz::UTC;
    let mut days = 30u32;
    let mut repeat = 0usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
            "--now" => {
                let v = value()?;
                now = Some(
                    chrono::DateTime::parse_from_rfc3339(&v)
                        .with_context(|| format!("--now {v}: use RFC 3339, e.g. 2026-04-20T18:00:00Z"))?
                        .timestamp_millis(),
                )
            }
            "--timezone" => tz = config::parse_tz(&value()?).map_err(anyhow::Error::msg)?,
            "--days" => days = value()?.parse().context("--days")?,
            "--repeat" => repeat = value()?.parse().context("--repeat")?,
            other => bail!("unknown argument {other:?}"),
        }
    }
    let data = DataDir { root: data_dir.context("--data-dir is required")? };
    let now_ms = now.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
    let call = || -> Result<serde_json::Value> {
        let store = Store::open_readonly(&data.db())?;
        let table = data.price_table()?;
        let pricer = Pricer::new(&table);
        Ok(dashboard::overview(&store, &pricer, tz, now_ms, days)?)
    };
    let out = call()?;
    println!("{out}");
    if repeat > 0 {
        let mut wall: Vec<f64> = Vec::with_capacity(repeat);
        let mut cpu: Vec<f64> = Vec::with_capacity(repeat);
        for _ in 0..repeat {
            let (t, c) = (Instant::now(), thread_cpu_ns());
            call()?;
            wall.push(t.elapsed().as_secs_f64() * 1e3);
            if let (Some(c0), Some(c1)) = (c, thread_cpu_ns()) {
                cpu.push(c1.saturating_sub(c0) as f64 / 1e6);
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
        };
        eprintln!(
            "overview x{repeat}: median {:.2} ms wall, {:.2} ms CPU",
            median(&mut wall),
            median(&mut cpu)
        );
    }
    Ok(())
}

/// This thread's time on a CPU so far (Linux: /proc/thread-self/schedstat, in ns), so that the
/// figure holds while other processes load the machine.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}
