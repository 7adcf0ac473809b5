//! Append-to-visible latency of the live ingest: the time from appending one complete Claude
//! Code line to a log (write + flush) until the `Flushed` of the scan that stored it.
//!
//! `cargo bench -p tokenworth-watch --bench latency` runs on a temp home with a few logs. With
//! `TOKENWORTH_BENCH_HOME=<home>` (e.g. the 1 GB corpus in bench/work/home) that home's Claude
//! and Codex roots are watched and scanned too, read-only: the ledger goes to a temp data dir
//! and the appends go to a log in a temp Claude root beside it.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokenworth_core::Env;
use tokenworth_watch::{Live, LiveConfig, LiveEvent};

const APPENDS: usize = 200;
const TIMEOUT: Duration = Duration::from_secs(30);

fn line(id: &str, output: u64) -> String {
    format!(
        r#"{{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/dev/acme","sessionId":"bench","version":"2.1.40","gitBranch":"main","type":"assistant","uuid":"u-{id}","timestamp":"2026-03-02T10:00:01.000Z","message":{{"id":"msg_{id}","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{{"type":"text","text":"ok"}}],"stop_reason":null,"usage":{{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":{output},"service_tier":"standard","cache_creation":{{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":0}}}}}},"requestId":"req_{id}"}}"#
    ) + "\n"
}

fn append(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.flush().unwrap();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let claude = home.join(".claude");
    // A few logs of a few hundred lines each.
    for p in 0..5 {
        let text: String = (0..300).map(|i| line(&format!("seed-{p}-{i}"), 10 + i)).collect();
        append(&claude.join(format!("projects/-home-dev-p{p}/s{p}.jsonl")), &text);
    }
    let mut env = Env::with_home(&home);
    let corpus = std::env::var_os("TOKENWORTH_BENCH_HOME").map(PathBuf::from);
    if let Some(big) = &corpus {
        // Read-only: only its logs are read; nothing is written under it.
        let dirs = [big.join(".claude"), big.join(".config/claude"), claude.clone()];
        let list: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        env = env
            .set("CLAUDE_CONFIG_DIR", list.join(","))
            .set("CODEX_HOME", big.join(".codex").display().to_string());
    }
    let cfg = LiveConfig::new(env, tmp.path().join("data/ledger.db"));
    let debounce = cfg.debounce;

    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    let live = Live::start(cfg, move |e| {
        let _ = tx.send(e);
    })
    .expect("start");
    let next_flush = || loop {
        match rx.recv_timeout(TIMEOUT).expect("no Flushed within 30 s") {
            LiveEvent::Flushed { events, duration, .. } => return (events, duration),
            LiveEvent::Error(e) => panic!("live ingest failed: {e}"),
            _ => {}
        }
    };
    let (initial, initial_scan) = next_flush();
    println!(
        "initial scan: {initial} events in {} (Live::start to Flushed: {})",
        ms(initial_scan),
        ms(started.elapsed())
    );

    let log = claude.join("projects/-home-dev-p0/s0.jsonl");
    let mut latencies = Vec::with_capacity(APPENDS);
    let mut scans = Vec::with_capacity(APPENDS);
    for i in 0..APPENDS {
        let text = line(&format!("bench-{i}"), 1);
        let t0 = Instant::now();
        append(&log, &text);
        let (events, scan) = next_flush();
        latencies.push(t0.elapsed());
        scans.push(scan);
        assert_eq!(events, 1, "each append is read alone");
    }
    live.stop();

    latencies.sort();
    scans.sort();
    let label = if corpus.is_some() { "with the TOKENWORTH_BENCH_HOME history" } else { "small home" };
    println!("append-to-Flushed latency, {APPENDS} appends, {label}, debounce {}:", ms(debounce));
    println!(
        "  p50 {}  p95 {}  max {}",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(*latencies.last().unwrap())
    );
    println!(
        "  of which the scan: p50 {}  p95 {}  max {}",
        ms(percentile(&scans, 0.5)),
        ms(percentile(&scans, 0.95)),
        ms(*scans.last().unwrap())
    );
}
