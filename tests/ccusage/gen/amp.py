#!/usr/bin/env python3
"""Writes a corpus of Amp thread files under HOME (~/.local/share/amp/threads/T-*.json).

usage: amp.py HOME --seed N [--agree]

Both schemas (usage ledger, per-message usage), threads spanning days, totals larger than their
parts, all-zero usage. Without --agree also the traps where ccusage 20.0.24 differs (an empty
ledger beside message usage, usage without a model). Prints one JSON line for the harness.
"""
import argparse, datetime, json, os, random, uuid

MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101", "claude-haiku-4-5-20251001", "gpt-5"]

def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    out = os.path.join(a.home, ".local/share/amp/threads")
    os.makedirs(out, exist_ok=True)
    start = 1772323200000  # 2026-03-01T00:00:00Z
    for n in range(300):
        tid = "T-" + str(uuid.UUID(int=rng.getrandbits(128)))
        t = start + rng.randrange(20 * 86400000)
        model = rng.choice(MODELS)
        ledger = rng.random() < 0.35
        messages, events = [], []
        mid = 0
        for _ in range(rng.randrange(1, 25)):
            messages.append({"role": "user", "messageId": mid, "content": [{"type": "text", "text": "do the thing"}]})
            mid += 1
            t += rng.randrange(5000, 3 * 3600000)
            inp, outp = rng.randrange(1, 400), rng.randrange(20, 4000)
            cw, cr = rng.choice([0, rng.randrange(500, 20000)]), rng.randrange(0, 150000)
            if rng.random() < 0.05:
                inp = outp = cw = cr = 0
            usage = {"model": model, "timestamp": iso(t), "inputTokens": inp, "outputTokens": outp,
                     "cacheCreationInputTokens": cw, "cacheReadInputTokens": cr}
            total = inp + outp + cw + cr
            if rng.random() < 0.1:
                total += rng.randrange(10, 500)  # thinking tokens only in the total
            usage["totalTokens"] = total
            if not a.agree and not ledger and rng.random() < 0.03:
                del usage["model"]
            messages.append({"role": "assistant", "messageId": mid, "usage": usage, "content": [{"type": "text", "text": "ok"}]})
            if ledger:
                events.append({"id": "ev-%d" % mid, "timestamp": iso(t), "model": model, "credits": round(rng.random() * 3, 3),
                               "tokens": {"input": inp, "output": outp, "total": inp + outp}, "toMessageId": mid,
                               "operationType": "inference"})
            mid += 1
        thread = {"id": tid, "v": mid, "created": start, "messages": messages}
        if ledger:
            thread["usageLedger"] = {"events": events}
        elif not a.agree and rng.random() < 0.05:
            thread["usageLedger"] = {"events": []}
        with open(os.path.join(out, tid + ".json"), "w") as f:
            json.dump(thread, f)
    print(json.dumps({"ccusage": "amp", "env": {}}))

if __name__ == "__main__":
    main()
