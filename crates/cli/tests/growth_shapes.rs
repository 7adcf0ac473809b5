//! The other three shapes of log growing while Tokenworth reads them, in random pieces with scans
//! in between: Amp threads and Codebuff chats rewritten in place with more messages (now and then
//! left cut mid-JSON, as a write in progress), Droid settings files whose cumulative totals grow,
//! OpenCode's, Kilo CLI's and ZCode's databases taking rows (inserted, and updated in place while
//! a message streams or a call runs) from connections that stay open in WAL mode without
//! checkpointing, and Pi's session lines appended in pieces cut anywhere. Every scan's totals lie
//! between the last ones and the final ones, and the end is exactly one clean read of the final
//! logs into a fresh ledger.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::shapes::*;
use common::*;

struct Home {
    threads: Vec<AmpThread>,
    chats: Vec<CodebuffChat>,
    zops: Vec<ZOp>,
    sessions: Vec<DroidSession>,
    ops: Vec<DbOp>,
    kilo_ops: Vec<DbOp>,
    pis: Vec<PiSession>,
    exp: Expected,
}

fn home(rng: &mut Rng, home: &std::path::Path) -> Home {
    let mut exp = Expected::new();
    let threads: Vec<AmpThread> = (0..12)
        .map(|_| {
            let start = T0_MS + rng.below(4 * 86_400_000) as i64;
            let turns = rng.range(20, 50) as usize;
            let t = AmpThread::new(rng, home, start, turns, 1500);
            t.expect(turns, &mut exp);
            t
        })
        .collect();
    let sessions: Vec<DroidSession> = (0..10)
        .map(|i| {
            let day = T0_MS + 86_400_000 * rng.below(5) as i64;
            let steps = rng.range(15, 40) as usize;
            let s = DroidSession::new(rng, home, &format!("-home-dev-p{}", i % 3), day, steps);
            s.expect(steps - 1, &mut exp);
            s
        })
        .collect();
    let chats: Vec<CodebuffChat> = (0..8)
        .map(|_| {
            let start = T0_MS + rng.below(4 * 86_400_000) as i64;
            let turns = rng.range(15, 40) as usize;
            let c = CodebuffChat::new(rng, home, start, turns, 1000);
            c.expect(turns, &mut exp);
            c
        })
        .collect();
    let mut clock = T0_MS;
    let ops = opencode_plan(rng, &mut clock, 1500, &mut exp);
    let kilo_ops = db_plan(rng, &mut clock, 400, &mut exp, "kilo");
    let pis: Vec<PiSession> = (0..10)
        .map(|i| {
            let (start, turns) = (T0_MS + rng.below(4 * 86_400_000) as i64, rng.range(10, 30) as usize);
            let p = PiSession::new(rng, home, i % 3, start, turns);
            p.expect(p.lines.len(), &mut exp);
            p
        })
        .collect();
    let mut zclock = T0_MS;
    let zops = zcode_plan(rng, &mut zclock, 800, &mut exp);
    Home { threads, chats, zops, sessions, ops, kilo_ops, pis, exp }
}

/// A cut inside a document (never at its end): a write caught half done.
fn cut(rng: &mut Rng, doc: &[u8]) -> Vec<u8> {
    doc[..rng.range(1, doc.len() as u64 - 2) as usize].to_vec()
}

/// A report's totals: no less than before, and no more than the logs will ever hold.
fn check_step(prev: &mut Expected, now: Expected, exp: &Expected) {
    assert_le(prev, &now, "usage already counted went missing");
    assert_le(&now, exp, "usage counted twice");
    *prev = now;
}

/// The end: what was written, what one clean read reports, and still so once the database's
/// writer has closed (checkpointed, read as a closed database now).
fn check_end(
    tmp: &std::path::Path,
    home: &std::path::Path,
    data: &std::path::Path,
    exp: &Expected,
    writers: (rusqlite::Connection, rusqlite::Connection, rusqlite::Connection),
) {
    let (writer, kilo_writer, zwriter) = writers;
    let got = daily(home, data, false);
    assert_eq!(sums_of(&got), *exp, "grown in pieces vs what was written");
    let reference_dir = tmp.join("ref");
    let reference = daily(home, &reference_dir, false);
    assert_same_daily(&got, &reference, "grown in pieces vs one clean read");
    let (mut grown, mut once) = (sources(home, data), sources(home, &reference_dir));
    assert!(
        grown.values().all(|s| s.2 == 0),
        "a half-written document stayed counted as unreadable: {grown:?}"
    );
    // A running total seen growing is stored as one delta per observation: Droid's event count
    // depends on how often it was seen, its files and skipped records do not.
    assert!(grown["droid"].1 >= once["droid"].1);
    grown.get_mut("droid").unwrap().1 = 0;
    once.get_mut("droid").unwrap().1 = 0;
    assert_eq!(grown, once, "files, events, skipped");
    assert_ledger_consistent(data, true);
    assert!(opencode_db(home).with_extension("db-wal").exists(), "the writer's WAL was checkpointed away");
    assert!(kilo_db(home).with_extension("db-wal").exists());
    drop(writer);
    drop(kilo_writer);
    drop(zwriter);
    assert!(!opencode_db(home).with_extension("db-wal").exists());
    assert_same_daily(&daily(home, data, false), &reference, "after the database's writer closed");
}

#[test]
fn documents_totals_and_a_database_grown_in_random_pieces() {
    let tmp = tempfile::tempdir().unwrap();
    let home_dir = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0x6E0_5A9E);
    let h = home(&mut rng, &home_dir);
    let writer = opencode_writer(&home_dir);
    let kilo_writer = db_writer(&kilo_db(&home_dir));
    let (mut kilo_done, mut pi_bytes) = (0, vec![0usize; h.pis.len()]);
    let pi_all: Vec<Vec<u8>> = h.pis.iter().map(|p| p.bytes(0, p.lines.len())).collect();
    let zwriter = zcode_writer(&home_dir);
    let mut chat_turns = vec![0usize; h.chats.len()];
    let mut chat_cut = vec![false; h.chats.len()];
    let mut zdone = 0;
    // What is on disk: turns of each thread, step of each session (None: not written yet),
    // whether the file is left cut mid-JSON, ops written.
    let mut turns = vec![0usize; h.threads.len()];
    let mut steps: Vec<Option<usize>> = vec![None; h.sessions.len()];
    let mut sessions = h.sessions;
    let (mut thread_cut, mut session_cut) = (vec![false; h.threads.len()], vec![false; sessions.len()]);
    let mut ops_done = 0;
    let (mut rounds, mut cuts, mut rewrites, mut transactions) = (0, 0, 0, 0);
    let mut prev = Expected::new();
    let unfinished = |turns: &[usize],
                      steps: &[Option<usize>],
                      sessions: &[DroidSession],
                      tc: &[bool],
                      sc: &[bool],
                      ops_done: usize| {
        turns.iter().zip(&h.threads).any(|(n, t)| *n < t.turns())
            || steps.iter().zip(sessions).any(|(i, s)| *i != Some(s.steps.len() - 1))
            || tc.iter().chain(sc).any(|c| *c)
            || ops_done < h.ops.len()
    };
    while unfinished(&turns, &steps, &sessions, &thread_cut, &session_cut, ops_done)
        || kilo_done < h.kilo_ops.len()
        || pi_bytes.iter().zip(&pi_all).any(|(n, b)| *n < b.len())
        || chat_turns.iter().zip(&h.chats).any(|(n, c)| *n < c.turns())
        || chat_cut.iter().any(|c| *c)
        || zdone < h.zops.len()
    {
        if kilo_done < h.kilo_ops.len() && rng.chance(0.5) {
            let n = (rng.range(1, 30) as usize).min(h.kilo_ops.len() - kilo_done);
            opencode_write(&kilo_writer, &h.kilo_ops[kilo_done..kilo_done + n]);
            kilo_done += n;
        }
        for (i, p) in h.pis.iter().enumerate() {
            let all = &pi_all[i];
            if pi_bytes[i] == all.len() || !rng.chance(0.4) {
                continue;
            }
            // A piece of any length, cut anywhere (mid-line: a write in progress).
            let n = (rng.range(1, 3_000) as usize).min(all.len() - pi_bytes[i]);
            append(&p.path, &all[pi_bytes[i]..pi_bytes[i] + n]);
            pi_bytes[i] += n;
        }
        for (i, c) in h.chats.iter().enumerate() {
            let done = chat_turns[i] == c.turns() && !chat_cut[i];
            if done || !rng.chance(0.3) {
                continue;
            }
            chat_turns[i] = (chat_turns[i] + rng.range(0, 4) as usize).min(c.turns()).max(1);
            let doc = c.document(chat_turns[i]);
            chat_cut[i] = rng.chance(0.2);
            let bytes = if chat_cut[i] { cut(&mut rng, &doc) } else { doc };
            rewrite_in_place(&c.path, &bytes, None);
            rewrites += 1;
            cuts += usize::from(chat_cut[i]);
        }
        if zdone < h.zops.len() && rng.chance(0.6) {
            let n = (rng.range(1, 40) as usize).min(h.zops.len() - zdone);
            zcode_write(&zwriter, &h.zops[zdone..zdone + n]);
            zdone += n;
            transactions += 1;
        }
        for (i, t) in h.threads.iter().enumerate() {
            let done = turns[i] == t.turns() && !thread_cut[i];
            if done || !rng.chance(0.3) {
                continue;
            }
            turns[i] = (turns[i] + rng.range(0, 4) as usize).min(t.turns()).max(1);
            let doc = t.document(turns[i]);
            thread_cut[i] = rng.chance(0.2);
            let bytes = if thread_cut[i] { cut(&mut rng, &doc) } else { doc };
            rewrite_in_place(&t.path, &bytes, None);
            rewrites += 1;
            cuts += usize::from(thread_cut[i]);
        }
        for (i, s) in sessions.iter_mut().enumerate() {
            let last = s.steps.len() - 1;
            if (steps[i] == Some(last) && !session_cut[i]) || !rng.chance(0.3) {
                continue;
            }
            let next = steps[i].map_or(0, |n| (n + rng.range(0, 3) as usize).min(last));
            steps[i] = Some(next);
            let doc = s.document(next);
            session_cut[i] = rng.chance(0.2);
            let bytes = if session_cut[i] { cut(&mut rng, &doc) } else { doc };
            let t = s.next_mtime();
            rewrite_in_place(&s.path, &bytes, Some(t));
            rewrites += 1;
            cuts += usize::from(session_cut[i]);
        }
        if ops_done < h.ops.len() && rng.chance(0.6) {
            let n = (rng.range(1, 60) as usize).min(h.ops.len() - ops_done);
            opencode_write(&writer, &h.ops[ops_done..ops_done + n]);
            ops_done += n;
            transactions += 1;
        }
        rounds += 1;
        check_step(&mut prev, sums_of(&daily(&home_dir, &data, false)), &h.exp);
    }
    eprintln!(
        "{rounds} rounds, {rewrites} documents rewritten ({cuts} cut mid-JSON), {transactions} transactions"
    );
    assert!(rounds >= 40, "only {rounds} rounds");
    assert!(cuts >= 20, "only {cuts} documents cut mid-JSON");
    assert!(transactions >= 20, "only {transactions} transactions");
    check_end(tmp.path(), &home_dir, &data, &h.exp, (writer, kilo_writer, zwriter));
}

/// The same while another thread rewrites the documents and writes the database during the
/// scans (a scan sees a document change between its size and its read, or a row committed
/// while it reads): once the writer stops, one more scan reports exactly what was written.
#[test]
fn documents_totals_and_a_database_grown_while_scans_run() {
    let tmp = tempfile::tempdir().unwrap();
    let home_dir = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0x6E0_5A9F);
    let Home { threads, chats, zops, mut sessions, ops, kilo_ops, pis, exp } = home(&mut rng, &home_dir);
    let staging = tmp.path().join("staging");
    let done = AtomicBool::new(false);
    let writer = std::thread::scope(|s| {
        let w = s.spawn(|| {
            // Stops the scans however this thread ends (a panic here must fail the test, not
            // leave the scans looping).
            struct Done<'a>(&'a AtomicBool);
            impl Drop for Done<'_> {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::SeqCst);
                }
            }
            let _done = Done(&done);
            let mut rng = Rng::new(11);
            let writer = opencode_writer(&home_dir);
            let kilo_writer = db_writer(&kilo_db(&home_dir));
            let zwriter = zcode_writer(&home_dir);
            let (mut turns, mut steps, mut ops_done) =
                (vec![0usize; threads.len()], vec![0usize; sessions.len()], 0);
            let (mut kilo_done, mut pi_lines) = (0, vec![0usize; pis.len()]);
            let (mut chat_turns, mut zdone) = (vec![0usize; chats.len()], 0);
            loop {
                // The second document tool and the second database, a step at a time.
                if let Some(i) = (0..chats.len()).find(|&i| chat_turns[i] < chats[i].turns()) {
                    if rng.chance(0.3) {
                        chat_turns[i] = (chat_turns[i] + rng.range(1, 4) as usize).min(chats[i].turns());
                        rewrite_in_place(&chats[i].path, &chats[i].document(chat_turns[i]), None);
                    }
                }
                if zdone < zops.len() && rng.chance(0.3) {
                    let n = (rng.range(1, 20) as usize).min(zops.len() - zdone);
                    zcode_write(&zwriter, &zops[zdone..zdone + n]);
                    zdone += n;
                }
                let open_t: Vec<usize> =
                    (0..threads.len()).filter(|&i| turns[i] < threads[i].turns()).collect();
                let open_s: Vec<usize> =
                    (0..sessions.len()).filter(|&i| steps[i] < sessions[i].steps.len()).collect();
                let open_p: Vec<usize> =
                    (0..pis.len()).filter(|&i| pi_lines[i] < pis[i].lines.len()).collect();
                if open_t.is_empty()
                    && open_s.is_empty()
                    && ops_done == ops.len()
                    && kilo_done == kilo_ops.len()
                    && open_p.is_empty()
                    && zdone == zops.len()
                    && chat_turns.iter().zip(&chats).all(|(n, c)| *n == c.turns())
                {
                    break;
                }
                match rng.below(5) {
                    3 if kilo_done < kilo_ops.len() => {
                        let n = (rng.range(1, 30) as usize).min(kilo_ops.len() - kilo_done);
                        opencode_write(&kilo_writer, &kilo_ops[kilo_done..kilo_done + n]);
                        kilo_done += n;
                    }
                    4 if !open_p.is_empty() => {
                        let i = open_p[rng.below(open_p.len() as u64) as usize];
                        let to = (pi_lines[i] + rng.range(1, 4) as usize).min(pis[i].lines.len());
                        append(&pis[i].path, &pis[i].bytes(pi_lines[i], to));
                        pi_lines[i] = to;
                    }
                    0 if !open_t.is_empty() => {
                        let i = open_t[rng.below(open_t.len() as u64) as usize];
                        turns[i] = (turns[i] + rng.range(1, 3) as usize).min(threads[i].turns());
                        rewrite_in_place(&threads[i].path, &threads[i].document(turns[i]), None);
                    }
                    1 if !open_s.is_empty() => {
                        let i = open_s[rng.below(open_s.len() as u64) as usize];
                        let t = sessions[i].next_mtime();
                        // Not in place: the observation's time is the mtime set after writing.
                        replace_with(&sessions[i].path, &staging, &sessions[i].document(steps[i]), t);
                        steps[i] += 1;
                    }
                    _ if ops_done < ops.len() => {
                        let n = (rng.range(1, 30) as usize).min(ops.len() - ops_done);
                        opencode_write(&writer, &ops[ops_done..ops_done + n]);
                        ops_done += n;
                    }
                    _ => continue,
                }
                // Pace the writer so scans overlap the growth (correctness never depends on it).
                std::thread::sleep(Duration::from_micros(rng.range(0, 4000)));
            }
            (writer, kilo_writer, zwriter)
        });
        let mut prev = Expected::new();
        let mut scans = 0;
        while !done.load(Ordering::SeqCst) {
            check_step(&mut prev, sums_of(&daily(&home_dir, &data, false)), &exp);
            scans += 1;
        }
        eprintln!("{scans} scans while growing");
        assert!(scans >= 5, "only {scans} scans overlapped the writer");
        w.join().unwrap()
    });
    check_end(tmp.path(), &home_dir, &data, &exp, writer);
}
