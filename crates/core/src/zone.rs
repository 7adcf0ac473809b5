//! A zone's UTC offsets over rollup buckets: what turns 15-minute UTC buckets into local days
//! and hours, for the reports and for the writer's per-day table (`store`).

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::store::BUCKET_MS;

/// One day in milliseconds.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// The UTC offset of `tz` at `ms`, in milliseconds.
pub(crate) fn offset_ms(tz: Tz, ms: i64) -> i64 {
    use chrono::Offset;
    let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().naive_utc();
    i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * 1000
}

/// Splits the buckets `[lo, hi)` into stretches of one UTC offset: `(first, end, offset_ms)`.
/// Offsets are looked at once a day and a change is found by bisection to the bucket (every
/// offset in use changes at a quarter hour; no zone changes twice within a day).
pub(crate) fn offset_stretches(tz: Tz, lo: i64, hi: i64) -> Vec<(i64, i64, i64)> {
    const DAY: i64 = DAY_MS / BUCKET_MS;
    let at = |b: i64| offset_ms(tz, b.saturating_mul(BUCKET_MS));
    let mut out = Vec::new();
    let (mut first, mut off) = (lo, at(lo));
    let mut b = lo;
    while b < hi {
        let next = (b + DAY).min(hi);
        let off_next = if next < hi { at(next) } else { at(hi - 1) };
        if off_next == off {
            b = next;
            continue;
        }
        // The first bucket in (b, next] whose offset is not `off`.
        let (mut ok, mut changed) = (b, if next < hi { next } else { hi - 1 });
        while changed - ok > 1 {
            let mid = ok + (changed - ok) / 2;
            if at(mid) == off {
                ok = mid;
            } else {
                changed = mid;
            }
        }
        out.push((first, changed, off));
        first = changed;
        off = at(changed);
        b = changed;
    }
    if first < hi {
        out.push((first, hi, off));
    }
    out
}
