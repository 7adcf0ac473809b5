#!/usr/bin/env python3
"""Soak of the tray app (issue 15): the app, started hidden on an empty data dir over a large
generated history, ingests it, then watches steady appends for DURATION seconds. Its RSS is read
from /proc every second throughout; at the end the app's ledger must equal a cold CLI scan of the
final logs, day by day and to the token (nothing lost or doubled).

Run by bench/soak.sh (which generates the history and starts Xvfb and D-Bus). Environment:
APP, CLI, HOME_DIR (the history), DATA (the app's data dir), DURATION (s, default 300),
RATE (records a second, default 20), LIMIT_MB (default 150), OUT (a CSV of the RSS samples).
Exits non-zero when the RSS passes LIMIT_MB while watching or the ledger disagrees.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone

from app_bench import children, cpu_ticks  # the app and its descendants; utime + stime

APP = os.environ["APP"]
CLI = os.environ["CLI"]
HOME_DIR = os.environ["HOME_DIR"]
DATA = os.environ["DATA"]
DURATION = float(os.environ.get("DURATION", "300"))
RATE = float(os.environ.get("RATE", "20"))
LIMIT_MB = float(os.environ.get("LIMIT_MB", "150"))
OUT = os.environ.get("OUT")
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TOKENWORTH_", "CLAUDE_", "CODEX_"))}
    e["HOME"] = HOME_DIR
    return e


def rss_mb(pid):
    """RSS of the app and its children (none while it stays in the tray)."""
    total = 0
    for p in children(pid):
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            pass
    return total / 1e6


def cpu_s(pid):
    return cpu_ticks(pid) / TICK


def daily(data_dir, scan):
    args = [CLI, "daily", "--json", "--timezone", "UTC", "--data-dir", data_dir]
    if not scan:
        args.append("--no-scan")
    out = subprocess.run(args, env=env(), capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {out.stderr.strip()}")
    days = json.loads(out.stdout)["days"]
    return {d["date"]: {k: v for k, v in d["total"].items() if k.endswith("_tokens")} for d in days}


def tokens(days):
    return sum(d["total_tokens"] for d in days.values())


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.t0, self.samples, self.phase, self.stop = pid, time.monotonic(), [], "ingest", False

    def run(self):
        while not self.stop:
            self.samples.append((time.monotonic() - self.t0, self.phase, rss_mb(self.pid)))
            time.sleep(1)

    def peak(self, phase):
        vals = [r for _, p, r in self.samples if p == phase]
        return max(vals) if vals else 0.0

    def median(self, phase):
        vals = sorted(r for _, p, r in self.samples if p == phase)
        return vals[len(vals) // 2] if vals else 0.0


def record(session, cwd, n, now):
    """One Claude Code assistant line with its usage (a unique message and request)."""
    usage = {"input_tokens": 3 + n % 7, "cache_creation_input_tokens": 500 + n % 1000,
             "cache_read_input_tokens": 20000 + n * 13 % 50000, "output_tokens": 50 + n % 400}
    line = {
        "parentUuid": str(uuid.uuid4()), "isSidechain": False, "userType": "external", "cwd": cwd,
        "sessionId": session, "version": "2.0.50", "gitBranch": "main",
        "message": {"id": f"msg_soak{uuid.uuid4().hex}", "type": "message", "role": "assistant",
                    "model": "claude-sonnet-4-5-20250929",
                    "content": [{"type": "text", "text": "soak " * (20 + n % 50)}],
                    "stop_reason": None, "stop_sequence": None, "usage": usage},
        "requestId": f"req_soak{uuid.uuid4().hex}", "type": "assistant", "uuid": str(uuid.uuid4()),
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
    }
    return json.dumps(line, separators=(",", ":")) + "\n", sum(usage.values())


def append(duration, rate, rng):
    """Steady appends: RATE records a second, spread over a few live sessions; a new session
    every minute; one record in ten written in two pieces (a half-written line the watcher must
    wait for). Returns (records, tokens)."""
    project = os.path.join(HOME_DIR, ".claude", "projects", "-soak-live")
    os.makedirs(project, exist_ok=True)
    sessions, written, toks = [], 0, 0
    start = time.monotonic()
    next_session = start
    while True:
        now_m = time.monotonic()
        if now_m - start >= duration:
            break
        if now_m >= next_session:
            sid = str(uuid.uuid4())
            sessions = (sessions + [(sid, os.path.join(project, f"{sid}.jsonl"))])[-4:]
            next_session += 60
        sid, path = rng.choice(sessions)
        line, t = record(sid, "/soak/live", written, datetime.now(timezone.utc))
        with open(path, "a") as f:
            if written % 10 == 0:
                cut = len(line) // 2
                f.write(line[:cut])
                f.flush()
                time.sleep(0.05)
                f.write(line[cut:])
            else:
                f.write(line)
        written += 1
        toks += t
        time.sleep(max(0.0, start + written / rate - time.monotonic()))
    return written, toks


def wait_until(what, cond, timeout):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        ok, last = cond()
        if ok:
            return last
        time.sleep(1)
    raise SystemExit(f"soak: FAIL: timed out after {timeout}s waiting for {what}; last: {last}")


def main():
    history = tokens(daily(tempfile.mkdtemp(prefix="soak-cold-"), scan=True))
    print(f"history: {history:,} tokens (cold CLI scan)")
    app = subprocess.Popen([APP, "--hidden", "--data-dir", DATA], env=env(),
                           stdout=open(os.path.join(DATA, "..", "app.out"), "w"), stderr=subprocess.STDOUT)
    s = Sampler(app.pid)
    s.start()
    t0 = time.monotonic()
    try:
        def ingested():
            if app.poll() is not None:
                raise SystemExit(f"soak: FAIL: the app exited with {app.returncode}")
            try:
                got = tokens(daily(DATA, scan=False))
            except (RuntimeError, json.JSONDecodeError, KeyError) as e:
                return False, str(e)[:200]
            return got == history, got
        wait_until("the app's first ingest", ingested, timeout=1800)
        ingest_s = time.monotonic() - t0
        time.sleep(5)
        s.phase = "rest"
        time.sleep(10)
        s.phase = "watch"
        cpu0 = cpu_s(app.pid)
        records, added = append(DURATION, RATE, random.Random(15))
        cpu = cpu_s(app.pid) - cpu0

        def caught_up():
            if app.poll() is not None:
                raise SystemExit(f"soak: FAIL: the app exited with {app.returncode}")
            got = tokens(daily(DATA, scan=False))
            return got == history + added, got
        wait_until("the app to record the appends", caught_up, timeout=120)
        s.phase = "end"
        time.sleep(3)
    finally:
        s.stop = True
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
    if OUT:
        with open(OUT, "w") as f:
            f.write("seconds,phase,rss_mb\n")
            for t, p, r in s.samples:
                f.write(f"{t:.1f},{p},{r:.1f}\n")
    cold = daily(tempfile.mkdtemp(prefix="soak-cold-"), scan=True)
    stored = daily(DATA, scan=False)
    print(f"app's first ingest: {ingest_s:.1f} s, peak RSS {s.peak('ingest'):.0f} MB")
    print(f"resting after it: RSS {s.median('rest'):.0f} MB")
    print(f"watching {DURATION:.0f} s of appends ({records} records, {records / DURATION:.1f}/s, "
          f"{added:,} tokens): RSS median {s.median('watch'):.0f} MB, peak {s.peak('watch'):.0f} MB "
          f"(limit {LIMIT_MB:.0f}); app CPU {cpu:.1f} s ({100 * cpu / DURATION:.1f}% of one core)")
    failed = []
    if stored != cold:
        diff = sorted(d for d in set(stored) | set(cold) if stored.get(d) != cold.get(d))
        failed.append(f"the app's ledger differs from a cold scan on {len(diff)} days: {diff[:5]}")
    if tokens(cold) != history + added:
        failed.append(f"a cold scan holds {tokens(cold):,} tokens, want {history + added:,}")
    if s.peak("watch") > LIMIT_MB or s.peak("rest") > LIMIT_MB:
        failed.append(f"RSS {max(s.peak('watch'), s.peak('rest')):.0f} MB over {LIMIT_MB:.0f} MB while watching")
    for f in failed:
        print(f"soak: FAIL: {f}", file=sys.stderr)
    if failed:
        sys.exit(1)
    print("soak: passed (the ledger equals a cold scan day by day; RSS within the limit)")


if __name__ == "__main__":
    main()
