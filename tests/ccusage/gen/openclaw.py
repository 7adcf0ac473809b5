#!/usr/bin/env python3
"""Writes synthetic OpenClaw session files under HOME (~/.openclaw/agents/<agent>/sessions/<id>.jsonl)
for the ccusage comparison: python3 openclaw.py HOME --seed N [--agree]. Prints the ccusage
subcommand.

Both corpora hold turns that name no model (the model comes from the last model_change or
model-snapshot entry) and a sessions.json index. Without --agree: sessions reset or deleted
(the file renamed to <id>.jsonl.reset.<time> / .jsonl.deleted.<time>, and for a reset a new
file under the old name that copies the entries and continues); both tools store each turn
once."""
import argparse, json, os, random
from datetime import datetime, timedelta, timezone

MODELS = [("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-5"), ("anthropic", "claude-opus-4-5")]
START = datetime(2026, 3, 2, tzinfo=timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    files = {}
    for s in range(150):
        agent = ["main", "work", "ops"][s % 3]
        d = os.path.join(a.home, ".openclaw", "agents", agent, "sessions")
        sid = "%08x-%04x-4000-8000-%012x" % (rnd.getrandbits(32), s, rnd.getrandbits(48))
        t = START + timedelta(days=rnd.randrange(20), seconds=rnd.randrange(3600, 70000))
        prov, model = rnd.choice(MODELS)
        rows = [{"type": "session", "version": 3, "id": sid, "timestamp": iso(t), "cwd": "/home/dev/.openclaw/workspace"}]
        if s % 2:
            rows.append({"type": "model_change", "id": "%08x" % rnd.getrandbits(32), "parentId": None,
                         "timestamp": iso(t), "provider": prov, "modelId": model})
        else:
            rows.append({"type": "custom", "customType": "model-snapshot", "id": "%08x" % rnd.getrandbits(32),
                         "parentId": None, "timestamp": iso(t), "data": {"provider": prov, "modelId": model}})
        for m in range(rnd.randint(2, 12)):
            t += timedelta(seconds=rnd.randint(5, 300))
            u = {"input": rnd.randint(1, 5000), "output": rnd.randint(5, 4000), "cacheRead": rnd.randint(0, 90000),
                 "cacheWrite": rnd.randint(0, 6000)}
            u["totalTokens"] = sum(u.values())
            u["cost"] = {"total": round(rnd.random() / 20, 6)}
            msg = {"role": "assistant", "content": [], "usage": u, "stopReason": "stop",
                   "timestamp": int(t.timestamp() * 1000)}
            if rnd.random() < 0.5:
                msg["model"] = model
                msg["provider"] = prov
            rows.append({"type": "message", "id": "%08x" % rnd.getrandbits(32), "parentId": None,
                         "timestamp": iso(t), "message": msg})
        files[os.path.join(d, sid + ".jsonl")] = rows
        index = os.path.join(d, "sessions.json")
        os.makedirs(d, exist_ok=True)
        idx = json.load(open(index)) if os.path.exists(index) else {}
        idx["agent:%s:%d" % (agent, s)] = {"sessionId": sid, "updatedAt": int(t.timestamp() * 1000)}
        json.dump(idx, open(index, "w"))
    if not a.agree:
        for i, path in enumerate(list(files)):
            if i % 5:
                continue
            rows = files[path]
            when = "2026-03-25T10-00-00.000Z"
            kind = "reset" if i % 10 == 0 else "deleted"
            files[path + ".%s.%s" % (kind, when)] = rows
            if kind == "deleted":
                del files[path]
    for path, rows in files.items():
        with open(path, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    print(json.dumps({"ccusage": "openclaw", "env": {}}))


if __name__ == "__main__":
    main()
