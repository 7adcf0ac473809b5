#!/usr/bin/env python3
"""Writes a synthetic Hermes Agent state.db under HOME (~/.hermes/state.db) for the ccusage
comparison: python3 hermes.py HOME --seed N [--agree]. Prints the ccusage subcommand.

Both corpora hold the per-day and per-model rows (session_daily_usage, session_model_usage)
that repeat each session's counters (neither tool adds them) and reasoning inside output.
Traps written without --agree (where ccusage 20.0.24 differs): sessions that end on a later day
than they started (ccusage dates a session's whole total by started_at; Tokenworth by ended_at,
and by the days it observed the growth) and sessions still running (no ended_at: Tokenworth
dates what it observes when it observes it, today)."""
import argparse, json, os, random, sqlite3

SCHEMA = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, source TEXT NOT NULL, user_id TEXT, model TEXT, model_config TEXT, system_prompt TEXT,
  parent_session_id TEXT, started_at REAL NOT NULL, ended_at REAL, end_reason TEXT, message_count INTEGER DEFAULT 0,
  tool_call_count INTEGER DEFAULT 0, input_tokens INTEGER DEFAULT 0, output_tokens INTEGER DEFAULT 0,
  cache_read_tokens INTEGER DEFAULT 0, cache_write_tokens INTEGER DEFAULT 0, reasoning_tokens INTEGER DEFAULT 0,
  billing_provider TEXT, billing_base_url TEXT, billing_mode TEXT, estimated_cost_usd REAL, actual_cost_usd REAL,
  cost_status TEXT, cost_source TEXT, pricing_version TEXT, title TEXT, api_call_count INTEGER DEFAULT 0);
CREATE TABLE session_daily_usage (session_id TEXT NOT NULL, day TEXT NOT NULL, input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0, cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens INTEGER NOT NULL DEFAULT 0, estimated_cost_usd REAL NOT NULL DEFAULT 0, actual_cost_usd REAL NOT NULL DEFAULT 0,
  api_call_count INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (session_id, day));
CREATE TABLE session_model_usage (session_id TEXT NOT NULL, model TEXT NOT NULL, billing_provider TEXT, billing_base_url TEXT,
  billing_mode TEXT, task TEXT, api_call_count INTEGER, input_tokens INTEGER, output_tokens INTEGER, cache_read_tokens INTEGER,
  cache_write_tokens INTEGER, reasoning_tokens INTEGER, estimated_cost_usd REAL, actual_cost_usd REAL, cost_status TEXT,
  cost_source TEXT, first_seen REAL, last_seen REAL);
"""
MODELS = [("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-5"), ("openrouter", "anthropic/claude-opus-4.5")]
START = 1772409600.0  # 2026-03-02T00:00:00Z


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    d = os.path.join(a.home, ".hermes")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "state.db")
    if os.path.exists(path):
        os.remove(path)
    c = sqlite3.connect(path)
    c.executescript(SCHEMA)
    for s in range(250):
        day = rnd.randrange(20)
        started = START + day * 86400 + rnd.randrange(3600, 60000)
        ended = started + rnd.randrange(60, 20000)
        if not a.agree and s % 8 == 0:
            ended += 86400 * rnd.randint(1, 2)
        if not a.agree and s % 13 == 6:
            ended = None
        prov, model = rnd.choice(MODELS)
        inp, out = rnd.randint(500, 300000), rnd.randint(100, 40000)
        cr, cw = rnd.randint(0, 2000000), rnd.randint(0, 80000)
        reasoning = rnd.randint(0, out // 2) if prov == "openai" else 0
        sid = "2026%04d_%06d_%04x" % (day, s, rnd.getrandbits(16))
        est = round(rnd.random(), 4)
        c.execute("INSERT INTO sessions (id, source, model, started_at, ended_at, message_count, input_tokens, output_tokens,"
                  " cache_read_tokens, cache_write_tokens, reasoning_tokens, billing_provider, estimated_cost_usd, api_call_count)"
                  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (sid, rnd.choice(["cli", "telegram", "discord"]), model, started, ended, rnd.randint(2, 80), inp, out, cr, cw,
                   reasoning, prov, est, rnd.randint(1, 40)))
        c.execute("INSERT INTO session_daily_usage VALUES (?,?,?,?,?,?,?,?,?,?)",
                  (sid, "2026-03-%02d" % (2 + day), inp, out, cr, cw, reasoning, est, 0, 1))
        c.execute("INSERT INTO session_model_usage VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (sid, model, prov, "", "api", None, 1, inp, out, cr, cw, reasoning, est, 0, "estimated", "none", started,
                   ended or started))
    c.commit()
    c.close()
    print(json.dumps({"ccusage": "hermes", "env": {}}))


if __name__ == "__main__":
    main()
