#!/usr/bin/env python3
"""GitHub Copilot CLI corpus for the ccusage side-by-side check and bench/mixed.py.

python3 tests/ccusage/gen/copilot-cli.py HOME --seed N [--agree]

Writes ~/.copilot/session-state/<uuid>/events.jsonl over ~20 days: session.start, user and
assistant messages, tool events (some quoting "session.shutdown" in a command), and one
session.shutdown per process run with that run's per-model modelMetrics (inputTokens include
cache reads and writes). Without --agree also the traps ccusage reads differently: sessions
resumed on a later day (a second run, a second shutdown: ccusage 20.0.24 keeps only each
model's latest shutdown of a session), OpenTelemetry file export (~/.copilot/otel/*.jsonl chat
spans, which Tokenworth counts instead of that session's shutdown totals, on the calls' own
times), Gemini reasoning tokens (added to output by Tokenworth) and sessions in the older flat
layout (session-state/<uuid>.jsonl).
"""
import argparse
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

MODELS = ["claude-sonnet-4.5", "claude-opus-4.5", "gpt-5.1", "gpt-5-mini", "gemini-2.5-pro"]
PROJECTS = ["/home/dev/acme-api", "/home/dev/web", "/home/dev/infra"]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def J(o):
    return json.dumps(o, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    base = datetime(2026, 3, 1, tzinfo=timezone.utc)
    root = os.path.join(a.home, ".copilot", "session-state")
    otel_dir = os.path.join(a.home, ".copilot", "otel")
    os.makedirs(root, exist_ok=True)
    otel = []
    for i in range(200):
        sid = "%08x-%04x-4%03x-8%03x-%012x" % (rnd.getrandbits(32), i, rnd.getrandbits(12), rnd.getrandbits(12), rnd.getrandbits(48))
        cwd = rnd.choice(PROJECTS)
        pool = [m for m in MODELS if not (a.agree and m.startswith("gemini"))]
        models = rnd.sample(pool, rnd.randrange(1, 3))
        start = base + timedelta(days=rnd.randrange(20), hours=rnd.randrange(1, 18), minutes=rnd.randrange(60))
        trap = rnd.random()
        use_otel = not a.agree and trap < 0.15
        flat = not a.agree and 0.15 <= trap < 0.2
        runs = 2 if rnd.random() < 0.2 else 1
        if a.agree:
            # ccusage 20.0.24 keeps only the latest shutdown per (session, model): a resumed
            # session is a trap it reads differently (docs/log-formats.md, Copilot CLI).
            runs = 1
        lines = [J({"type": "session.start", "id": sid + "-s", "timestamp": iso(start), "parentId": None,
                    "data": {"sessionId": sid, "version": 1, "producer": "copilot-agent", "copilotVersion": "0.0.400",
                             "startTime": iso(start), "context": {"cwd": cwd, "gitRoot": cwd, "model": models[0]}}})]
        t = start
        for run in range(runs):
            if run:
                t += timedelta(days=rnd.randrange(1, 3), hours=rnd.randrange(3))
                lines.append(J({"type": "session.resume", "id": "%s-r%d" % (sid, run), "timestamp": iso(t), "data": {"resumeTime": iso(t)}}))
            metrics = {}
            for n in range(rnd.randrange(1, 25)):
                m = rnd.choice(models)
                t += timedelta(seconds=rnd.randrange(5, 120), milliseconds=rnd.randrange(1000))
                cr = rnd.randrange(0, 60000)
                cw = rnd.randrange(0, 4000) if m.startswith("claude") else 0
                inp = cr + cw + rnd.randrange(100, 5000)
                out = rnd.randrange(20, 3000)
                rs = rnd.randrange(0, 500) if m.startswith("gemini") else 0
                lines.append(J({"type": "user.message", "id": "%s-u%d-%d" % (sid, run, n), "timestamp": iso(t), "data": {"content": "step %d" % n}}))
                if rnd.random() < 0.1:
                    lines.append(J({"type": "tool.execution_start", "id": "%s-t%d-%d" % (sid, run, n), "timestamp": iso(t),
                                    "data": {"toolName": "bash", "arguments": {"command": "grep '\"type\":\"session.shutdown\"' events.jsonl"}}}))
                lines.append(J({"type": "assistant.message", "id": "%s-a%d-%d" % (sid, run, n), "timestamp": iso(t),
                                "data": {"model": m, "outputTokens": out, "content": "ok"}}))
                u = metrics.setdefault(m, {"requests": {"count": 0, "cost": 0},
                                           "usage": {"inputTokens": 0, "outputTokens": 0, "cacheReadTokens": 0, "cacheWriteTokens": 0, "reasoningTokens": 0}})
                u["requests"]["count"] += 1
                u["requests"]["cost"] += 1
                for k, v in (("inputTokens", inp), ("outputTokens", out), ("cacheReadTokens", cr), ("cacheWriteTokens", cw), ("reasoningTokens", rs)):
                    u["usage"][k] += v
                if use_otel:
                    sec = int(t.timestamp())
                    attrs = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "github", "gen_ai.request.model": m,
                             "gen_ai.response.model": m, "gen_ai.conversation.id": sid, "gen_ai.response.id": "resp-%s-%d-%d" % (sid, run, n),
                             "gen_ai.usage.input_tokens": inp, "gen_ai.usage.output_tokens": out,
                             "gen_ai.usage.cache_read.input_tokens": cr, "gen_ai.usage.cache_write.input_tokens": cw}
                    if rs:
                        attrs["gen_ai.usage.reasoning.output_tokens"] = rs
                    otel.append(J({"type": "span", "traceId": "%032x" % rnd.getrandbits(128), "spanId": "%016x" % rnd.getrandbits(64),
                                   "name": "chat " + m, "kind": 2, "startTime": [sec - 3, 0], "endTime": [sec, 0], "attributes": attrs, "status": {"code": 0}}))
            t += timedelta(seconds=rnd.randrange(5, 300))
            lines.append(J({"type": "session.shutdown", "id": "%s-x%d" % (sid, run), "timestamp": iso(t),
                            "data": {"shutdownType": "routine", "totalPremiumRequests": sum(v["requests"]["count"] for v in metrics.values()),
                                     "modelMetrics": metrics}}))
        if flat:
            path = os.path.join(root, sid + ".jsonl")
        else:
            os.makedirs(os.path.join(root, sid), exist_ok=True)
            path = os.path.join(root, sid, "events.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
    if otel:
        os.makedirs(otel_dir, exist_ok=True)
        with open(os.path.join(otel_dir, "copilot-otel.jsonl"), "w") as f:
            f.write("\n".join(otel) + "\n")
    print(json.dumps({"ccusage": "copilot", "env": {}}))


if __name__ == "__main__":
    sys.exit(main())
