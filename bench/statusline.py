#!/usr/bin/env python3
"""`tokenworth statusline` warm, beside ccusage 20's `statusline --offline`, on the same input.

    python3 bench/statusline.py --tokenworth target/release/tokenworth \\
        --ccusage bench/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage \\
        --home bench/work/home [--data DIR] [--runs 30] [--cc-runs 10]

The input is what Claude Code passes a status-line command: the JSON of the corpus's newest
Claude Code session (its id and transcript path). The data dir is scanned once first (the
history ingested). Two cases, runs of the two tools interleaved:
- unchanged: nothing new in the session's log (ccusage then answers from its own cache in
  /tmp/ccusage-semaphore, keyed by the transcript's mtime);
- per turn: one new assistant response appended to the transcript before each run, as when
  Claude Code calls the status line after a message (both tools must read it).
Prints the medians, p90 and the ratio. A benchmark, not a test: nothing is asserted. The
per-turn case appends to the corpus's transcript.
"""

import argparse
import glob
import json
import os
import random
import re
import statistics
import subprocess
import tempfile
import time


def env_for(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "CLAUDE_", "CODEX_", "TOKENWORTH_"))}
    env.update({"HOME": home, "NO_COLOR": "1", "TZ": "UTC"})
    return env


def timed(cmd, env, stdin):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t, p.stdout.decode(errors="replace").strip()


def newest_session(home):
    files = glob.glob(os.path.join(home, ".claude/projects/*/*.jsonl"))
    path = max(files, key=os.path.getmtime)
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                sid = json.loads(line).get("sessionId")
            except ValueError:
                continue
            if sid:
                return sid, path
    raise SystemExit(f"no sessionId in {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenworth", required=True)
    ap.add_argument("--ccusage")
    ap.add_argument("--home", required=True)
    ap.add_argument("--data")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--cc-runs", type=int, default=10)
    a = ap.parse_args()
    home = os.path.abspath(a.home)
    data = a.data or tempfile.mkdtemp(prefix="tw-statusline-")
    env = env_for(home)
    sid, path = newest_session(home)
    stdin = json.dumps({
        "hook_event_name": "Status", "session_id": sid, "transcript_path": path, "cwd": home,
        "model": {"id": "claude-sonnet-4-5-20250929", "display_name": "Sonnet 4.5"},
        "workspace": {"current_dir": home, "project_dir": home}, "version": "2.1.40",
    }).encode()
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(home) for f in fs)
    t0 = time.perf_counter()
    subprocess.run([a.tokenworth, "scan", "--data-dir", data], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scan_s = time.perf_counter() - t0
    tw = [a.tokenworth, "statusline", "--data-dir", data]
    cc = [a.ccusage, "statusline", "--offline"] if a.ccusage else None
    _, line = timed(tw, env, stdin)
    cc_line = timed(cc, env, stdin)[1] if cc else ""
    with open(path, encoding="utf-8", errors="replace") as f:
        template = [ln for ln in f if '"type":"assistant"' in ln and '"usage"' in ln][-1]
    rng = random.Random(1)

    def append_turn():
        hexid = lambda n: "".join(rng.choice("0123456789abcdef") for _ in range(n))
        ln = re.sub(r'"id":"msg_[^"]*"', f'"id":"msg_01{hexid(22)}"', template)
        ln = re.sub(r'"requestId":"[^"]*"', f'"requestId":"req_011C{hexid(20)}"', ln)
        ln = re.sub(r'"uuid":"[^"]*"', f'"uuid":"{hexid(8)}-{hexid(4)}-4{hexid(3)}-8{hexid(3)}-{hexid(12)}"', ln)
        with open(path, "a", encoding="utf-8") as f:
            f.write(ln if ln.endswith("\n") else ln + "\n")

    def pct(xs, q):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    print(f"corpus: {size / 1e6:.0f} MB in {home}; first scan {scan_s:.2f} s; session {sid}")
    print(f"tokenworth: {line}")
    if cc:
        print(f"ccusage:    {cc_line}")
    print()
    print("| case | tool | runs | median | p90 |")
    print("|---|---|---:|---:|---:|")
    for case, before in (("unchanged", lambda: None), ("per turn", append_turn)):
        tws, ccs = [], []
        for i in range(max(a.runs, a.cc_runs)):
            if i < a.runs:
                before()
                tws.append(timed(tw, env, stdin)[0])
            if cc and i < a.cc_runs:
                before()
                ccs.append(timed(cc, env, stdin)[0])
        print(f"| {case} | `tokenworth statusline` | {len(tws)} | {statistics.median(tws) * 1000:.1f} ms | {pct(tws, 0.9) * 1000:.1f} ms |")
        if cc:
            print(f"| {case} | `ccusage statusline --offline` | {len(ccs)} | {statistics.median(ccs) * 1000:.1f} ms | {pct(ccs, 0.9) * 1000:.1f} ms |")
    print(f"\nload average after: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
