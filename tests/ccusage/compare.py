#!/usr/bin/env python3
"""Compare Tokenworth's daily report with the corpus truth and with ccusage.

Given a corpus home written by `tokenworth-corpus` (it holds expected.json),
for every zone this runs

    tokenworth daily --json --data-dir <tmp> --timezone <zone>
    <ccusage> claude daily --json --offline --timezone <zone>
    <ccusage> codex  daily --json --offline --timezone <zone>

with HOME=<home> and CLAUDE_CONFIG_DIR / CODEX_HOME / XDG_CONFIG_HOME unset,
and checks, per zone and source:

  expected   our per-day token fields == expected.json, exactly
  ccusage    our per-day token fields == ccusage's, exactly
  cost       our cost_usd summed over days is within --cost-tolerance of
             ccusage's (the largest per-day deviation is printed too)

Without a tokenworth binary (not built yet) it checks ccusage against
expected.json instead, which shows where ccusage itself is wrong.

ccusage 20 per-agent commands are used because only `codex daily` reports
reasoning tokens; `ccusage daily --json --by-agent` gives the same token and
cost numbers per agent without reasoning.

Exit status: 0 all checks passed, 1 a check failed, 2 a tool failed to run.
Python 3.8+ standard library only.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"]
SOURCES = ["claude-code", "codex"]
FIELDS = [
    "input_tokens",
    "cache_creation_tokens",
    "cache_read_tokens",
    "output_tokens",
    "reasoning_tokens",
    "total_tokens",
]
# ccusage's Claude report has no reasoning field; the truth for Claude is 0.
CCUSAGE_FIELDS = {
    "claude-code": [f for f in FIELDS if f != "reasoning_tokens"],
    "codex": FIELDS,
}
MONTHS = {m: i + 1 for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])}


class ToolError(Exception):
    pass


def clean_env(home):
    env = dict(os.environ)
    for key in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME"):
        env.pop(key, None)
    env["HOME"] = home
    env["NO_COLOR"] = "1"
    return env


def run_json(cmd, env, timeout):
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as err:
        raise ToolError("cannot run %s: %s" % (shlex.join(cmd), err))
    except subprocess.TimeoutExpired:
        raise ToolError("timed out after %ss: %s" % (timeout, shlex.join(cmd)))
    if proc.returncode != 0:
        raise ToolError("%s exited with %d:\n%s" % (shlex.join(cmd), proc.returncode, proc.stderr.strip()[-2000:]))
    try:
        return json.loads(proc.stdout)
    except ValueError as err:
        raise ToolError("%s printed no JSON (%s); stdout starts: %r" % (shlex.join(cmd), err, proc.stdout[:300]))


def norm_date(value):
    """ccusage prints YYYY-MM-DD; some older builds printed 'Feb 20, 2026'."""
    value = str(value)
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value
    try:
        month, day, year = value.replace(",", "").split()
        return "%04d-%02d-%02d" % (int(year), MONTHS[month[:3]], int(day))
    except (ValueError, KeyError):
        raise ToolError("unexpected date %r in ccusage output" % value)


def expected_days(expected, zone):
    zones = expected.get("zones", {})
    if zone not in zones:
        raise ToolError("expected.json has no zone %s (has %s)" % (zone, ", ".join(sorted(zones))))
    return {d["date"]: {s: dict(t) for s, t in d["sources"].items()} for d in zones[zone]["days"]}


def tokenworth_days(binary, home, data_dir, zone, timeout):
    cmd = [binary, "daily", "--json", "--data-dir", data_dir, "--timezone", zone]
    report = run_json(cmd, clean_env(home), timeout)
    days = {}
    for day in report.get("days", []):
        sources = {}
        for source, t in day.get("sources", {}).items():
            if any(t.get(f, 0) for f in FIELDS):
                sources[source] = t
        if sources:
            days[day["date"]] = sources
    return days


def ccusage_days(cmd, home, zone, timeout):
    env = clean_env(home)
    days = {}
    claude = run_json(cmd + ["claude", "daily", "--json", "--offline", "--timezone", zone], env, timeout)
    for row in claude.get("daily", []):
        t = {
            "input_tokens": row.get("inputTokens", 0),
            "cache_creation_tokens": row.get("cacheCreationTokens", 0),
            "cache_read_tokens": row.get("cacheReadTokens", 0),
            "output_tokens": row.get("outputTokens", 0),
            "reasoning_tokens": 0,
            "total_tokens": row.get("totalTokens", 0),
            "cost_usd": row.get("totalCost", row.get("costUSD", 0.0)),
        }
        if any(t[f] for f in FIELDS):
            days.setdefault(norm_date(row.get("date", row.get("period"))), {})["claude-code"] = t
    codex = run_json(cmd + ["codex", "daily", "--json", "--offline", "--timezone", zone], env, timeout)
    for row in codex.get("daily", []):
        t = {
            "input_tokens": row.get("inputTokens", 0),
            "cache_creation_tokens": row.get("cacheCreationTokens", 0),
            "cache_read_tokens": row.get("cacheReadTokens", 0),
            "output_tokens": row.get("outputTokens", 0),
            "reasoning_tokens": row.get("reasoningOutputTokens", 0),
            "total_tokens": row.get("totalTokens", 0),
            "cost_usd": row.get("costUSD", row.get("totalCost", 0.0)),
        }
        if any(t[f] for f in FIELDS):
            days.setdefault(norm_date(row.get("date", row.get("period"))), {})["codex"] = t
    return days


def diff_tokens(ours, theirs, source, fields):
    """Lines describing per-day differences of one source."""
    lines = []
    for date in sorted(set(ours) | set(theirs)):
        a = ours.get(date, {}).get(source)
        b = theirs.get(date, {}).get(source)
        if a is None and b is None:
            continue
        a = a or {}
        b = b or {}
        bad = ["%s %s vs %s (%+d)" % (f, a.get(f, 0), b.get(f, 0), a.get(f, 0) - b.get(f, 0))
               for f in fields if a.get(f, 0) != b.get(f, 0)]
        if bad:
            lines.append("%s: %s" % (date, "; ".join(bad)))
    return lines


def sum_fields(days, source, fields):
    out = {f: 0 for f in fields}
    for sources in days.values():
        t = sources.get(source)
        if t:
            for f in fields:
                out[f] += t.get(f, 0)
    return out


def cost_check(ours, theirs, source, tolerance):
    """(ok, message) for summed cost of one source."""
    our_total = sum(d[source].get("cost_usd", 0.0) for d in ours.values() if source in d)
    cc_total = sum(d[source].get("cost_usd", 0.0) for d in theirs.values() if source in d)
    worst = (0.0, None, 0.0, 0.0)
    for date in set(ours) | set(theirs):
        a = ours.get(date, {}).get(source, {}).get("cost_usd", 0.0)
        b = theirs.get(date, {}).get(source, {}).get("cost_usd", 0.0)
        if a == b:
            continue
        rel = abs(a - b) / max(abs(b), 1e-9)
        if rel > worst[0]:
            worst = (rel, date, a, b)
    rel_total = abs(our_total - cc_total) / max(abs(cc_total), 1e-9) if (our_total or cc_total) else 0.0
    msg = "total $%.4f vs ccusage $%.4f (%.3f%%)" % (our_total, cc_total, 100 * rel_total)
    if worst[1]:
        msg += "; largest per-day deviation %.3f%% on %s ($%.4f vs $%.4f)" % (
            100 * worst[0], worst[1], worst[2], worst[3])
    return rel_total <= tolerance, msg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", required=True, help="corpus home (holds expected.json)")
    ap.add_argument("--tokenworth", default="target/release/tokenworth",
                    help="tokenworth binary (default: %(default)s); if missing, ccusage is checked against expected.json")
    ap.add_argument("--ccusage", default="bench/node_modules/.bin/ccusage",
                    help="ccusage command line, e.g. 'npx ccusage@20.0.24' (default: %(default)s); '' to skip")
    ap.add_argument("--zones", default=",".join(ZONES), help="comma-separated IANA zones (default: all five)")
    ap.add_argument("--data-dir", help="tokenworth data dir (default: a fresh temp dir, shared by all zones)")
    ap.add_argument("--cost-tolerance", type=float, default=0.02, help="relative (default 0.02 = 2%%)")
    ap.add_argument("--ccusage-informational", action="store_true",
                    help="report differences to ccusage but do not fail on them (for corpora with traps ccusage gets wrong)")
    ap.add_argument("--max-lines", type=int, default=15, help="diff lines shown per failed check")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per tool run")
    args = ap.parse_args()

    home = os.path.abspath(args.home)
    zones = [z.strip() for z in args.zones.split(",") if z.strip()]
    try:
        with open(os.path.join(home, "expected.json")) as fh:
            expected = json.load(fh)
    except (OSError, ValueError) as err:
        print("error: cannot read %s/expected.json: %s" % (home, err), file=sys.stderr)
        return 2

    tw = args.tokenworth
    have_tw = bool(tw) and os.path.isfile(tw) and os.access(tw, os.X_OK)
    cc_cmd = shlex.split(args.ccusage) if args.ccusage else []
    if not have_tw:
        print("NOTE: tokenworth binary %r not found: checking ccusage against expected.json only" % tw)
        if not cc_cmd:
            print("error: neither tokenworth nor ccusage to check", file=sys.stderr)
            return 2

    tmp = None
    data_dir = args.data_dir
    if have_tw and not data_dir:
        tmp = tempfile.TemporaryDirectory(prefix="tokenworth-data-")
        data_dir = tmp.name

    passed = failed = informational = 0
    results = []

    def report(name, ok, detail_lines, info=False):
        nonlocal passed, failed, informational
        if ok:
            passed += 1
            status = "ok  "
        elif info:
            informational += 1
            status = "info"
        else:
            failed += 1
            status = "FAIL"
        print("%s %s" % (status, name))
        shown = detail_lines[: args.max_lines]
        for line in shown:
            print("       " + line)
        if len(detail_lines) > len(shown):
            print("       ... %d more" % (len(detail_lines) - len(shown)))
        results.append((name, ok))

    try:
        for zone in zones:
            exp = expected_days(expected, zone)
            cc = ccusage_days(cc_cmd, home, zone, args.timeout) if cc_cmd else None
            ours = tokenworth_days(tw, home, data_dir, zone, args.timeout) if have_tw else None
            for source in SOURCES:
                if ours is not None:
                    lines = diff_tokens(ours, exp, source, FIELDS)
                    report("[%s] %s: tokenworth == expected" % (zone, source), not lines,
                           ["(ours vs expected) " + l for l in lines])
                    if cc is not None:
                        fields = CCUSAGE_FIELDS[source]
                        lines = diff_tokens(ours, cc, source, fields)
                        report("[%s] %s: tokenworth == ccusage" % (zone, source), not lines,
                               ["(ours vs ccusage) " + l for l in lines], info=args.ccusage_informational)
                        ok, msg = cost_check(ours, cc, source, args.cost_tolerance)
                        report("[%s] %s: cost within %.1f%% of ccusage" % (zone, source, 100 * args.cost_tolerance),
                               ok, [msg], info=args.ccusage_informational)
                        if ok:
                            print("       " + msg)
                        unpriced = sum(d[source].get("unpriced_tokens", 0) for d in ours.values() if source in d)
                        if unpriced:
                            print("       note: %d unpriced tokens for %s" % (unpriced, source))
                else:
                    fields = CCUSAGE_FIELDS[source]
                    lines = diff_tokens(cc, exp, source, fields)
                    if lines:
                        a = sum_fields(cc, source, fields)
                        b = sum_fields(exp, source, fields)
                        lines.insert(0, "all days: " + "; ".join(
                            "%s %+d" % (f, a[f] - b[f]) for f in fields if a[f] != b[f]) + " (ccusage - expected)")
                    report("[%s] %s: ccusage == expected" % (zone, source), not lines,
                           ["(ccusage vs expected) " + l for l in lines], info=args.ccusage_informational)
    except ToolError as err:
        print("error: %s" % err, file=sys.stderr)
        return 2
    finally:
        if tmp is not None:
            tmp.cleanup()

    summary = "%d passed, %d failed" % (passed, failed)
    if informational:
        summary += ", %d informational differences" % informational
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
