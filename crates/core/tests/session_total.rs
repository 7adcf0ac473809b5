//! `session --json`'s total is the sum of the sessions it lists, in the order it lists them:
//! summed in a hash map's order it came out different in its last digits from one run to the
//! next (costs are floating point, and their sum depends on the order).

#[path = "support/ledger.rs"]
mod ledger;

use chrono_tz::Tz;
use ledger::{ledger_with, request};
use tokenworth_core::report::{self, Filter, Pricer};
use tokenworth_pricing::PriceTable;

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;

#[test]
fn the_session_total_is_the_sum_of_the_sessions_shown_every_time() {
    let tmp = tempfile::tempdir().unwrap();
    // Logged costs of very different sizes: their float sum depends on the order of addition.
    let costs = [1e8 + 0.1, 0.3, 1e-8, 0.7, 3.3e-5, 12345.678, 0.2, 7e-3, 1e6 / 3.0, 0.1];
    let events: Vec<_> = (0..40)
        .map(|i| {
            let mut e = request(&format!("k{i}"), &format!("s{i}"), "/p", T + i as i64 * 60_000, 100);
            e.logged_cost_usd = Some(costs[i % costs.len()] * (1.0 + i as f64 / 7.0));
            e
        })
        .collect();
    let store = ledger_with(&tmp.path().join("ledger.db"), &events);
    let table = PriceTable::embedded();
    let utc: Tz = "UTC".parse().unwrap();
    let mut first = None;
    for _ in 0..20 {
        // A new report each time: each builds its maps with new hash keys.
        let pricer = Pricer::new(&table);
        let rep = report::sessions(&store, &pricer, &Filter::new(utc)).unwrap();
        assert_eq!(rep.sessions.len(), 40);
        let shown: f64 = rep.sessions.iter().fold(0.0, |a, s| a + s.totals.cost_usd);
        assert_eq!(rep.total.cost_usd.to_bits(), shown.to_bits(), "the total sums the rows as listed");
        let bits = *first.get_or_insert(rep.total.cost_usd.to_bits());
        assert_eq!(rep.total.cost_usd.to_bits(), bits, "the same total every time");
    }
}
