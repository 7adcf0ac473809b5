//! Property tests of ingest (proptest): whatever the split of each log's growth into appends, and
//! wherever scans are killed (SIGKILL) on the way, the ledger ends at the totals of one read of
//! the final files, every state on the way is a sound prefix, and no half-written line is counted
//! as malformed. A real temporary home, the real `tokenworth` binary.

mod common;

use std::time::Duration;

use common::killer::{Killer, When};
use common::*;
use proptest::prelude::*;

/// Files per case: 3 Claude Code sessions and 2 Codex rollouts, a few turns each.
const FILES: usize = 5;

fn spec() -> Spec {
    Spec { projects: 2, claude_files: 3, codex_files: 2, turns: 6, tool_bytes: 400, big_chance: 0.0 }
}

proptest! {
    // Each case is a dozen or so runs of the binary (about 0.6 s): the count keeps the test well
    // under a minute.
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    /// `cuts[f]`: where file `f`'s growth is split, in thousandths of its final size (any order,
    /// repeats allowed: an empty append); `kills[r]`: whether the scan of round `r` is killed,
    /// and how many microseconds after it starts.
    #[test]
    fn any_split_and_any_kill_point_end_at_one_reads_totals(
        seed in any::<u64>(),
        cuts in prop::collection::vec(prop::collection::vec(0u32..=1000, 0..6), FILES),
        kills in prop::collection::vec(prop::option::of(0u64..80_000), 7),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let data = tmp.path().join("data");
        let (built, files) = generate(&mut common::Rng::new(seed), &home, spec());
        let exp = built.exp;
        assert_eq!(files.len(), FILES);
        // Byte offsets each file has been grown to after each round; the last round ends them.
        let rounds = cuts.iter().map(Vec::len).max().unwrap_or(0) + 1;
        let ends: Vec<Vec<usize>> = files
            .iter()
            .zip(&cuts)
            .map(|((_, bytes), c)| {
                let mut at: Vec<usize> = c.iter().map(|&p| bytes.len() * p as usize / 1000).collect();
                at.sort_unstable();
                at.resize(rounds, bytes.len());
                at[rounds - 1] = bytes.len();
                at
            })
            .collect();
        let mut written = [0usize; FILES];
        let mut k = Killer::new(&home, &data, &exp);
        k.target = exp.clone();
        let kill_points = kills.iter().copied().chain(std::iter::repeat(None)).take(rounds);
        for (round, kill) in kill_points.enumerate() {
            for (f, (path, bytes)) in files.iter().enumerate() {
                let end = ends[f][round];
                if end > written[f] || round == 0 {
                    append(path, &bytes[written[f]..end]);
                    written[f] = end;
                }
            }
            if let Some(us) = kill {
                // Killed (or finished first); `attempt` checks the state left is a sound prefix.
                k.attempt(When::After(Duration::from_micros(us)));
            }
            let now = sums_of(&daily(&home, &data, false));
            assert_le(&k.prev, &now, "usage already counted went missing");
            assert_le(&now, &exp, "usage counted twice");
            k.prev = now;
        }
        let killed = k.kills;
        let got = daily(&home, &data, false);
        prop_assert_eq!(sums_of(&got), exp, "after the appends and kills vs what was written");
        let reference_dir = tmp.path().join("ref");
        let reference = daily(&home, &reference_dir, false);
        assert_same_daily(&got, &reference, "after the appends and kills vs one read");
        let grown = sources(&home, &data);
        prop_assert_eq!(&grown, &sources(&home, &reference_dir), "files, events, skipped lines");
        prop_assert!(grown.values().all(|s| s.2 == 0), "a half-written line was counted as malformed: {:?}", grown);
        assert_ledger_consistent(&data, true);
        eprintln!("{rounds} rounds, {killed} scans killed while running");
    }
}
