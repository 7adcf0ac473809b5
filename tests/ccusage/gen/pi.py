#!/usr/bin/env python3
"""Writes synthetic Pi session files under HOME (~/.pi/agent/sessions/--<cwd>--/<time>_<id>.jsonl)
for the ccusage comparison: python3 pi.py HOME --seed N [--agree]. Prints the ccusage subcommand.

Traps written without --agree: forked sessions (pi's forkFrom / createBranchedSession copy the
source session's entries verbatim into a new file, in another project folder or the same one,
with a header naming the source file in parentSession). Tokenworth keys a turn by entry id and
timestamp; ccusage 20.0.24 counts a copy again when the header's parentSession does not name a
file it read (measured: the same two files count twice once the parent path points elsewhere),
and once when it does, as here: the full corpus is expected to be equal. Aborted turns
(all-zero usage) are in both corpora."""
import argparse, json, os, random
from datetime import datetime, timedelta, timezone

MODELS = [("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-opus-4-5"), ("openai", "gpt-5"),
          ("google", "gemini-2.5-pro")]
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
    root = os.path.join(a.home, ".pi", "agent", "sessions")
    sessions = []
    for s in range(200):
        cwd = "/home/dev/project%d" % (s % 6)
        folder = "--" + cwd.strip("/").replace("/", "-") + "--"
        t = START + timedelta(days=rnd.randrange(20), seconds=rnd.randrange(3600, 70000))
        sid = "%08x-%04x-4000-8000-%012x" % (rnd.getrandbits(32), s, rnd.getrandbits(48))
        prov, model = rnd.choice(MODELS)
        rows = [{"type": "session", "version": 3, "id": sid, "timestamp": iso(t), "cwd": cwd}]
        rows.append({"type": "model_change", "id": "%08x" % rnd.getrandbits(32), "parentId": None,
                     "timestamp": iso(t), "provider": prov, "modelId": model})
        parent = rows[-1]["id"]
        for m in range(rnd.randint(2, 14)):
            t += timedelta(seconds=rnd.randint(5, 200))
            uid = "%08x" % rnd.getrandbits(32)
            rows.append({"type": "message", "id": uid, "parentId": parent, "timestamp": iso(t),
                         "message": {"role": "user", "content": "task %d" % m, "timestamp": 0}})
            t += timedelta(seconds=rnd.randint(2, 90))
            aid = "%08x" % rnd.getrandbits(32)
            aborted = rnd.random() < 0.05
            u = {"input": 0 if aborted else rnd.randint(1, 4000), "output": 0 if aborted else rnd.randint(5, 5000),
                 "cacheRead": 0 if aborted else rnd.randint(0, 120000), "cacheWrite": 0 if aborted else rnd.randint(0, 9000)}
            u["totalTokens"] = sum(u.values())
            u["cost"] = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": round(rnd.random() / 10, 6)}
            rows.append({"type": "message", "id": aid, "parentId": uid, "timestamp": iso(t),
                         "message": {"role": "assistant", "content": [{"type": "text", "text": "ok"}],
                                     "api": "x", "provider": prov, "model": model, "usage": u,
                                     "stopReason": "aborted" if aborted else "stop", "timestamp": 0}})
            parent = aid
        path = os.path.join(root, folder, "%s_%s.jsonl" % (rows[0]["timestamp"].replace(":", "-").replace(".", "-"), sid))
        sessions.append((path, rows, cwd, t))
    if not a.agree:
        # Forks: every 7th session copied into another project (forkFrom), every 11th extracted
        # as a branch into its own folder (createBranchedSession), each with a new turn or none.
        for i, (path, rows, cwd, t) in enumerate(list(sessions)):
            if i % 7 and i % 11:
                continue
            target = "/home/dev/fork%d" % i if i % 7 == 0 else cwd
            folder = "--" + target.strip("/").replace("/", "-") + "--"
            t2 = t + timedelta(hours=rnd.randint(1, 30))
            fid = "%08x-f000-4000-8000-%012x" % (rnd.getrandbits(32), i)
            body = rows[1:] if i % 7 == 0 else rows[1:1 + 2 * rnd.randint(1, max(1, (len(rows) - 2) // 2))]
            new = [{"type": "session", "version": 3, "id": fid, "timestamp": iso(t2), "cwd": target,
                    "parentSession": path}] + body
            fpath = os.path.join(root, folder, "%s_%s.jsonl" % (iso(t2).replace(":", "-").replace(".", "-"), fid))
            sessions.append((fpath, new, target, t2))
    for path, rows, _, _ in sessions:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    print(json.dumps({"ccusage": "pi", "env": {}}))


if __name__ == "__main__":
    main()
