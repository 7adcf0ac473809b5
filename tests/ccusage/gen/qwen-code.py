#!/usr/bin/env python3
"""Writes a Qwen Code corpus under HOME (~/.qwen/projects/<sanitised cwd>/chats/<sessionId>.jsonl).

usage: qwen-code.py HOME --seed N [--agree]

Sessions hold user, assistant (usageMetadata) and system ui_telemetry records repeating the
assistant's counts. Without --agree, some assistant records also carry toolUsePromptTokenCount
(ccusage ignores it).

Field mapping against ccusage: ccusage keeps promptTokenCount (cached included) as inputTokens,
so tokenworth's input = ccusage inputTokens - cacheReadTokens; tokenworth's output (thoughts
added) = ccusage totalTokens - inputTokens - cacheReadTokens - cacheCreationTokens.
"""
import argparse
import json
import os
import random
import uuid
from datetime import datetime, timedelta, timezone

MODELS = ["qwen3-coder-plus", "qwen3-coder-flash", "qwen3-max"]
CWDS = ["/home/dev/acme-api", "/home/dev/shop-web", "/home/dev/infra", "/home/dev/notes"]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agree", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    start = datetime(2026, 2, 1, tzinfo=timezone.utc)
    for n in range(300):
        cwd = rnd.choice(CWDS)
        chats = os.path.join(a.home, ".qwen", "projects", cwd.replace("/", "-"), "chats")
        os.makedirs(chats, exist_ok=True)
        sid = str(uuid.UUID(int=rnd.getrandbits(128)))
        t = start + timedelta(days=rnd.randrange(20), seconds=rnd.randrange(86400))
        model = rnd.choice(MODELS)
        parent = None
        recs = []

        def rec(kind, **kw):
            nonlocal parent
            r = {"uuid": str(uuid.UUID(int=rnd.getrandbits(128))), "parentUuid": parent, "sessionId": sid,
                 "timestamp": iso(t), "type": kind, "cwd": cwd, "version": "0.18.1"}
            r.update(kw)
            parent = r["uuid"]
            recs.append(r)

        for turn in range(rnd.randint(1, 12)):
            t += timedelta(seconds=rnd.randint(5, 900))
            rec("user", message={"role": "user", "parts": [{"text": "step %d" % turn}]})
            t += timedelta(seconds=rnd.randint(2, 60), milliseconds=rnd.randint(0, 999))
            prompt = rnd.randint(2000, 120000)
            cached = rnd.choice([0, int(prompt * rnd.uniform(0.3, 0.95))])
            out = rnd.randint(20, 4000)
            thoughts = rnd.choice([0, 0, rnd.randint(50, 2000)])
            um = {"promptTokenCount": prompt, "candidatesTokenCount": out, "thoughtsTokenCount": thoughts,
                  "totalTokenCount": prompt + out + thoughts, "cachedContentTokenCount": cached}
            if not a.agree and rnd.random() < 0.1:
                tool = rnd.randint(1, 300)
                um["toolUsePromptTokenCount"] = tool
                um["totalTokenCount"] += tool
            rec("assistant", model=model, message={"role": "model", "parts": [{"text": "ok"}]}, usageMetadata=um)
            t += timedelta(milliseconds=15)
            rec("system", subtype="ui_telemetry", systemPayload={"uiEvent": {
                "event.name": "qwen-code.api_response", "model": model, "input_token_count": prompt,
                "output_token_count": out, "cached_content_token_count": cached,
                "thoughts_token_count": thoughts, "total_token_count": um["totalTokenCount"]}})
        with open(os.path.join(chats, sid + ".jsonl"), "w") as f:
            for r in recs:
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
    print(json.dumps({"ccusage": "qwen", "env": {}}))


if __name__ == "__main__":
    main()
