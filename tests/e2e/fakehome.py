"""Writes a fake $HOME of Claude Code and Codex logs whose timestamps are relative to now, so
the dashboard's today / 7 days / 30 days all have data. Lines have the tools' real shapes (see
crates/core/tests/fixtures)."""

import json
import os
from datetime import datetime, timedelta, timezone


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def claude_line(session, cwd, n, ts, model="claude-sonnet-4-5-20250929", inp=1200, cw=3000, cr=40000, out=800):
    return json.dumps({
        "parentUuid": None, "isSidechain": False, "userType": "external", "cwd": cwd,
        "sessionId": session, "version": "2.1.40", "gitBranch": "main", "type": "assistant",
        "uuid": f"u-{session}-{n}", "timestamp": iso(ts),
        "message": {"id": f"msg_{session}_{n}", "type": "message", "role": "assistant", "model": model,
                    "content": [{"type": "text", "text": "done " * 20}], "stop_reason": "end_turn",
                    "usage": {"input_tokens": inp, "cache_creation_input_tokens": cw,
                              "cache_read_input_tokens": cr, "output_tokens": out,
                              "service_tier": "standard",
                              "cache_creation": {"ephemeral_5m_input_tokens": cw, "ephemeral_1h_input_tokens": 0}}},
        "requestId": f"req_{session}_{n}"}, separators=(",", ":"))


def claude_session(home, project_dir, session, start, requests, model="claude-sonnet-4-5-20250929"):
    d = os.path.join(home, ".claude", "projects", "-" + project_dir.strip("/").replace("/", "-"))
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, session + ".jsonl")
    with open(path, "a") as f:
        for i in range(requests):
            f.write(claude_line(session, project_dir, i, start + timedelta(minutes=3 * i), model) + "\n")
    return path


def codex_session(home, cwd, sid, start, turns):
    day = start.astimezone(timezone.utc)
    d = os.path.join(home, ".codex", "sessions", day.strftime("%Y"), day.strftime("%m"), day.strftime("%d"))
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"rollout-{day.strftime('%Y-%m-%dT%H-%M-%S')}-{sid}.jsonl")
    lines = [
        {"timestamp": iso(start), "type": "session_meta",
         "payload": {"id": sid, "timestamp": iso(start), "cwd": cwd, "originator": "codex_cli_rs",
                     "cli_version": "0.120.0", "git": {"branch": "main"}}},
        {"timestamp": iso(start), "type": "turn_context",
         "payload": {"cwd": cwd, "approval_policy": "on-request", "model": "gpt-5-codex"}},
    ]
    tot = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0, "reasoning_output_tokens": 0, "total_tokens": 0}
    for i in range(turns):
        last = {"input_tokens": 9000, "cached_input_tokens": 6000, "output_tokens": 700,
                "reasoning_output_tokens": 300, "total_tokens": 9700}
        for k in tot:
            tot[k] += last[k]
        lines.append({"timestamp": iso(start + timedelta(minutes=2 * i + 1)), "type": "event_msg",
                      "payload": {"type": "token_count",
                                  "info": {"total_token_usage": dict(tot), "last_token_usage": last,
                                           "model_context_window": 272000}, "rate_limits": None}})
    with open(path, "w") as f:
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
    return path


def write_home(home, now=None):
    """A month of history ending now. Returns the path of a Claude log to append to."""
    now = now or datetime.now(timezone.utc)
    today_log = claude_session(home, "/work/acme-web", "0a1b2c3d-today-web", now - timedelta(minutes=40), 6)
    claude_session(home, "/work/acme-api", "1b2c3d4e-today-api", now - timedelta(minutes=90), 3,
                   model="claude-opus-4-1-20250805")
    codex_session(home, "/work/acme-api", "0195aaaa-bbbb-7ccc-8ddd-eeeeffff0001", now - timedelta(minutes=30), 4)
    claude_session(home, "/work/acme-web", "2c3d4e5f-three-days", now - timedelta(days=3, hours=2), 8)
    codex_session(home, "/work/tools", "0195aaaa-bbbb-7ccc-8ddd-eeeeffff0002", now - timedelta(days=5), 5)
    claude_session(home, "/work/tools", "3d4e5f6a-twenty-days", now - timedelta(days=20), 12)
    claude_session(home, "/work/old", "4e5f6a7b-forty-days", now - timedelta(days=40), 4)
    return today_log


def append_requests(path, session, cwd, first_n, count, now=None):
    now = now or datetime.now(timezone.utc)
    with open(path, "a") as f:
        for i in range(count):
            f.write(claude_line(session, cwd, first_n + i, now - timedelta(seconds=count - i)) + "\n")
            f.flush()


def append_prompt(path, session, cwd, text, now=None):
    """A user's prompt, as Claude Code logs it, and the same text in a line cut short (skipped
    and counted): neither may reach the app's log."""
    now = now or datetime.now(timezone.utc)
    user = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": cwd,
            "sessionId": session, "version": "2.1.40", "gitBranch": "main", "type": "user",
            "uuid": f"u-{session}-prompt", "timestamp": iso(now - timedelta(minutes=41)),
            "message": {"role": "user", "content": text}}
    with open(path, "a") as f:
        f.write(json.dumps(user, separators=(",", ":")) + "\n")
        f.write('{"type":"assistant","message":{"content":"' + text + '"\n')


if __name__ == "__main__":
    import sys
    print(write_home(sys.argv[1]))
