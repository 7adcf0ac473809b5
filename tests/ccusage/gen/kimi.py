#!/usr/bin/env python3
"""Writes synthetic Kimi CLI wire logs under HOME (~/.kimi/sessions/<hash>/<session>/wire.jsonl) for
the ccusage comparison: python3 kimi.py HOME --seed N [--agree]. Prints the ccusage subcommand.

Both corpora hold metadata lines, turn/step events and StatusUpdates without token_usage.
Traps written without --agree (where ccusage 20.0.24 is wrong): sub-agent steps, written into the
parent's wire wrapped in SubagentEvent and into the sub-agent's own wire.jsonl below the session
(Tokenworth stores each step once, by message_id; ccusage 20.0.24 skips the wrapped copy but
reads the nested wire.jsonl, so with both present the full corpus is expected to be equal; a
step only in the wrapper is missed by ccusage)."""
import argparse, json, os, random

START = 1772409600.0  # 2026-03-02T00:00:00Z


def status(rnd, mid):
    return {"type": "StatusUpdate", "payload": {"context_usage": round(rnd.random(), 3), "token_usage": {
        "input_other": rnd.randint(1, 6000), "output": rnd.randint(5, 4000),
        "input_cache_read": rnd.randint(0, 100000), "input_cache_creation": rnd.randint(0, 3000)},
        "message_id": mid}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    share = os.path.join(a.home, ".kimi")
    os.makedirs(share, exist_ok=True)
    n = 0
    for s in range(150):
        d = os.path.join(share, "sessions", "%032x" % (s % 6), "%08x-%04x-4000-8000-%012x" % (rnd.getrandbits(32), s, s))
        os.makedirs(d, exist_ok=True)
        t = START + rnd.randrange(20) * 86400 + rnd.randrange(3600, 70000)
        lines = [{"type": "metadata", "protocol_version": "1.3"}]
        subs = {}
        for turn in range(rnd.randint(1, 5)):
            lines.append({"timestamp": t, "message": {"type": "TurnBegin", "payload": {"user_input": "go"}}})
            for step in range(rnd.randint(1, 4)):
                t += rnd.uniform(1, 60)
                lines.append({"timestamp": t, "message": {"type": "StepBegin", "payload": {"n": step + 1}}})
                t += rnd.uniform(1, 30)
                n += 1
                lines.append({"timestamp": t, "message": status(rnd, "chatcmpl-%d-%d" % (a.seed, n))})
                lines.append({"timestamp": t + 0.01, "message": {"type": "StatusUpdate", "payload": {
                    "context_usage": 0.5, "token_usage": None, "message_id": None}}})
                if not a.agree and rnd.random() < 0.3:
                    agent = "agent-%d" % rnd.randint(1, 2)
                    for k in range(rnd.randint(1, 3)):
                        t += rnd.uniform(1, 20)
                        n += 1
                        ev = status(rnd, "chatcmpl-%d-%d" % (a.seed, n))
                        lines.append({"timestamp": t, "message": {"type": "SubagentEvent", "payload": {
                            "parent_tool_call_id": "tc%d" % n, "agent_id": agent, "subagent_type": "coder", "event": ev}}})
                        subs.setdefault(agent, []).append({"timestamp": t, "message": ev})
            lines.append({"timestamp": t, "message": {"type": "TurnEnd", "payload": {}}})
        with open(os.path.join(d, "wire.jsonl"), "w") as f:
            for l in lines:
                f.write(json.dumps(l) + "\n")
        with open(os.path.join(d, "context.jsonl"), "w") as f:
            f.write(json.dumps({"role": "user", "content": "go"}) + "\n")
        for agent, evs in subs.items():
            sd = os.path.join(d, "subagents", agent)
            os.makedirs(sd, exist_ok=True)
            with open(os.path.join(sd, "wire.jsonl"), "w") as f:
                f.write(json.dumps({"type": "metadata", "protocol_version": "1.3"}) + "\n")
                for l in evs:
                    f.write(json.dumps(l) + "\n")
    print(json.dumps({"ccusage": "kimi", "env": {}}))


if __name__ == "__main__":
    main()
