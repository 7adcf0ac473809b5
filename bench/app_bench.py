"""Benchmarks of the running tray app (not tests; numbers go to docs/performance.md):

1. launch → tray with totals: wall time from spawning tokenworth-app (warm data dir holding the
   whole history) until it reports the tray's first refresh after its initial scan
   (TOKENWORTH_APP_TIMING=1 makes the app print it), RUNS times;
2. idle: CPU time and context switches of the app process (and its WebKit children) over IDLE
   seconds with nothing changing, plus per-thread wake-ups of the app's own threads;
3. memory: RSS and PSS of the app plus its WebKit processes, in three states: in the tray
   after ingesting the whole history into an empty data dir (no dashboard: the app builds its
   webview only when the dashboard opens), with the dashboard open on the Overview, and after
   the dashboard is closed again (its web content process ends).

Expects DISPLAY (run by bench/app.sh under Xvfb), APP, HOME_DIR (fake home), DATA (data dir).
"""

import os
import subprocess
import sys
import time

APP = os.environ["APP"]
HOME_DIR = os.environ["HOME_DIR"]
DATA = os.environ["DATA"]
RUNS = int(os.environ.get("RUNS", "5"))
IDLE = float(os.environ.get("IDLE", "60"))


HERE = os.path.dirname(os.path.abspath(__file__))


def app_env():
    return dict(os.environ, HOME=HOME_DIR, TOKENWORTH_DATA_DIR=DATA, TOKENWORTH_APP_TIMING="1")


def spawn(*args):
    env = app_env()
    t0 = time.monotonic()
    p = subprocess.Popen([APP, *args], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in p.stderr:
        if "timing: tray ready" in line:
            return p, time.monotonic() - t0, int(line.split("ready ")[1].split(" ms")[0])
    raise SystemExit(f"the app exited ({p.wait()}) before its tray was ready")


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def children(pid):
    out = [pid]
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                for c in f.read().split():
                    out += children(int(c))
    except FileNotFoundError:
        pass
    return out


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def thread_switches(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                st = dict(line.split(":", 1) for line in f if ":" in line)
            out[(tid, name)] = int(st["voluntary_ctxt_switches"]) + int(st["nonvoluntary_ctxt_switches"])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def memory(pids):
    rss = pss = anon = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Anonymous:"):
                        anon += int(line.split()[1])
        except FileNotFoundError:
            pass
    return rss / 1024, pss / 1024, anon / 1024


def names(pids):
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm") as f:
                out.append(f.read().strip())
        except FileNotFoundError:
            pass
    return out


def show_memory(state, pids):
    rss, pss, anon = memory(pids)
    print(f"memory, {state}, {len(pids)} processes: RSS {rss:.0f} MB, PSS {pss:.0f} MB, anonymous {anon:.0f} MB")
    for q in pids:
        r, s, a = memory([q])
        print(f"  {names([q])[0]}: RSS {r:.0f} MB, PSS {s:.0f} MB, anonymous {a:.0f} MB")


def windows(pid):
    r = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(pid), "--name", "^Tokenworth$"], capture_output=True, text=True)
    return r.stdout.split()


def main():
    # The first launch ingests the whole history into the empty data dir, in the tray only (as
    # at login, --hidden); then the dashboard opens (a second launch hands over) and closes.
    p, wall, _ = spawn("--hidden")
    print(f"first launch (ingests the history into an empty data dir): {wall * 1000:.0f} ms", flush=True)
    time.sleep(3)
    show_memory("in the tray after ingesting the history (no dashboard open)", children(p.pid))
    subprocess.run([APP], env=app_env(), check=True, timeout=60)
    time.sleep(6)  # the webview loads and renders the Overview
    show_memory("dashboard open on the Overview", children(p.pid))
    for w in windows(p.pid):
        subprocess.run([sys.executable, os.path.join(HERE, "..", "tests", "e2e", "xclose.py"), w], check=True)
    time.sleep(5)
    show_memory("dashboard closed again", children(p.pid))
    stop(p)

    walls, inner = [], []
    for _ in range(RUNS):
        p, wall, ms = spawn()
        walls.append(wall * 1000)
        inner.append(ms)
        stop(p)
    walls.sort()
    print(f"launch → tray with totals, warm data dir, {RUNS} runs: median {walls[len(walls) // 2]:.0f} ms, "
          f"min {walls[0]:.0f}, max {walls[-1]:.0f} (app's own clock: median {sorted(inner)[len(inner) // 2]} ms)")

    p, _, _ = spawn()
    time.sleep(5)  # the webview finishes loading and rendering the Overview
    pids = children(p.pid)

    t0 = {q: cpu_ticks(q) for q in pids}
    s0 = thread_switches(p.pid)
    time.sleep(IDLE)
    t1 = {q: cpu_ticks(q) for q in pids if os.path.exists(f"/proc/{q}")}
    s1 = thread_switches(p.pid)
    hz = os.sysconf("SC_CLK_TCK")
    app_cpu = (t1.get(p.pid, 0) - t0[p.pid]) / hz
    all_cpu = sum(t1[q] - t0[q] for q in t1) / hz
    print(f"idle {IDLE:.0f} s: app process CPU {app_cpu * 1000:.0f} ms, with WebKit children {all_cpu * 1000:.0f} ms")
    woke = {k: s1[k] - s0.get(k, 0) for k in s1 if s1[k] - s0.get(k, 0) > 0}
    # Threads Tokenworth names itself (the main thread carries the process name and runs GTK's
    # main loop; the rest belong to GTK, WebKit, Tauri and its plugins).
    own = ("tokenworth-live", "tokenworth-poll", "tokenworth-ledg")
    ours = {k: v for k, v in woke.items() if k[1] in own}
    present = sorted({name for (_, name) in s1 if name in own})
    print(f"idle {IDLE:.0f} s: threads of the app process that woke up: "
          + (", ".join(f"{name}×{v}" for (tid, name), v in sorted(woke.items(), key=lambda kv: -kv[1])) or "none"))
    print(f"idle {IDLE:.0f} s: wake-ups of Tokenworth's own threads ({', '.join(present)}): {sum(ours.values())}")
    stop(p)


if __name__ == "__main__":
    sys.exit(main())
