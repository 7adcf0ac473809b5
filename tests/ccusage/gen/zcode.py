#!/usr/bin/env python3
"""Writes a synthetic ZCode database under HOME (~/.zcode/cli/db/db.sqlite) for the ccusage
comparison: python3 zcode.py HOME --seed N [--agree]. Prints the ccusage subcommand as JSON.

model_usage rows (input including both cache parts, computed_total = input + output + reasoning),
error and cancelled rows, turn_usage rows repeating the calls per turn. Without --agree also the
rows where ccusage 20.0.24 differs: calls without computed_total_tokens but with reasoning_tokens
(ccusage falls back to input + output and drops the reasoning)."""
import argparse, json, os, random, sqlite3

SCHEMA = """
CREATE TABLE session(id TEXT PRIMARY KEY, directory TEXT, title TEXT, version INTEGER);
CREATE TABLE model_usage(id TEXT PRIMARY KEY, session_id TEXT, turn_id TEXT, attempt_index INTEGER, provider_id TEXT,
  model_id TEXT, status TEXT, query_source TEXT, started_at INTEGER, completed_at INTEGER, duration_ms INTEGER,
  input_tokens INTEGER, output_tokens INTEGER, reasoning_tokens INTEGER, cache_creation_input_tokens INTEGER,
  cache_read_input_tokens INTEGER, computed_total_tokens INTEGER);
CREATE TABLE turn_usage(id TEXT PRIMARY KEY, session_id TEXT, turn_id TEXT, status TEXT, started_at INTEGER,
  input_tokens INTEGER, output_tokens INTEGER, reasoning_tokens INTEGER, cache_creation_input_tokens INTEGER,
  cache_read_input_tokens INTEGER, computed_total_tokens INTEGER);
"""
MODELS = ["glm-4.6", "GLM-4.6", "glm-4.5", "glm-4.5-air"]
START = 1772323200000  # 2026-03-01T00:00:00Z


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    d = os.path.join(a.home, ".zcode", "cli", "db")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "db.sqlite")
    if os.path.exists(path):
        os.remove(path)
    c = sqlite3.connect(path)
    c.executescript(SCHEMA)
    n = 0
    for s in range(120):
        sid = "sess_%04d" % s
        c.execute("INSERT INTO session VALUES (?,?,?,2)", (sid, "/home/dev/project%d" % (s % 5), "t"))
        t = START + rnd.randrange(20 * 86400000)
        for turn in range(rnd.randrange(1, 12)):
            tid = "turn_%d" % turn
            sums = [0] * 6
            for attempt in range(rnd.randrange(1, 5)):
                n += 1
                t += rnd.randrange(1000, 1800000)
                cr = rnd.randrange(0, 100000)
                cw = rnd.choice([0, rnd.randrange(100, 5000)])
                fresh = rnd.randrange(10, 8000)
                inp = fresh + cr + cw
                out = rnd.randrange(5, 6000)
                reasoning = rnd.choice([0, rnd.randrange(1, 3000)])
                status = rnd.choice(["completed"] * 8 + ["error", "cancelled"])
                total = inp + out + reasoning
                if not a.agree and reasoning and rnd.random() < 0.2:
                    total = None
                c.execute("INSERT INTO model_usage VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          ("mu_%06d" % n, sid, tid, attempt, "builtin:zai-coding-plan", rnd.choice(MODELS), status,
                           "main_turn", t, t + 3000, 3000, inp, out, reasoning, cw, cr, total))
                for i, v in enumerate([inp, out, reasoning, cw, cr, inp + out + reasoning]):
                    sums[i] += v
            c.execute("INSERT INTO turn_usage VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                      ("tu_%s_%d" % (sid, turn), sid, tid, "completed", t, *sums))
    c.commit()
    c.close()
    print(json.dumps({"ccusage": "zcode", "env": {}}))


if __name__ == "__main__":
    main()
