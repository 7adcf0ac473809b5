#!/usr/bin/env python3
"""Writes a corpus of Codebuff chats under HOME (~/.config/manicode/projects/<p>/chats/<id>/chat-messages.json).

usage: codebuff.py HOME --seed N [--agree]

Anthropic-style usage on assistant messages, totals above their parts, all-zero usage, messages
without an id. Without --agree also the traps where ccusage 20.0.24 differs: chats copied into
another chat with the same message ids (ccusage keys by chat, so counts them twice) and OpenAI-style
prompt_tokens that include prompt_tokens_details.cached_tokens (ccusage does not subtract them).
Prints one JSON line for the harness.
"""
import argparse, datetime, json, os, random, uuid

MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101", "claude-haiku-4-5-20251001"]


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def chat_id(ms):
    return iso(ms).replace(":", "-")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    root = os.path.join(a.home, ".config/manicode/projects")
    start = 1772323200000  # 2026-03-01T00:00:00Z
    written = []
    for n in range(250):
        t = start + rng.randrange(20 * 86400000)
        project = "project%d" % (n % 7)
        cid = chat_id(t)
        model = rng.choice(MODELS)
        messages = []
        for i in range(rng.randrange(1, 20)):
            t += rng.randrange(2000, 2 * 3600000)
            messages.append({"id": str(uuid.UUID(int=rng.getrandbits(128))), "variant": "user", "content": "go", "timestamp": iso(t)})
            t += rng.randrange(1000, 60000)
            inp, outp = rng.randrange(1, 3000), rng.randrange(10, 5000)
            cw, cr = rng.choice([0, rng.randrange(100, 30000)]), rng.randrange(0, 200000)
            if rng.random() < 0.05:
                inp = outp = cw = cr = 0
            usage = {"inputTokens": inp, "outputTokens": outp, "cacheCreationInputTokens": cw, "cacheReadInputTokens": cr}
            if rng.random() < 0.1:
                usage["totalTokens"] = inp + outp + cw + cr + rng.randrange(5, 900)
            msg = {"variant": "ai", "timestamp": iso(t), "credits": round(rng.random() * 4, 2),
                   "metadata": {"model": model, "usage": usage}}
            if rng.random() > 0.1:
                msg["id"] = str(uuid.UUID(int=rng.getrandbits(128)))
            if not a.agree and rng.random() < 0.08:
                cached = rng.randrange(0, 50000)
                msg["metadata"] = {"model": "gpt-5", "codebuff": {"usage": {
                    "prompt_tokens": inp + cached, "completion_tokens": outp,
                    "prompt_tokens_details": {"cached_tokens": cached}}}}
            messages.append(msg)
        d = os.path.join(root, project, "chats", cid)
        if os.path.exists(d):
            continue
        os.makedirs(d)
        with open(os.path.join(d, "chat-messages.json"), "w") as f:
            json.dump(messages, f)
        written.append((project, t, messages))
    if not a.agree:
        for project, t, messages in written[::10]:
            copy = [m for m in messages if "id" in m]
            d = os.path.join(root, project, "chats", chat_id(t + 1000))
            if not os.path.exists(d):
                os.makedirs(d)
                with open(os.path.join(d, "chat-messages.json"), "w") as f:
                    json.dump(copy, f)
    print(json.dumps({"ccusage": "codebuff", "env": {}}))


if __name__ == "__main__":
    main()
