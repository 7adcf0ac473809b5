//! `tokenworth scan` killed with SIGKILL at many points while it reads the other three shapes of
//! log — documents rewritten in place (Amp threads, Codebuff chats), running totals (Droid
//! settings files) and other tools' databases written in WAL mode by connections that stay open
//! (OpenCode, Kilo CLI's fork of it, and ZCode, whose rows are completed in place) — and Pi's
//! append-only session lines (part 2's tools), loses
//! nothing and doubles nothing: every state a kill leaves is a consistent prefix, and after the
//! kills one scan reports exactly what one clean read of the same logs into a fresh ledger does.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::killer::{replace_all, Killer, When};
use common::shapes::*;
use common::*;

#[test]
fn sigkill_while_reading_documents_totals_and_a_database() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let mut rng = Rng::new(0x5_4A9E5);
    let (mut initial_exp, mut final_exp) = (Expected::new(), Expected::new());
    let day = |rng: &mut Rng| T0_MS + 86_400_000 * rng.below(5) as i64;

    // Documents: 1,400 Amp threads (~20 MB); a third of them grow in round 3.
    let mut docs: Vec<(PathBuf, Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    for i in 0..1400 {
        let start = day(&mut rng) + rng.below(40_000_000) as i64;
        let turns = rng.range(4, 10) as usize;
        let t = AmpThread::new(&mut rng, &home, start, turns, 500);
        let first = if i % 3 == 0 { rng.range(1, turns as u64 - 1) as usize } else { turns };
        t.expect(first, &mut initial_exp);
        t.expect(turns, &mut final_exp);
        write(&t.path, &t.document(first));
        docs.push((t.path.clone(), t.document(first), (first < turns).then(|| t.document(turns))));
    }
    // Documents of a second tool: 400 Codebuff chats (a JSON array); a third of them grow.
    for i in 0..400 {
        let start = day(&mut rng) + rng.below(40_000_000) as i64;
        let turns = rng.range(3, 8) as usize;
        let c = CodebuffChat::new(&mut rng, &home, start, turns, 400);
        let first = if i % 3 == 0 { rng.range(1, turns as u64 - 1) as usize } else { turns };
        c.expect(first, &mut initial_exp);
        c.expect(turns, &mut final_exp);
        write(&c.path, &c.document(first));
        docs.push((c.path.clone(), c.document(first), (first < turns).then(|| c.document(turns))));
    }
    // Running totals: 900 Droid sessions; a third of them grow in round 3. Each write sets the
    // file's mtime (the observation's time), on the session's one day.
    let mut totals: Vec<(DroidSession, usize)> = Vec::new();
    for i in 0..900 {
        let d = day(&mut rng);
        let steps = rng.range(2, 8) as usize;
        let mut s = DroidSession::new(&mut rng, &home, &format!("-home-dev-p{}", i % 7), d, steps);
        let first = if i % 3 == 1 { rng.range(0, steps as u64 - 2) as usize } else { steps - 1 };
        s.expect(first, &mut initial_exp);
        s.expect(steps - 1, &mut final_exp);
        let t = s.next_mtime();
        rewrite_in_place(&s.path, &s.document(first), Some(t));
        totals.push((s, first));
    }
    // A database: 12,000 OpenCode messages now, 3,000 more in round 3, written by a connection
    // that stays open in WAL mode without checkpointing (the tool is running).
    let mut clock = T0_MS;
    let (mut now, mut later) = (Expected::new(), Expected::new());
    let first_ops = opencode_plan(&mut rng, &mut clock, 12_000, &mut now);
    let later_ops = opencode_plan(&mut rng, &mut clock, 3_000, &mut later);
    expect_merge(&mut initial_exp, &now);
    expect_merge(&mut final_exp, &now);
    expect_merge(&mut final_exp, &later);
    let writer = opencode_writer(&home);
    for chunk in first_ops.chunks(500) {
        opencode_write(&writer, chunk);
    }
    // Kilo CLI's database: 3,000 messages now, 800 more in round 3.
    let (mut now, mut later) = (Expected::new(), Expected::new());
    let kilo_first = db_plan(&mut rng, &mut clock, 3_000, &mut now, "kilo");
    let kilo_later = db_plan(&mut rng, &mut clock, 800, &mut later, "kilo");
    expect_merge(&mut initial_exp, &now);
    expect_merge(&mut final_exp, &now);
    expect_merge(&mut final_exp, &later);
    let kilo_writer = db_writer(&kilo_db(&home));
    for chunk in kilo_first.chunks(500) {
        opencode_write(&kilo_writer, chunk);
    }
    // Lines: 600 Pi sessions; a third of them appended to in round 3.
    let mut pis: Vec<(PiSession, usize)> = Vec::new();
    for i in 0..600 {
        let (start, turns) = (day(&mut rng), rng.range(2, 10) as usize);
        let p = PiSession::new(&mut rng, &home, i % 5, start, turns);
        let n = p.lines.len();
        let first = if i % 3 == 2 { rng.range(1, n as u64 - 1) as usize } else { n };
        p.expect(first, &mut initial_exp);
        p.expect(n, &mut final_exp);
        write(&p.path, &p.bytes(0, first));
        pis.push((p, first));
    }
    // A second database: 4,000 ZCode calls now (a third inserted running and completed later),
    // 1,000 more in round 3.
    let mut zclock = T0_MS;
    let (mut znow, mut zlater) = (Expected::new(), Expected::new());
    let zfirst = zcode_plan(&mut rng, &mut zclock, 4_000, &mut znow);
    let zlater_ops = zcode_plan(&mut rng, &mut zclock, 1_000, &mut zlater);
    expect_merge(&mut initial_exp, &znow);
    expect_merge(&mut final_exp, &znow);
    expect_merge(&mut final_exp, &zlater);
    let zwriter = zcode_writer(&home);
    for chunk in zfirst.chunks(400) {
        zcode_write(&zwriter, chunk);
    }
    assert!(grand(&final_exp).output > grand(&initial_exp).output);
    assert_eq!(initial_exp.keys().map(|k| k.1.as_str()).collect::<std::collections::BTreeSet<_>>().len(), 7);

    // A clean scan of the initial logs: the time a full scan takes, to spread the kills over.
    let ref0 = tmp.path().join("ref0");
    let started = Instant::now();
    scan(&home, &ref0);
    let full = started.elapsed();
    assert_eq!(sums_of(&daily(&home, &ref0, true)), initial_exp, "clean scan vs what was written");

    let data = tmp.path().join("killed");
    let mut k = Killer::new(&home, &data, &final_exp);
    // Round 1: an empty ledger; the first kills land while starting and discovering files.
    let early: Vec<When> =
        [0, 2, 8, 25, 60].iter().map(|&ms| When::After(Duration::from_millis(ms))).collect();
    k.round(&mut rng, full, &early, &initial_exp);

    // Round 2: every file replaced by a new inode with the same bytes and mtime, the database
    // too (its writer closed first, so it is read as a closed database now): all read again.
    drop(writer);
    drop(kilo_writer);
    drop(zwriter);
    let mut paths: Vec<PathBuf> = docs.iter().map(|d| d.0.clone()).collect();
    paths.extend(totals.iter().map(|t| t.0.path.clone()));
    paths.extend(pis.iter().map(|p| p.0.path.clone()));
    let mut with_db = paths.clone();
    with_db.push(opencode_db(&home));
    with_db.push(kilo_db(&home));
    with_db.push(zcode_db(&home));
    replace_all(&with_db, &tmp.path().join("staging"));
    k.round(&mut rng, full, &[], &initial_exp);

    // Round 3: threads rewritten in place with more messages, totals grown, rows inserted while
    // the writer is open again.
    for (p, _, grown) in &docs {
        if let Some(g) = grown {
            rewrite_in_place(p, g, None);
        }
    }
    for (s, first) in &mut totals {
        let last = s.steps.len() - 1;
        if *first < last {
            let t = s.next_mtime();
            rewrite_in_place(&s.path, &s.document(last), Some(t));
            *first = last;
        }
    }
    for (p, first) in &mut pis {
        if *first < p.lines.len() {
            append(&p.path, &p.bytes(*first, p.lines.len()));
            *first = p.lines.len();
        }
    }
    let writer = opencode_writer(&home);
    for chunk in later_ops.chunks(250) {
        opencode_write(&writer, chunk);
    }
    let kilo_writer = db_writer(&kilo_db(&home));
    for chunk in kilo_later.chunks(250) {
        opencode_write(&kilo_writer, chunk);
    }
    let zwriter = zcode_writer(&home);
    for chunk in zlater_ops.chunks(200) {
        zcode_write(&zwriter, chunk);
    }
    k.round(&mut rng, full, &[], &final_exp);
    // More rounds of full re-reads of the files until enough kills hit a running scan.
    let mut extra = 0;
    while (k.kills < 12 || k.kills_after_commit < 2) && extra < 6 {
        replace_all(&paths, &tmp.path().join("staging"));
        k.round(&mut rng, full, &[], &final_exp);
        extra += 1;
    }
    let log = k.log.join("\n");
    assert!(k.kills >= 12, "only {} kills hit a running scan:\n{log}", k.kills);
    assert!(k.kills_after_commit >= 2, "too few kills after a commit:\n{log}");
    assert!(k.partial_states >= 1, "no kill left a partly filled ledger:\n{log}");

    // After the kills, one full scan; the reference: one clean read into a fresh ledger.
    scan(&home, &data);
    let got = daily(&home, &data, true);
    assert_ledger_consistent(&data, true);
    let reference_dir = tmp.path().join("ref");
    scan(&home, &reference_dir);
    let reference = daily(&home, &reference_dir, true);
    assert_same_daily(&got, &reference, "after the kills vs a clean read");
    assert_eq!(sums_of(&reference), final_exp, "clean read vs what was written");
    // A running total seen growing is stored as one delta per observation, so Droid's event count
    // depends on how often it was seen; files and skipped records do not.
    let (mut killed, mut once) = (sources(&home, &data), sources(&home, &reference_dir));
    assert!(killed["droid"].1 >= once["droid"].1);
    killed.get_mut("droid").unwrap().1 = 0;
    once.get_mut("droid").unwrap().1 = 0;
    assert_eq!(killed, once, "files, events, skipped");
    drop(writer);
    drop(kilo_writer);
    drop(zwriter);
    eprintln!(
        "full scan {full:?}; {} kills ({} after a commit), {} partial states:\n{log}",
        k.kills, k.kills_after_commit, k.partial_states
    );
}
