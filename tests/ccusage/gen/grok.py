#!/usr/bin/env python3
"""Writes a corpus of Grok Build CLI sessions under HOME (~/.grok/sessions/<project>/<session>/updates.jsonl).

usage: grok.py HOME --seed N [--agree]

turn_completed updates with usage (inputTokens including both cache parts, costUsdTicks), split
per model in modelUsage, between message chunks; all-zero turns. Without --agree also the traps
where ccusage 20.0.24 differs: sessions resumed into a new session folder that copies the turns
verbatim (ccusage keys a turn by its folder, so counts it twice) and reasoningTokens larger than
outputTokens (added to output here). Prints one JSON line for the harness.
"""
import argparse, json, os, random

MODELS = ["grok-code-fast-1", "grok-4", "grok-4-fast-reasoning"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    root = os.path.join(a.home, ".grok", "sessions")
    start = 1772323200  # 2026-03-01T00:00:00Z, seconds
    ev = 0
    for s in range(200):
        project = "%2Fhome%2Fdev%2Fproject" + str(s % 6)
        sid = "s-%05d" % s
        t = start + rng.randrange(20 * 86400)
        lines = []
        for _ in range(rng.randrange(1, 15)):
            t += rng.randrange(5, 7200)
            lines.append({"jsonrpc": "2.0", "method": "session/update", "timestamp": t,
                          "params": {"sessionId": sid, "update": {"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "ok"}}}})
            ev += 1
            per = {}
            for m in rng.sample(MODELS, rng.randrange(1, 3)):
                cr = rng.randrange(0, 80000)
                cw = rng.choice([0, rng.randrange(10, 3000)])
                out = rng.randrange(1, 4000)
                reasoning = rng.randrange(0, out)
                if not a.agree and rng.random() < 0.1:
                    reasoning = out + rng.randrange(1, 3000)
                u = {"inputTokens": cr + cw + rng.randrange(1, 9000), "outputTokens": out, "cachedReadTokens": cr,
                     "cacheCreationTokens": cw, "reasoningTokens": reasoning, "costUsdTicks": rng.randrange(1, 10**9)}
                if rng.random() < 0.03:
                    u = {"inputTokens": 0, "outputTokens": 0}
                per[m] = u
            total = {k: sum(u.get(k, 0) for u in per.values()) for k in ("inputTokens", "outputTokens", "cachedReadTokens", "cacheCreationTokens", "reasoningTokens", "costUsdTicks")}
            total["modelUsage"] = per
            lines.append({"jsonrpc": "2.0", "method": "session/update", "timestamp": t + 1,
                          "params": {"sessionId": sid, "update": {"sessionUpdate": "turn_completed", "eventId": "ev-%07d" % ev, "usage": total}}})
        dirs = [sid]
        if not a.agree and s % 9 == 0:
            dirs.append(sid + "-resumed")
        for d in dirs:
            p = os.path.join(root, project, d)
            os.makedirs(p, exist_ok=True)
            with open(os.path.join(p, "updates.jsonl"), "w") as f:
                for l in lines:
                    f.write(json.dumps(l) + "\n")
    print(json.dumps({"ccusage": "grok", "env": {}}))


if __name__ == "__main__":
    main()
