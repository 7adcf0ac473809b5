#!/usr/bin/env python3
"""Writes a synthetic Goose sessions.db under HOME (~/.local/share/goose/sessions) for the ccusage
comparison: python3 goose.py HOME --seed N [--agree]. Prints the ccusage subcommand as JSON.

Traps written without --agree (where ccusage 20.0.24 differs): sessions last updated on a later
day than they were created (ccusage dates the whole session by created_at; Tokenworth by the
row's updated_at, and by the days it observed the growth), rows without model_config_json
(written before Goose's schema v6; ccusage skips them), and reasoning (total > input + output:
Tokenworth adds it into output, ccusage only into its total)."""
import argparse, json, os, random, sqlite3
from datetime import datetime, timedelta, timezone

SCHEMA = """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
INSERT INTO schema_version (version) VALUES (13);
CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
  user_set_name BOOLEAN DEFAULT FALSE, session_type TEXT NOT NULL DEFAULT 'user', working_dir TEXT NOT NULL,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  extension_data TEXT DEFAULT '{}', total_tokens INTEGER, input_tokens INTEGER, output_tokens INTEGER,
  accumulated_total_tokens INTEGER, accumulated_input_tokens INTEGER, accumulated_output_tokens INTEGER,
  schedule_id TEXT, recipe_json TEXT, user_recipe_values_json TEXT, provider_name TEXT, model_config_json TEXT,
  accumulated_cost REAL);
"""
MODELS = [("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-5"), ("anthropic", "claude-opus-4-5")]
START = datetime(2026, 3, 2, tzinfo=timezone.utc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    d = os.path.join(a.home, ".local", "share", "goose", "sessions")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "sessions.db")
    if os.path.exists(path):
        os.remove(path)
    c = sqlite3.connect(path)
    c.executescript(SCHEMA)
    per_day = {}
    for s in range(300):
        day = rnd.randrange(20)
        created = START + timedelta(days=day, seconds=rnd.randrange(3600, 60000))
        span = timedelta(seconds=rnd.randrange(60, 20000))
        if not a.agree and s % 8 == 0:
            span += timedelta(days=rnd.randint(1, 3))
        updated = created + span
        per_day[day] = per_day.get(day, 0) + 1
        sid = created.strftime("%Y%m%d") + f"_{per_day[day]}"
        prov, model = rnd.choice(MODELS)
        inp = rnd.randint(2000, 400000)
        out = rnd.randint(200, 40000)
        reasoning = 0 if a.agree or prov != "openai" else rnd.randint(0, 20000)
        cfg = json.dumps({"model_name": model, "context_limit": 200000})
        if not a.agree and s % 11 == 5:
            cfg = None
        fmt = "%Y-%m-%d %H:%M:%S"
        c.execute(
            "INSERT INTO sessions (id, working_dir, created_at, updated_at, total_tokens, input_tokens, output_tokens,"
            " accumulated_total_tokens, accumulated_input_tokens, accumulated_output_tokens, provider_name, model_config_json)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (sid, f"/home/dev/project{s % 6}", created.strftime(fmt), updated.strftime(fmt),
             min(inp, 150000), min(inp, 140000), min(out, 5000), inp + out + reasoning, inp, out,
             prov if cfg else None, cfg))
    c.commit()
    c.close()
    print(json.dumps({"ccusage": "goose", "env": {}}))


if __name__ == "__main__":
    main()
