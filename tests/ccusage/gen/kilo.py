#!/usr/bin/env python3
"""Writes a synthetic Kilo CLI data directory (~/.local/share/kilo/kilo.db, OpenCode's schema) under
HOME for the ccusage comparison: python3 kilo.py HOME --seed N [--agree]. Prints the ccusage
subcommand.

Traps written without --agree (where ccusage 20.0.24 is wrong): messages of several steps (the
message's tokens are the last step's; ccusage reads only those, Tokenworth sums the step-finish
parts), reasoning tokens (billed as output; ccusage leaves them out of output) and a second
channel's database (kilo-beta.db; ccusage reads only kilo.db)."""
import argparse, json, os, random, sqlite3

SCHEMA = """
CREATE TABLE project (id TEXT PRIMARY KEY, worktree TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, directory TEXT NOT NULL, title TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
"""
MODELS = [("anthropic", "claude-sonnet-4-5"), ("kilo", "claude-opus-4-5"), ("openai", "gpt-5")]
START = 1772409600000  # 2026-03-02T00:00:00Z
DAY = 86400000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    root = os.path.join(a.home, ".local", "share", "kilo")
    os.makedirs(root, exist_ok=True)
    dbs = {"kilo.db": None}
    if not a.agree:
        dbs["kilo-beta.db"] = None
    for name in dbs:
        path = os.path.join(root, name)
        if os.path.exists(path):
            os.remove(path)
        c = sqlite3.connect(path)
        c.executescript(SCHEMA)
        dbs[name] = c
    n = 0
    for s in range(250):
        db = dbs["kilo-beta.db"] if (not a.agree and s % 9 == 8) else dbs["kilo.db"]
        sid = "ses_k%d_%04d" % (a.seed, s)
        proj = "/home/dev/project%d" % (s % 5)
        t = START + rnd.randrange(20) * DAY + rnd.randrange(DAY - 3600000)
        db.execute("INSERT OR IGNORE INTO project VALUES (?,?,?,?)", ("prj%d" % (s % 5), proj, t, t))
        db.execute("INSERT INTO session VALUES (?,?,?,?,?,?)", (sid, "prj%d" % (s % 5), proj, "t", t, t))
        prov, model = rnd.choice(MODELS)
        for m in range(rnd.randint(2, 10)):
            t += rnd.randint(5000, 90000)
            mid = "msg_k%d_%06d" % (a.seed, n)
            n += 1
            steps = []
            for k in range(1 if a.agree else rnd.randint(1, 4)):
                steps.append({"input": rnd.randint(0, 3000), "output": rnd.randint(20, 4000),
                              "reasoning": 0 if a.agree or prov != "openai" else rnd.randint(0, 2000),
                              "cache": {"read": rnd.randint(0, 150000), "write": rnd.randint(0, 8000)}})
            upd = t
            for k, st in enumerate(steps):
                upd += 1000
                db.execute("INSERT INTO part VALUES (?,?,?,?,?,?)", ("prt_%s_%d" % (mid, k), mid, sid, upd, upd, json.dumps(
                    {"type": "step-finish", "reason": "tool-calls", "cost": 0, "tokens": st})))
            data = {"role": "assistant", "modelID": model, "providerID": prov, "path": {"cwd": proj, "root": proj},
                    "time": {"created": t, "completed": upd}, "cost": 0, "tokens": steps[-1]}
            db.execute("INSERT INTO message VALUES (?,?,?,?,?)", (mid, sid, t, upd, json.dumps(data)))
    for c in dbs.values():
        c.commit()
        c.close()
    print(json.dumps({"ccusage": "kilo", "env": {}}))


if __name__ == "__main__":
    main()
