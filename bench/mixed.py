#!/usr/bin/env python3
"""Cold scan + `daily --json` on a mixed corpus of every tool, side by side with ccusage 20.

    python3 bench/mixed.py --tokenworth target/release/tokenworth \\
        --ccusage bench/node_modules/.bin/ccusage [--corpus target/release/tokenworth-corpus] \\
        [--pairs 10] [--size 100MB] [--keep DIR]

The home holds a Claude Code + Codex corpus from tokenworth-corpus (--size) and one corpus per
generator in tests/ccusage/gen/ (their default sizes). Each pair runs, in alternating order,
`tokenworth daily --json` on an empty data dir (cold: every log read and stored) and
`ccusage daily --json --offline` (which rereads everything on every run), both with HOME at the
corpus and the page cache warm (one unmeasured run of each first). Prints the median of the
paired ratios tokenworth/ccusage, with both medians, and the warm tokenworth time.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pairs import clean_env, paired, timed  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenworth", required=True)
    ap.add_argument("--ccusage", required=True)
    ap.add_argument("--corpus", help="tokenworth-corpus binary (Claude Code + Codex part)")
    ap.add_argument("--size", default="100MB")
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep")
    a = ap.parse_args()
    work = a.keep or tempfile.mkdtemp(prefix="tw-mixed-")
    home = os.path.join(work, "home")
    extra = {}
    if not os.path.isdir(home):
        os.makedirs(home)
        if a.corpus:
            subprocess.run([a.corpus, "--out", home, "--size", a.size, "--seed", str(a.seed)], check=True,
                           stdout=subprocess.DEVNULL)
        gens = sorted(f for f in os.listdir(os.path.join(ROOT, "tests/ccusage/gen")) if f.endswith(".py"))
        for g in gens:
            out = subprocess.run([sys.executable, os.path.join(ROOT, "tests/ccusage/gen", g), home, "--seed",
                                  str(a.seed)], check=True, capture_output=True)
            meta = json.loads(out.stdout.decode().strip().splitlines()[-1])
            for k, v in (meta.get("env") or {}).items():
                extra[k] = v.replace("{home}", home)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(home) for f in fs)
    env = clean_env(home, extra)
    env["TZ"] = "UTC"
    data = os.path.join(work, "data")

    def tw_cold():
        shutil.rmtree(data, ignore_errors=True)
        return timed([a.tokenworth, "daily", "--json", "--data-dir", data], env)

    def cc():
        return timed([a.ccusage, "daily", "--json", "--offline"], env)

    tw_cold()
    cc()
    tws, ccs, ratios = paired(tw_cold, cc, a.pairs)
    warm = [timed([a.tokenworth, "daily", "--json", "--data-dir", data], env) for _ in range(10)]
    print("corpus: %.0f MB in %s" % (size / 1e6, home))
    print("tokenworth cold daily --json: median %.1f ms" % (statistics.median(tws) * 1e3))
    print("ccusage daily --json --offline: median %.1f ms" % (statistics.median(ccs) * 1e3))
    print("paired ratio: median %.3f (min %.3f, max %.3f, %d pairs)" % (
        statistics.median(ratios), min(ratios), max(ratios), a.pairs))
    print("tokenworth warm daily --json: median %.1f ms" % (statistics.median(warm) * 1e3))
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
