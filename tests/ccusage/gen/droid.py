#!/usr/bin/env python3
"""Factory Droid corpus for the ccusage side-by-side check.

python3 tests/ccusage/gen/droid.py HOME --seed N [--agree]

Writes ~/.factory/sessions/<project>/<session>.settings.json (cumulative tokenUsage) and the
sibling .jsonl transcript, over ~20 days. Each settings file's mtime is set to the session's
last activity (Tokenworth puts a running total on its file's mtime; ccusage on
providerLockTimestamp). Traps: total-only usage, model only in the transcript, sessions with no
usage yet, thinking tokens. Without --agree also multi-day sessions (last activity days after
providerLockTimestamp): ccusage lands them on the first day, Tokenworth on the mtime's day, so
they are left out with --agree.
"""
import argparse
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

MODELS = [
    ("custom:Claude-Opus-4.5-Thinking-[Anthropic]-0", "anthropic"),
    ("claude-sonnet-4-5-20250929", "anthropic"),
    ("gpt-5.1-codex", "openai"),
    ("gemini-2.5-pro", "google"),
]
PROJECTS = ["-home-dev-acme", "-home-dev-web", "-home-dev-infra", "-home-dev-notes"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    base = datetime(2026, 3, 1, tzinfo=timezone.utc)
    root = os.path.join(a.home, ".factory", "sessions")
    for i in range(300):
        proj = rnd.choice(PROJECTS)
        d = os.path.join(root, proj)
        os.makedirs(d, exist_ok=True)
        sid = "%08x-%04x-4%03x-8%03x-%012x" % (rnd.getrandbits(32), i, rnd.getrandbits(12), rnd.getrandbits(12), rnd.getrandbits(48))
        model, provider = rnd.choice(MODELS)
        # Start between 01:00 and 16:00 so a same-day session never crosses midnight UTC.
        start = base + timedelta(days=rnd.randrange(20), hours=rnd.randrange(1, 16), minutes=rnd.randrange(60))
        end = start + timedelta(minutes=rnd.randrange(1, 300))
        trap = rnd.random()
        if not a.agree and trap < 0.1:
            end = start + timedelta(days=rnd.randrange(1, 4), hours=rnd.randrange(5))
        doc = {"model": model, "reasoningEffort": rnd.choice(["none", "medium", "high"]),
               "autonomyLevel": "auto-medium", "providerLock": provider,
               "providerLockTimestamp": start.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % rnd.randrange(1000),
               "apiProviderLock": provider}
        transcript = [{"type": "session_start", "id": sid, "title": "task %d" % i, "cwd": "/" + proj[1:].replace("-", "/")}]
        if 0.1 <= trap < 0.15:
            pass  # a session that made no request yet: no tokenUsage
        elif 0.15 <= trap < 0.2:
            doc["tokenUsage"] = {"totalTokens": rnd.randrange(1000, 90000)}
        else:
            turns = rnd.randrange(1, 60)
            doc["tokenUsage"] = {
                "inputTokens": turns * rnd.randrange(200, 4000),
                "outputTokens": turns * rnd.randrange(100, 2500),
                "cacheCreationTokens": turns * rnd.randrange(0, 6000),
                "cacheReadTokens": turns * rnd.randrange(5000, 60000),
                "thinkingTokens": turns * rnd.randrange(0, 900) if "Thinking" in model or provider == "openai" else 0,
            }
        if 0.2 <= trap < 0.28:
            del doc["model"]  # the model is named only in the transcript
            name = "Claude Sonnet 4.5 [Anthropic]" if provider == "anthropic" else "GPT-5.1 Codex"
            transcript.append({"type": "message", "id": "m0", "message": {"role": "system", "content": [{"type": "text", "text": "Model: %s\nCwd: /x" % name}]}})
        transcript.append({"type": "message", "id": "m1", "timestamp": start.isoformat().replace("+00:00", "Z"), "message": {"role": "user", "content": [{"type": "text", "text": "hello"}]}})
        p = os.path.join(d, sid + ".settings.json")
        with open(p, "w") as f:
            json.dump(doc, f, indent=2)
        with open(os.path.join(d, sid + ".jsonl"), "w") as f:
            for t in transcript:
                f.write(json.dumps(t) + "\n")
        t = end.timestamp()
        os.utime(p, (t, t))
    print(json.dumps({"ccusage": "droid", "env": {}}))


if __name__ == "__main__":
    sys.exit(main())
