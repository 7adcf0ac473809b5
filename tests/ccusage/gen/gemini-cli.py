#!/usr/bin/env python3
"""Writes a Gemini CLI corpus under HOME (~/.gemini/tmp/<project>/chats/).

usage: gemini-cli.py HOME --seed N [--agree]

Every session is a .jsonl with a metadata line, user/gemini messages, each gemini message
appended twice (tokens null, then with tokens; some a third time with tool calls), $set and
$rewindTo lines, and subagent sessions in chats/<parent>/. Without --agree, some sessions also
keep their legacy session-*.json beside the resumed .jsonl (ccusage counts those messages twice).

Field mapping against ccusage: ccusage's outputTokens excludes thoughts; tokenworth's output is
ccusage's totalTokens - inputTokens - cacheReadTokens - cacheCreationTokens.
"""
import argparse
import json
import os
import random
import uuid
from datetime import datetime, timedelta, timezone

MODELS = ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"]
PROJECTS = ["acme-api", "shop-web", "infra", "notes", "cli-tools", "data-pipeline"]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    start = datetime(2026, 2, 1, tzinfo=timezone.utc)
    tmp = os.path.join(a.home, ".gemini", "tmp")
    for n in range(300):
        project = rnd.choice(PROJECTS)
        chats = os.path.join(tmp, project, "chats")
        os.makedirs(chats, exist_ok=True)
        sid = str(uuid.UUID(int=rnd.getrandbits(128)))
        t = start + timedelta(days=rnd.randrange(20), seconds=rnd.randrange(86400))
        base = "session-%s-%s" % (t.strftime("%Y-%m-%dT%H-%M"), sid[:8])
        meta = {"sessionId": sid, "projectHash": project, "startTime": iso(t), "lastUpdated": iso(t), "kind": "main"}
        lines = [meta]
        messages = []
        model = rnd.choice(MODELS)
        for turn in range(rnd.randint(1, 12)):
            t += timedelta(seconds=rnd.randint(5, 900))
            user = {"id": str(uuid.UUID(int=rnd.getrandbits(128))), "timestamp": iso(t), "type": "user",
                    "content": [{"text": "step %d" % turn}]}
            lines.append(user)
            messages.append(user)
            t += timedelta(seconds=rnd.randint(2, 60))
            prompt = rnd.randint(2000, 120000)
            cached = rnd.choice([0, 0, int(prompt * rnd.uniform(0.3, 0.95))])
            out = rnd.randint(20, 4000)
            thoughts = rnd.choice([0, rnd.randint(50, 3000)])
            tool = rnd.choice([0, 0, 0, rnd.randint(1, 200)])
            mid = str(uuid.UUID(int=rnd.getrandbits(128)))
            msg = {"id": mid, "timestamp": iso(t), "type": "gemini", "content": [{"text": "ok"}],
                   "model": model, "thoughts": [], "tokens": None}
            lines.append(dict(msg))
            msg["tokens"] = {"input": prompt, "output": out, "cached": cached, "thoughts": thoughts,
                             "tool": tool, "total": prompt + out + thoughts + tool}
            lines.append(dict(msg))
            if rnd.random() < 0.4:
                msg["toolCalls"] = [{"id": "read_file-%d" % turn, "name": "read_file", "status": "success"}]
                lines.append(dict(msg))
            messages.append(msg)
            lines.append({"$set": {"lastUpdated": iso(t)}})
            if rnd.random() < 0.05:
                lines.append({"$rewindTo": user["id"]})
        with open(os.path.join(chats, base + ".jsonl"), "w") as f:
            for r in lines:
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
        if not a.agree and rnd.random() < 0.1:
            # Trap: legacy document left beside the .jsonl it was resumed into.
            doc = dict(meta, messages=messages)
            doc.pop("kind")
            with open(os.path.join(chats, base + ".json"), "w") as f:
                json.dump(doc, f)
        if rnd.random() < 0.15:
            csid = str(uuid.UUID(int=rnd.getrandbits(128)))
            sub = os.path.join(chats, sid)
            os.makedirs(sub, exist_ok=True)
            t2 = t + timedelta(seconds=3)
            p, o, c = rnd.randint(1000, 30000), rnd.randint(10, 800), 0
            rec = {"id": str(uuid.UUID(int=rnd.getrandbits(128))), "timestamp": iso(t2), "type": "gemini",
                   "content": [{"text": "found"}], "model": "gemini-2.5-flash", "thoughts": [],
                   "tokens": {"input": p, "output": o, "cached": c, "thoughts": 0, "tool": 0, "total": p + o}}
            with open(os.path.join(sub, csid + ".jsonl"), "w") as f:
                f.write(json.dumps({"sessionId": csid, "projectHash": project, "startTime": iso(t2),
                                    "lastUpdated": iso(t2), "kind": "subagent"}) + "\n")
                f.write(json.dumps(rec) + "\n")
    print(json.dumps({"ccusage": "gemini", "env": {}}))


if __name__ == "__main__":
    main()
