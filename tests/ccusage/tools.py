#!/usr/bin/env python3
"""Side by side with ccusage 20 for every tool ccusage reads besides Claude Code and Codex.

For each generator tests/ccusage/gen/<id>.py (<id> is Tokenworth's source id):

    python3 gen/<id>.py HOME --seed N [--agree]

writes a corpus of that tool's logs under HOME and prints one JSON line
{"ccusage": "<subcommand>", "env": {VAR: "value with {home}"}}. Then

    tokenworth daily --json --timezone UTC --source <id> --data-dir <tmp>
    ccusage <subcommand> daily --json --offline --timezone UTC

run with HOME set to the corpus, and their per-day input, output, cache-read and cache-write
tokens are compared:

    agree corpus  (--agree: without the traps ccusage gets wrong): must be equal per day;
    full corpus   (every trap): differences are printed, for information.

Exit status: 0 when every agree corpus matched, 1 otherwise, 2 on a usage or setup error.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = [
    ("input_tokens", "inputTokens"),
    ("output_tokens", "outputTokens"),
    ("cache_read_tokens", "cacheReadTokens"),
    ("cache_creation_tokens", "cacheCreationTokens"),
]


def run_json(cmd, env, timeout=600):
    out = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), out.returncode, out.stderr.decode()[-2000:]))
    return json.loads(out.stdout)


def norm_date(v):
    v = str(v)
    if len(v) >= 10 and v[4] == "-":
        return v[:10]
    raise RuntimeError("unexpected date %r in ccusage output" % v)


def ours(binary, source, home, data, env, meanings):
    doc = run_json([binary, "daily", "--json", "--timezone", "UTC", "--source", source, "--data-dir", data], env)
    days = {}
    for d in doc.get("days", []):
        t = d["sources"].get(source)
        if t:
            days[d["date"]] = {k: t.get(k, 0) for k, _ in FIELDS}
            if "output_no_reasoning" in meanings:
                days[d["date"]]["output_tokens"] -= t.get("reasoning_tokens", 0)
    return days


# Where ccusage's fields mean something else than Tokenworth's (README's JSON contract):
#   output_from_total  its outputTokens leaves out thoughts/thinking: output is read as
#                      totalTokens - input - cacheRead - cacheCreation;
#   input_has_cache    its inputTokens includes the cache reads it also reports: input is read as
#                      inputTokens - cacheReadTokens;
#   output_no_reasoning its output (and total) leave out reasoning: compared with Tokenworth's
#                      output - reasoning.
MEANINGS = {
    "gemini-cli": {"output_from_total"},
    "qwen-code": {"output_from_total", "input_has_cache"},
    "droid": {"output_no_reasoning"},
    "goose": {"output_no_reasoning"},
    "amp": {"output_no_reasoning"},
    "codebuff": {"output_no_reasoning"},
    "zcode": {"output_no_reasoning"},
}


def theirs(ccusage, sub, env, meanings):
    doc = run_json([ccusage, sub, "daily", "--json", "--offline", "--timezone", "UTC"], env)
    days = {}
    for row in doc.get("daily", []):
        day = norm_date(row.get("date", row.get("period")))
        t = days.setdefault(day, {k: 0 for k, _ in FIELDS})
        got = {k: int(row.get(c, 0) or 0) for k, c in FIELDS}
        if "output_from_total" in meanings:
            total = int(row.get("totalTokens", 0) or 0)
            got["output_tokens"] = total - got["input_tokens"] - got["cache_read_tokens"] - got["cache_creation_tokens"]
        if "input_has_cache" in meanings:
            got["input_tokens"] -= got["cache_read_tokens"]
        for k, _ in FIELDS:
            t[k] += got[k]
    return days


def compare(a, b):
    diffs = []
    for day in sorted(set(a) | set(b)):
        x = a.get(day, {k: 0 for k, _ in FIELDS})
        y = b.get(day, {k: 0 for k, _ in FIELDS})
        if any(v for v in x.values()) or any(v for v in y.values()):
            for k, _ in FIELDS:
                if x[k] != y[k]:
                    diffs.append("%s %s: tokenworth %d, ccusage %d" % (day, k, x[k], y[k]))
    return diffs


def corpus(gen, home, seed, agree):
    cmd = [sys.executable, gen, home, "--seed", str(seed)] + (["--agree"] if agree else [])
    out = subprocess.run(cmd, capture_output=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), out.stderr.decode()[-2000:]))
    meta = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return meta


def base_env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "CLAUDE_", "CODEX_", "TOKENWORTH_"))}
    env.update({"HOME": home, "NO_COLOR": "1", "TZ": "UTC", "USERPROFILE": home})
    return env


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenworth", required=True)
    ap.add_argument("--ccusage", required=True)
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--only", help="comma list of source ids")
    args = ap.parse_args()
    gens = sorted(f[:-3] for f in os.listdir(os.path.join(HERE, "gen")) if f.endswith(".py") and not f.startswith("_"))
    if args.only:
        gens = [g for g in gens if g in args.only.split(",")]
    if not gens:
        print("no generators found", file=sys.stderr)
        return 2
    status = 0
    for source in gens:
        gen = os.path.join(HERE, "gen", source + ".py")
        for agree in (True, False):
            label = "agree" if agree else "full"
            with tempfile.TemporaryDirectory(prefix="tw-tools-") as tmp:
                home = os.path.join(tmp, "home")
                os.makedirs(home)
                try:
                    meta = corpus(gen, home, args.seed, agree)
                    env = base_env(home)
                    for k, v in (meta.get("env") or {}).items():
                        env[k] = v.replace("{home}", home)
                    meanings = MEANINGS.get(source, set())
                    a = ours(args.tokenworth, source, home, os.path.join(tmp, "data"), env, meanings)
                    b = theirs(args.ccusage, meta["ccusage"], env, meanings)
                except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
                    print("== %s (%s): ERROR %s" % (source, label, e))
                    status = max(status, 1)
                    continue
                diffs = compare(a, b)
                days = len([d for d in a if any(a[d].values())])
                total = sum(sum(t.values()) for t in a.values())
                if not diffs:
                    print("== %s (%s): equal on %d days (%d tokens)" % (source, label, days, total))
                elif agree:
                    print("== %s (%s): DIFFERENT on %d fields" % (source, label, len(diffs)))
                    for d in diffs[:20]:
                        print("   " + d)
                    status = 1
                else:
                    print("== %s (%s): %d fields differ (traps where ccusage is wrong; informational)" % (source, label, len(diffs)))
                    for d in diffs[:5]:
                        print("   " + d)
                if agree and days == 0:
                    print("== %s (agree): the corpus produced no usage" % source)
                    status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
