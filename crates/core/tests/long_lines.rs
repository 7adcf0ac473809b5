//! Lines of every length against the reader's buffer: lines from a few bytes to longer than the
//! whole buffer, ending at every kind of offset against the 256 KB reads, and a half-written last
//! line that waits for its newline. Every request is stored once, nothing is skipped.

use std::io::Write;
use std::path::Path;

use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// One Claude Code request `i` whose line is `len` bytes long (a tool result pads it).
fn line(i: usize, len: usize) -> String {
    let head = format!(
        r#"{{"type":"assistant","sessionId":"s","cwd":"/work","uuid":"u{i}","requestId":"r{i}","timestamp":"{}","message":{{"id":"m{i}","model":"claude-sonnet-4-5","usage":{{"input_tokens":1,"output_tokens":{i},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}},"toolUseResult":""#,
        iso(T + i as i64 * 1000)
    );
    let pad = len.saturating_sub(head.len() + 3);
    format!("{head}{}\"}}\n", "x".repeat(pad))
}

fn scan(store: &mut Store, home: &Path) -> (usize, u64) {
    let r = ingest::scan(store, &Env::with_home(home), &source::all(), &ScanOptions::default()).unwrap();
    (r.events(), r.sources.iter().map(|s| s.skipped_lines).sum())
}

#[test]
fn lines_of_every_length_are_read_once_across_reads_and_buffer_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let dir = home.join(".claude/projects/-work");
    std::fs::create_dir_all(&dir).unwrap();
    const K: usize = 1024;
    // Short lines, lines around a read (256 KB), around the buffer (1 MB), and beyond it.
    let mut lens =
        vec![400, 300, 5 * K, 100 * K, 255 * K, 256 * K, 257 * K, 700, 600 * K, 1023 * K, 1024 * K];
    lens.extend([1025 * K, 50, 2 * 1024 * K + 17, 3 * K, 511 * K, 90]);
    lens.extend((0..300).map(|i| 200 + (i * 7_919) % (40 * K)));
    let text: String = lens.iter().enumerate().map(|(i, &len)| line(i + 1, len)).collect();
    let last = line(lens.len() + 1, 300 * K);
    let (done, half) = last.split_at(last.len() / 2);
    let path = dir.join("s.jsonl");
    std::fs::write(&path, format!("{text}{done}")).unwrap();

    let mut store = Store::open(&tmp.path().join("ledger.db")).unwrap();
    assert_eq!(scan(&mut store, &home), (lens.len(), 0), "every complete line, none skipped");
    let sum: i64 = store.conn().query_row("SELECT sum(output) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(sum, (1..=lens.len() as i64).sum::<i64>());

    // The rest of the half-written line, and one more: read from where the last scan stopped.
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(half.as_bytes()).unwrap();
    f.write_all(line(lens.len() + 2, 3 * K).as_bytes()).unwrap();
    drop(f);
    assert_eq!(scan(&mut store, &home), (2, 0));
    let n: i64 = store.conn().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(n as usize, lens.len() + 2);
}
