#!/usr/bin/env python3
"""Interleaved pairs: tokenworth against ccusage's native binary on one home, same run.

    python3 bench/pairs.py --home DIR --tokenworth BIN --ccusage BIN [--pairs 10] [--data DIR]
        [--json OUT] [--env K=V ...]

Each cold pair runs `tokenworth daily --json` on an empty data dir (every log read and stored)
and `ccusage daily --json --offline` (which reads every log on every run); each warm pair runs
`tokenworth daily --json` on the data dir the cold runs left (nothing new) and ccusage again.
The order alternates from pair to pair, and one unmeasured run of each comes first (page cache
warm). Prints, and writes with --json, the median of the paired ratios tokenworth/ccusage with
their min and max, and the medians of each side. bench/run.sh and bench/mixed.py use it.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def clean_env(home, extra=None):
    """The caller's environment without any tool's or Tokenworth's overrides, HOME at the corpus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "CLAUDE_", "CODEX_", "TOKENWORTH_"))}
    env.update({"HOME": home, "NO_COLOR": "1"})
    env.update(extra or {})
    return env


def timed(cmd, env):
    """Wall seconds of one run; a failing command is an error, not a fast run."""
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - t


def paired(first, second, pairs):
    """Runs `first` and `second` `pairs` times each, alternating which goes first. Returns the
    two lists of seconds and the ratios first/second of each pair."""
    a, b, ratios = [], [], []
    for i in range(pairs):
        if i % 2 == 0:
            x, y = first(), second()
        else:
            y, x = second(), first()
        a.append(x)
        b.append(y)
        ratios.append(x / y)
    return a, b, ratios


def summary(a, b, ratios):
    return {
        "pairs": len(ratios),
        "tokenworth_median_ms": statistics.median(a) * 1e3,
        "ccusage_median_ms": statistics.median(b) * 1e3,
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "tokenworth_ms": [x * 1e3 for x in a],
        "ccusage_ms": [x * 1e3 for x in b],
    }


def line(name, s):
    return "%s: tokenworth median %.1f ms, ccusage %.1f ms; paired ratio median %.3f (min %.3f, max %.3f, %d pairs)" % (
        name, s["tokenworth_median_ms"], s["ccusage_median_ms"], s["ratio_median"], s["ratio_min"],
        s["ratio_max"], s["pairs"])


def run(home, tokenworth, ccusage, pairs, data, extra_env=None, zone=None):
    env = clean_env(home, extra_env)
    if zone:
        env["TZ"] = zone
    tw = [tokenworth, "daily", "--json", "--data-dir", data]
    cc = [ccusage, "daily", "--json", "--offline"]

    def tw_cold():
        shutil.rmtree(data, ignore_errors=True)
        return timed(tw, env)

    def tw_warm():
        return timed(tw, env)

    def cc_run():
        return timed(cc, env)

    # One unmeasured run of each: the page cache holds the corpus and both binaries.
    tw_cold()
    cc_run()
    cold = summary(*paired(tw_cold, cc_run, pairs))
    tw_cold()  # the warm pairs read the ledger one cold run left
    tw_warm()
    warm = summary(*paired(tw_warm, cc_run, pairs))
    return {"cold": cold, "warm": warm}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True)
    ap.add_argument("--tokenworth", required=True)
    ap.add_argument("--ccusage", required=True, help="ccusage's native binary")
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--data", help="the data dir to use (default: <home>/../pairs-data, removed after)")
    ap.add_argument("--json", help="write the result here")
    ap.add_argument("--env", action="append", default=[], help="K=V added to both commands' environment")
    ap.add_argument("--tz", default="UTC")
    a = ap.parse_args()
    if a.pairs < 1:
        ap.error("--pairs must be at least 1")
    data = a.data or os.path.join(os.path.dirname(os.path.abspath(a.home)), "pairs-data")
    extra = dict(kv.split("=", 1) for kv in a.env)
    try:
        out = run(a.home, a.tokenworth, a.ccusage, a.pairs, data, extra, a.tz)
    except subprocess.CalledProcessError as e:
        sys.exit("failed: %s\n%s" % (" ".join(e.cmd), (e.stderr or b"").decode(errors="replace")[-2000:]))
    finally:
        if not a.data:
            shutil.rmtree(data, ignore_errors=True)
    print(line("cold daily --json (empty data dir) vs ccusage", out["cold"]))
    print(line("warm daily --json (nothing new) vs ccusage", out["warm"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
