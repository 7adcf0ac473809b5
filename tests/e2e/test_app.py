"""End to end: the real tokenworth-app binary in its real WebKit webview under Xvfb, driven through
tauri-driver + WebKitWebDriver, on a fake home of logs, next to the real tokenworth CLI.

Run by tests/e2e/run.sh, which starts Xvfb, a tray host and a D-Bus session and
sets APP, CLI, SHOTS, TAURI_DRIVER. Each check fails with what it saw.
"""

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions

sys.path.insert(0, os.path.dirname(__file__))
import fakehome  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.environ["APP"]
CLI = os.environ["CLI"]
BOARD = os.environ.get("BOARD", os.path.join(os.path.dirname(CLI), "tokenworth-board"))
SHOTS = os.environ["SHOTS"]
LOGS = os.environ.get("E2E_LOGS", tempfile.gettempdir())
TAURI_DRIVER = os.environ.get("TAURI_DRIVER", "tauri-driver")
TZ = os.environ.get("TZ", "Europe/Berlin")
# Every WebDriver request gives up after a minute instead of hanging when the app died.
socket.setdefaulttimeout(60)
WAIT = 30.0


def wait_for(what, fn, timeout=WAIT, interval=0.1):
    """Polls the page (the webview's state is only reachable by asking) until fn() is truthy."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except WebDriverException as e:  # element not there yet
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """One app process on one fake home and data dir, driven through its own tauri-driver (the
    app inherits the driver's environment, so each App gets its HOME and TZ)."""

    def __init__(self, home, data, extra_env=None):
        self.home, self.data = home, data
        port = free_port()
        env = dict(os.environ, HOME=home, TZ=TZ, TOKENWORTH_DATA_DIR=data, **(extra_env or {}))
        self.log = open(os.path.join(LOGS, f"tauri-driver-{port}.log"), "w")
        self.proc = subprocess.Popen([TAURI_DRIVER, "--port", str(port), "--native-port", str(free_port())],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        opts = ArgOptions()
        opts.set_capability("browserName", "wry")
        opts.set_capability("tauri:options", {"application": APP, "args": ["--data-dir", data]})

        def session():
            try:
                return webdriver.Remote(url, options=opts)
            except Exception as e:  # the driver is still starting
                if self.proc.poll() is not None:
                    raise AssertionError(f"tauri-driver exited with {self.proc.returncode}") from e
                return None

        self.driver = wait_for("a WebDriver session with the app", session, timeout=60, interval=0.3)
        self.driver.implicitly_wait(0)

    def invoke(self, command, args=None):
        """Calls a bridge command from the page, as the dashboard does."""
        return self.driver.execute_async_script(
            "const cb = arguments[arguments.length - 1];"
            "window.__TAURI__.core.invoke(arguments[0], arguments[1]).then(cb, e => cb({error: String(e)}))",
            command, args or {})

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def attr(self, selector, name="data-value"):
        # Found and read in one call in the page: a view re-rendering between finding an element
        # and reading it (data changed) made a stale element reference.
        return self.driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            selector, name)

    def click(self, selector):
        def attempt():
            # Views re-render when data changes: a found element may go stale, so look again.
            els = self.driver.find_elements(By.CSS_SELECTOR, selector)
            if not els:
                return False
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", els[0])
            els[0].click()
            return True

        wait_for(f"a click on {selector}", attempt)

    def shot(self, name):
        path = os.path.join(SHOTS, name)
        self.driver.save_screenshot(path)
        return path

    def quit(self):
        try:
            self.driver.quit()
        except WebDriverException:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        # The app must be gone before the next one starts: a running instance would take over
        # the next launch (one instance at a time), and its WebDriver session would never start.
        pattern = f"{APP} --data-dir {self.data}"
        alive = lambda: subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True).returncode == 0
        try:
            wait_for("the app to exit", lambda: not alive(), timeout=15, interval=0.2)
        except AssertionError:
            subprocess.run(["pkill", "-9", "-f", "--", pattern])
            wait_for("the app to be killed", lambda: not alive(), timeout=10, interval=0.2)


def cli(home, data, *args):
    env = dict(os.environ, HOME=home, TOKENWORTH_DATA_DIR=data, TZ=TZ, NO_COLOR="1")
    r = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"tokenworth {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return json.loads(r.stdout) if "--json" in args else r.stdout


def sums(daily, first, last):
    """Token and cost totals of the days in [first, last] of a `daily --json` document."""
    tokens, cost = 0, 0.0
    for d in daily["days"]:
        if first.isoformat() <= d["date"] <= last.isoformat():
            tokens += d["total"]["total_tokens"]
            cost += d["total"]["cost_usd"]
    return tokens, cost


def read(path):
    with open(path) as f:
        return f.read()


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# Text that must never reach the app's log: a prompt in a log the app reads (also in a broken
# line, which is skipped and counted) and the notes tagged through the dashboard.
PROMPT = "prompt-e2e-4b1d please refactor the billing page"
# The app logs at debug in the main scenario, so the log has what a tag does and can be searched.
DEBUG_LOG = {"TOKENWORTH_LOG": "debug"}


def app_log(data):
    return os.path.join(data, "tokenworth-app.log")


class Dashboard(unittest.TestCase):
    """The main scenario: one app on a month of logs."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tw-e2e-")
        cls.home = os.path.join(cls.tmp, "home")
        cls.data = os.path.join(cls.tmp, "data")
        cls.log = fakehome.write_home(cls.home)
        fakehome.append_prompt(cls.log, "0a1b2c3d-today-web", "/work/acme-web", PROMPT)
        cls.app = App(cls.home, cls.data, DEBUG_LOG)

    @classmethod
    def tearDownClass(cls):
        cls.app.quit()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def overview_numbers(self):
        a = self.app
        return {k: a.attr(f"#{k}") for k in
                ("today-cost", "today-tokens", "week-cost", "week-tokens", "month-cost", "month-tokens")}

    def expected_numbers(self):
        daily = cli(self.home, self.data, "daily", "--json")
        today = datetime.now(ZoneInfo(TZ)).date()
        out = {}
        for key, days in (("today", 1), ("week", 7), ("month", 30)):
            t, c = sums(daily, today - timedelta(days=days - 1), today)
            out[f"{key}-tokens"], out[f"{key}-cost"] = t, c
        return out

    def assert_overview_matches_cli(self):
        want = self.expected_numbers()

        def same():
            got = self.overview_numbers()
            if any(v is None for v in got.values()):
                return False
            for k, w in want.items():
                g = float(got[k])
                if (k.endswith("tokens") and int(g) != w) or abs(g - w) > 1e-9:
                    return False
            return got

        wait_for(f"overview numbers equal to `tokenworth daily --json` {want}", same)
        return want

    def test_1_overview_equals_cli_and_follows_the_logs_live(self):
        a = self.app
        a.click("#nav-overview")
        before = self.assert_overview_matches_cli()
        self.assertGreater(before["today-tokens"], 0)
        self.assertGreater(before["month-tokens"], before["week-tokens"])
        tools = {e.get_attribute("data-source") for e in
                 a.driver.find_elements(By.CSS_SELECTOR, "[data-testid=tool-row]")}
        self.assertEqual(tools, {"claude-code", "codex"})
        a.shot("overview.png")

        # Append to a log while the app runs: the numbers change without a reload.
        a.js("window.__e2eMarker = 42")
        stamp = a.attr("#last-updated")
        fakehome.append_requests(self.log, "0a1b2c3d-today-web", "/work/acme-web", 100, 3)
        wait_for("a re-query after the append", lambda: a.attr("#last-updated") != stamp)
        after = self.assert_overview_matches_cli()
        self.assertGreater(after["today-tokens"], before["today-tokens"])
        self.assertEqual(a.js("return window.__e2eMarker"), 42, "the page was reloaded")

    def test_2_sessions_open_one(self):
        a = self.app
        a.click("#nav-sessions")
        wait_for("session rows", lambda: a.driver.find_elements(By.CSS_SELECTOR, "tr[data-session-id]"))
        a.js("const s=document.querySelector('#session-period'); s.value='all'; s.dispatchEvent(new Event('change'))")
        rows = wait_for("all sessions", lambda: [r for r in a.driver.find_elements(By.CSS_SELECTOR, "tr[data-session-id]")
                                                 if r.get_attribute("data-session-id") == "4e5f6a7b-forty-days"]
                        and a.driver.find_elements(By.CSS_SELECTOR, "tr[data-session-id]"))
        listed = {r.get_attribute("data-session-id") for r in rows}
        want = {s["session_id"] for s in cli(self.home, self.data, "session", "--json", "--no-scan")["sessions"]}
        self.assertEqual(listed, want)
        a.shot("sessions.png")
        a.click('tr[data-session-id="2c3d4e5f-three-days"] td:nth-child(3)')
        wait_for("the session detail", lambda: a.driver.find_element(By.CSS_SELECTOR, "#session-detail").is_displayed())
        rows_css = "#session-requests table.requests-table tbody tr"
        wait_for("its requests", lambda: a.driver.find_elements(By.CSS_SELECTOR, rows_css))
        n = len(a.driver.find_elements(By.CSS_SELECTOR, rows_css))
        self.assertEqual(n, 8, "one row per request of that session")
        a.shot("session-detail.png")
        a.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait_for("the detail to close on Escape", lambda: not [
            e for e in a.driver.find_elements(By.CSS_SELECTOR, "#session-detail") if e.is_displayed()])

    def test_3_tag_sessions_and_see_the_worth_it_view_change(self):
        a = self.app
        a.click("#nav-outcomes")
        wait_for("the outcomes view", lambda: a.driver.find_elements(By.CSS_SELECTOR, "[data-testid=outcome-row]"))
        shipped_before = int(a.attr('[data-testid=outcome-row][data-outcome=shipped]', "data-sessions") or 0)
        a.click("#nav-sessions")
        wait_for("session rows", lambda: a.driver.find_elements(By.CSS_SELECTOR, "tr[data-session-id]"))
        for sid in ("0a1b2c3d-today-web", "1b2c3d4e-today-api"):
            a.click(f'tr[data-session-id="{sid}"] input.session-select')
        a.js("const s=document.querySelector('#tag-outcome'); s.value='shipped'; s.dispatchEvent(new Event('change'))")
        a.driver.find_element(By.CSS_SELECTOR, "#tag-note").send_keys("landed the login page")
        a.shot("tagging.png")
        a.click("#tag-apply")
        rows = wait_for("the tag in `tokenworth session --json`", lambda: [
            s for s in cli(self.home, self.data, "session", "--json", "--no-scan")["sessions"]
            if s.get("outcome") == "shipped"])
        self.assertEqual({s["session_id"] for s in rows}, {"0a1b2c3d-today-web", "1b2c3d4e-today-api"})
        self.assertTrue(all(s["note"] == "landed the login page" for s in rows))
        a.click("#nav-outcomes")
        wait_for("two more shipped sessions in the worth-it view", lambda: int(
            a.attr('[data-testid=outcome-row][data-outcome=shipped]', "data-sessions") or 0) == shipped_before + 2)
        want = cli(self.home, self.data, "outcomes", "--json", "--no-scan")
        shipped = next(o for o in want["outcomes"] if o["outcome"] == "shipped")
        got = float(a.attr('[data-testid=outcome-row][data-outcome=shipped]', "data-cost"))
        self.assertAlmostEqual(got, shipped["cost_usd"], places=9)
        a.shot("outcomes.png")

        # The CLI tags too; the app shows it when it next looks.
        cli(self.home, self.data, "tag", "2c3d4e5f", "explored", "--note", "spike")
        a.click("#nav-sessions")
        a.click("#nav-outcomes")
        wait_for("the CLI's tag in the app", lambda: int(
            a.attr('[data-testid=outcome-row][data-outcome=explored]', "data-sessions") or 0) >= 1)

    def test_4_sources_and_settings(self):
        a = self.app
        a.click("#nav-sources")
        body = wait_for("the sources view", lambda: a.driver.find_element(By.CSS_SELECTOR, "main").text)
        wait_for("the log roots in Sources", lambda: os.path.join(self.home, ".claude", "projects")
                 in a.driver.find_element(By.CSS_SELECTOR, "main").text)
        self.assertIn("codex", body)
        a.shot("sources.png")
        a.click("#nav-settings")
        wait_for("the data dir in Settings", lambda: self.data in a.driver.find_element(By.CSS_SELECTOR, "main").text)
        a.shot("settings.png")

        # Start at login is opt-in: the switch writes and removes an XDG autostart entry.
        autostart = os.path.join(self.home, ".config", "autostart")
        entries = lambda: [f for f in os.listdir(autostart) if f.endswith(".desktop")] if os.path.isdir(autostart) else []
        self.assertEqual(entries(), [], "autostart must be off until the user turns it on")
        a.click("#set-autostart")
        found = wait_for("an autostart entry", entries)
        with open(os.path.join(autostart, found[0])) as f:
            entry = f.read()
        self.assertIn("--hidden", entry)
        a.click("#set-autostart")
        wait_for("the autostart entry removed", lambda: not entries())

        # Budgets from Settings: a bad amount is refused with config.toml unchanged; one typed in
        # the form lands in config.toml as the CLI reads it, with its spend beside it.
        config = os.path.join(self.data, "config.toml")
        before = read(config) if os.path.exists(config) else ""
        err = a.invoke("set_budget", {"period": "daily", "usd": -5, "source": None, "project": None})
        self.assertIn("error", err)
        err = a.invoke("set_budget", {"period": "hourly", "usd": 5, "source": None, "project": None})
        self.assertIn("period", err.get("error", ""))
        self.assertEqual(read(config) if os.path.exists(config) else "", before)
        a.driver.find_element(By.CSS_SELECTOR, "#budget-usd").send_keys("1234.5")
        a.click("#budget-add")
        listed = wait_for("the budget in the CLI", lambda: cli(self.home, self.data, "budget", "--json")["budgets"])
        self.assertEqual((listed[0]["period"], listed[0]["limit_usd"], listed[0]["source"]), ("daily", 1234.5, None))
        row = wait_for("the budget's row", lambda: a.attr("[data-testid='budget-row']", "data-spent"))
        self.assertAlmostEqual(float(row), listed[0]["spent_usd"], places=6)
        a.shot("settings-budgets.png")
        a.click("#budget-rm-0")
        wait_for("the budget removed", lambda: not cli(self.home, self.data, "budget", "--json")["budgets"])

    def test_5_db_locked_by_a_long_scan(self):
        """A CLI holding the write lock delays ingest; nothing is lost, the app catches up."""
        a = self.app
        a.click("#nav-overview")
        before = self.assert_overview_matches_cli()
        db = sqlite3.connect(os.path.join(self.data, "ledger.db"), timeout=30)
        db.execute("BEGIN IMMEDIATE")
        fakehome.append_requests(self.log, "0a1b2c3d-today-web", "/work/acme-web", 200, 2)
        time.sleep(1.5)  # the lock is held on purpose while the watcher tries to write
        db.rollback()
        db.close()
        after = self.assert_overview_matches_cli()
        self.assertGreater(after["today-tokens"], before["today-tokens"])

    def test_5b_a_cli_scan_shows_up_in_the_open_app(self):
        """With the app's watcher paused, only the CLI ingests: the app still shows it."""
        a = self.app
        a.click("#nav-sources")
        a.click("#watch-toggle")
        wait_for("the watcher paused", lambda: a.invoke("sources")["watcher"]["paused"])
        a.click("#nav-overview")
        before = self.assert_overview_matches_cli()
        fakehome.append_requests(self.log, "0a1b2c3d-today-web", "/work/acme-web", 300, 4)
        cli(self.home, self.data, "scan")
        after = self.assert_overview_matches_cli()
        self.assertGreater(after["today-tokens"], before["today-tokens"])
        a.click("#nav-sources")
        a.click("#watch-toggle")
        wait_for("the watcher resumed", lambda: not a.invoke("sources")["watcher"]["paused"])

    def test_6_tray_icon_and_menu(self):
        """With trayer as the tray host (bottom right), the icon is visible and its menu opens."""
        display = os.environ["DISPLAY"]
        panel = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--limit", "1", "--class", "trayer"],
                               capture_output=True, text=True, timeout=20).stdout.split()[0]

        def icon():
            tree = subprocess.run(["xwininfo", "-tree", "-id", panel], capture_output=True, text=True).stdout
            for line in tree.splitlines():
                if '"tokenworth-app"' in line:
                    size, absolute = line.split()[-2:]
                    w, h = (int(v) for v in size.split("+")[0].split("x"))
                    x, y = (int(v) for v in absolute.lstrip("+").split("+"))
                    return x, y, w, h
            return None

        x, y, w, h = wait_for("the app's icon in the tray", icon, timeout=20, interval=0.3)
        screen = subprocess.run(["xdpyinfo"], capture_output=True, text=True).stdout
        sw, sh = (int(v) for v in screen.split("dimensions:")[1].split()[0].split("x"))
        # Outside the dashboard window (1040x720 at the origin, no window manager), so only the
        # menu can change these pixels.
        region = f"{sw - 1040}x{sh - 400}+1040+400"
        before = os.path.join(LOGS, "tray-region-before.png")
        subprocess.run(["import", "-display", display, "-window", "root", "-crop", region, before], check=True)
        subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1"], check=True)
        after = os.path.join(LOGS, "tray-region-after.png")

        def menu_shown():
            subprocess.run(["import", "-display", display, "-window", "root", "-crop", region, after], check=True)
            diff = subprocess.run(["compare", "-metric", "AE", before, after, "null:"], capture_output=True, text=True)
            return float((diff.stderr or "0").split()[0]) > 2000

        try:
            wait_for("the tray menu on screen", menu_shown, timeout=15, interval=0.5)
            subprocess.run(["import", "-display", display, "-window", "root", "-crop",
                            f"420x400+{sw - 420}+{sh - 400}", os.path.join(SHOTS, "tray-menu.png")], check=True)
        finally:
            subprocess.run(["xdotool", "key", "Escape"])
            for f in (before, after):
                if os.path.exists(f):
                    os.remove(f)

    def test_7_one_instance_at_a_time(self):
        """A second launch hands over to the running app and exits; the first keeps running."""
        env = dict(os.environ, HOME=self.home, TZ=TZ, TOKENWORTH_DATA_DIR=self.data)
        r = subprocess.run([APP, "--hidden"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(self.app.driver.find_element(By.CSS_SELECTOR, "#nav-overview").is_displayed())


    def test_7b_closing_the_dashboard_frees_its_webview(self):
        """Closing the window (as a window manager's close button does) ends its web content
        process and keeps the app in the tray; the next launch builds the dashboard again."""
        pattern = f"{APP} --data-dir {self.data}"
        app_pid = subprocess.run(["pgrep", "-o", "-f", "--", pattern], capture_output=True, text=True).stdout.split()
        self.assertTrue(app_pid, "the app is running")
        app_pid = app_pid[0]

        def web_processes():
            r = subprocess.run(["pgrep", "-P", app_pid, "-f", "WebKitWebProcess"], capture_output=True, text=True)
            return r.stdout.split()

        def windows():
            r = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", app_pid, "--name", "^Tokenworth$"], capture_output=True, text=True)
            return r.stdout.split()

        self.assertTrue(web_processes(), "the open dashboard has a web content process")
        shown = wait_for("the dashboard window on screen", windows)
        for w in shown:
            subprocess.run([sys.executable, os.path.join(HERE, "xclose.py"), w], check=True)
        wait_for("the web content process to exit", lambda: not web_processes(), timeout=20)
        self.assertFalse(windows(), "no window is left on screen")
        self.assertEqual(subprocess.run(["kill", "-0", app_pid]).returncode, 0, "the app stays in the tray")

        env = dict(os.environ, HOME=self.home, TZ=TZ, TOKENWORTH_DATA_DIR=self.data)
        r = subprocess.run([APP], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for("a new dashboard window", windows, timeout=30)
        wait_for("a new web content process", web_processes, timeout=30)

    def test_8_tags_survive_an_app_restart(self):
        """Quit the app and start it again on the same data dir: the tags made earlier are there."""
        shipped = next(o for o in cli(self.home, self.data, "outcomes", "--json", "--no-scan")["outcomes"]
                       if o["outcome"] == "shipped")
        self.assertGreaterEqual(shipped["sessions"], 2, "test_3 tagged two sessions")
        self.app.quit()
        type(self).app = App(self.home, self.data, DEBUG_LOG)
        a = self.app
        a.click("#nav-outcomes")
        wait_for("the shipped sessions after the restart", lambda: int(
            a.attr('[data-testid=outcome-row][data-outcome=shipped]', "data-sessions") or 0) == shipped["sessions"])

    def test_9_the_log_exists_and_holds_no_note_or_prompt(self):
        """The app's log, after tagging with a note through the dashboard (test_3) and a restart
        (test_8): it exists, says what was done, and never what was written."""
        path = app_log(self.data)
        self.assertTrue(os.path.isfile(path), f"no app log at {path}")
        text = read(path)
        self.assertIn("tokenworth-app started", text)
        self.assertIn("sessions tagged", text, "the tag made in the dashboard is not in the debug log")
        self.assertIn('note="set"', text)
        for secret in ("landed the login page", "spike", "prompt-e2e-4b1d", "done done"):
            self.assertNotIn(secret, text, f"the app log holds {secret!r}")
        self.assertEqual(os.stat(path).st_mode & 0o077, 0, "the log is readable by others")


    def test_9b_the_data_dir_moved_away_and_back(self):
        """The data dir moved away while the app runs (issue 15): the sidebar and the Overview say
        so and show no figure they can no longer read; nothing is written to the moved folder;
        moved back, the app records again and equals the CLI."""
        a = self.app
        a.click("#nav-overview")
        self.assert_overview_matches_cli()
        away = self.data + "-away"
        os.rename(self.data, away)
        try:
            state = wait_for("the sidebar to say nothing is recorded", lambda: [
                e for e in a.driver.find_elements(By.CSS_SELECTOR, "#watch-state[data-state='stopped']")])
            self.assertIn("is gone", state[0].get_attribute("title"))
            wait_for("the Overview to show an error, not the old figures", lambda: [
                e for e in a.driver.find_elements(By.CSS_SELECTOR, "#error-banner") if e.is_displayed()])
            self.assertFalse([e for e in a.driver.find_elements(By.CSS_SELECTOR, "#today-cost") if e.is_displayed()],
                             "a figure that can no longer be read is still shown")
            with sqlite3.connect(f"file:{away}/ledger.db?mode=ro", uri=True) as c:
                before = c.execute("SELECT count(*) FROM events").fetchone()[0]
            fakehome.append_requests(self.log, "0a1b2c3d-today-web", "/work/acme-web", 400, 3)
            time.sleep(1.0)  # the watcher sees the append while the folder is away
            with sqlite3.connect(f"file:{away}/ledger.db?mode=ro", uri=True) as c:
                self.assertEqual(c.execute("SELECT count(*) FROM events").fetchone()[0], before,
                                 "the app wrote into the moved-away folder")
            a.shot("data-dir-gone.png")
        finally:
            os.rename(away, self.data)
        wait_for("the sidebar to watch again", lambda: a.driver.find_elements(
            By.CSS_SELECTOR, "#watch-state[data-state='watching']"))
        self.assert_overview_matches_cli()


def corrupt_events_root(db_path):
    """Overwrites the start of the `events` table's root page, as the CLI test does."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as c:
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()[0]
        page = c.execute("PRAGMA page_size").fetchone()[0]
    with open(db_path, "r+b") as f:
        f.seek((root - 1) * page)
        f.write(b"\xa5" * 64)


def total_tokens(daily):
    return sum(d["total"]["total_tokens"] for d in daily["days"])


class LedgerCare(unittest.TestCase):
    """A damaged ledger (issue 14): the app names the damage, writes nothing to the ledger,
    offers the last good snapshot and restores it; then it reads again what the logs hold."""

    NOTE = "kept through the restore 3e9a"

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tw-e2e-ledger-")
        self.home = os.path.join(self.tmp, "home")
        self.data = os.path.join(self.tmp, "data")
        self.log = fakehome.write_home(self.home)
        cli(self.home, self.data, "session", "--json")
        cli(self.home, self.data, "tag", "2c3d4e5f", "shipped", "--note", self.NOTE)
        self.snapshot = cli(self.home, self.data, "backup", "--json")["snapshot"]
        self.db = os.path.join(self.data, "ledger.db")
        self.app = None

    def tearDown(self):
        if self.app:
            self.app.quit()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def expected_after_restore(self):
        """What the ledger holds once the logs are read again: a CLI scan of a sound copy."""
        ref = os.path.join(self.tmp, "ref")
        shutil.copytree(self.data, ref)
        return total_tokens(cli(self.home, ref, "daily", "--json"))

    def offer_and_restore(self, damaged_bytes, shot):
        a = self.app
        banner = wait_for("the damaged-ledger banner", lambda: [
            e for e in a.driver.find_elements(By.CSS_SELECTOR, "#ledger-banner") if e.is_displayed()])
        self.assertIn("damaged", banner[0].text.lower())
        # The sidebar does not say "Watching logs" while nothing is recorded.
        state = wait_for("the sidebar to say the ledger records nothing", lambda: [
            e for e in a.driver.find_elements(By.CSS_SELECTOR, "#watch-state[data-state='stopped']")])
        self.assertIn("damaged", state[0].text.lower())
        offer = wait_for("the restore offer", lambda: a.driver.find_elements(By.CSS_SELECTOR, "#restore-ledger"))
        self.assertEqual(offer[0].get_attribute("data-snapshot"), self.snapshot)
        # The app refuses to write: a tag from the dashboard is an error naming the damage.
        r = a.invoke("tag_sessions", {"sessionIds": ["0a1b2c3d"], "outcome": "wasted"})
        self.assertIsInstance(r, dict)
        self.assertIn("damaged", r.get("error", ""), f"the tag was not refused: {r!r}")
        self.assertEqual(damaged_bytes(), self.damaged, "the damaged ledger was written to")
        a.shot(shot)
        a.click("#restore-ledger")
        a.click("#restore-confirm")
        wait_for("the banner to go", lambda: not [
            e for e in a.driver.find_elements(By.CSS_SELECTOR, "#ledger-banner") if e.is_displayed()])
        wait_for("the sidebar to watch again", lambda: a.driver.find_elements(
            By.CSS_SELECTOR, "#watch-state[data-state='watching']"))
        aside = [f for f in os.listdir(self.data) if f.startswith("ledger-replaced-") and f.endswith(".db")]
        self.assertEqual(len(aside), 1, f"the damaged ledger is kept aside: {os.listdir(self.data)}")
        return os.path.join(self.data, aside[0])

    def after_restore(self, want_tokens):
        d = cli(self.home, self.data, "doctor", "--json")
        self.assertTrue(d["sound"], d)
        tagged = [s for s in cli(self.home, self.data, "session", "--json", "--no-scan")["sessions"]
                  if s["session_id"] == "2c3d4e5f-three-days"]
        self.assertEqual([(s["outcome"], s["note"]) for s in tagged], [("shipped", self.NOTE)])
        # The app's watcher writes again: what the logs hold since the snapshot is read back.
        wait_for(f"{want_tokens} tokens in the restored ledger", lambda: total_tokens(
            cli(self.home, self.data, "daily", "--json", "--no-scan")) == want_tokens)
        log = read(app_log(self.data))
        self.assertIn("damaged", log)
        self.assertIn("ledger restored from a snapshot", log)
        self.assertNotIn(self.NOTE, log)

    def test_a_corrupted_page(self):
        wal = self.db + "-wal"
        self.assertFalse(os.path.exists(wal) and os.path.getsize(wal) > 0, "the CLI left frames in the WAL")
        fakehome.append_requests(self.log, "0a1b2c3d-today-web", "/work/acme-web", 200, 2)
        want = self.expected_after_restore()
        corrupt_events_root(self.db)
        self.damaged = sha(self.db)
        self.app = App(self.home, self.data, DEBUG_LOG)
        aside = self.offer_and_restore(lambda: sha(self.db), "damaged-ledger.png")
        self.assertEqual(sha(aside), self.damaged, "the kept-aside ledger is not the damaged one")
        self.after_restore(want)

    def test_b_a_truncated_wal(self):
        # A committed tag left in the WAL (a reader keeps the checkpoint from copying it), cut
        # inside a frame, with no -shm: as a crash of the disk would leave it.
        reader = sqlite3.connect(self.db)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM events").fetchone()
        cli(self.home, self.data, "tag", "1b2c3d4e", "explored", "--note", "after the snapshot", "--no-scan")
        bad = os.path.join(self.tmp, "bad")
        shutil.copytree(self.data, bad)
        reader.rollback()
        reader.close()
        shutil.rmtree(self.data)
        os.rename(bad, self.data)
        wal = self.db + "-wal"
        size = os.path.getsize(wal)
        self.assertGreater(size, 32 + 4096, "the WAL holds frames")
        if os.path.exists(self.db + "-shm"):
            os.remove(self.db + "-shm")
        with open(wal, "r+b") as f:
            f.truncate(size - 1000)
        fakehome.append_requests(self.log, "0a1b2c3d-today-web", "/work/acme-web", 200, 2)
        ref = os.path.join(self.tmp, "ref")
        os.makedirs(ref)
        shutil.copy(self.snapshot, os.path.join(ref, "ledger.db"))
        want = total_tokens(cli(self.home, ref, "daily", "--json"))
        self.damaged = (sha(self.db), sha(wal))
        self.app = App(self.home, self.data, DEBUG_LOG)
        self.offer_and_restore(lambda: (sha(self.db), sha(wal)), "damaged-wal.png")
        self.assertFalse(os.path.exists(wal) and os.path.getsize(wal) == size - 1000,
                         "the truncated WAL stayed in place")
        self.after_restore(want)


class Board:
    """A real tokenworth-board server on loopback with one team and its admin commands."""

    def __init__(self, tmp):
        self.data = os.path.join(tmp, "board")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin("init")
        self.admin("admin", "team", "create", "demo")
        self.start()

    def start(self):
        self.log = open(os.path.join(LOGS, f"board-{self.port}.log"), "a")
        self.proc = subprocess.Popen([BOARD, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=subprocess.STDOUT)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"tokenworth-board serve exited with {self.proc.returncode}")
            with socket.socket() as c:
                return c.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for("the board to listen", up, timeout=30, interval=0.2)

    def admin(self, *args):
        r = subprocess.run([BOARD, *args, "--data", self.data], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"tokenworth-board {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return json.loads(r.stdout) if "--json" in args else r.stdout

    def invite(self):
        return self.admin("admin", "invite", "demo", "--json")["invite"]

    def members(self):
        return self.admin("admin", "members", "demo", "--json")

    def me(self, token, day):
        """The member's own figures for the month holding `day`, through the API."""
        req = urllib.request.Request(f"{self.url}/api/v1/teams/demo/board?period=month&date={day}",
                                     headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())["me"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def fake_board(status, body):
    """A server on loopback that answers every request with `status` and `body`: a web page
    that is not a board, a board that fails, a board that answers garbage. Returns its URL."""

    class Handler(BaseHTTPRequestHandler):
        def answer(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(status)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


class Sharing(unittest.TestCase):
    """Issue 11 in the real app: join a real board through the Sharing view, preview (the CLI's
    bytes), send (the board has the days), open the board, withdraw a day, leave (the board
    holds nothing)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tw-e2e-share-")
        cls.home = os.path.join(cls.tmp, "home")
        cls.data = os.path.join(cls.tmp, "data")
        fakehome.write_home(cls.home)
        cls.board = Board(cls.tmp)
        cls.opened = os.path.join(cls.tmp, "opened.txt")
        browser = os.path.join(cls.tmp, "browser.sh")
        with open(browser, "w") as f:
            f.write(f'#!/bin/sh\necho "$1" >> {cls.opened}\n')
        os.chmod(browser, 0o755)
        cls.app = App(cls.home, cls.data, {"BROWSER": browser})

    @classmethod
    def tearDownClass(cls):
        cls.app.quit()
        cls.board.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def text(self, selector):
        return self.app.js("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector)

    def withdraw_confirmation(self):
        """Clicks Withdraw and returns the confirmation's text. 60 s like the sends: in CI the
        soak's app and the fuzzers share the two cores, and each redraw of this view computes the
        preview again. On a timeout, the view's text, aria-busy and a screenshot say why."""
        a = self.app
        a.click("#share-withdraw")
        seen = {}

        def confirm_text():
            seen["view"] = (self.text("#view") or "")[:400]
            seen["busy"] = a.js("return document.getElementById('view').getAttribute('aria-busy');")
            return self.text("#share-confirm-text")

        try:
            return wait_for("the withdraw confirmation", confirm_text, timeout=60)
        except AssertionError:
            a.shot("sharing-withdraw-timeout.png")
            raise AssertionError(f"no withdraw confirmation; the view (aria-busy {seen.get('busy')!r}): {seen.get('view')!r}")

    def join_with(self, url, code):
        a = self.app
        for sel, value in (("#share-url", url), ("#share-code", code)):
            el = wait_for(sel, lambda: a.driver.find_element(By.CSS_SELECTOR, sel))
            el.clear()
            el.send_keys(value)
        a.click("#share-join")

    def test_join_preview_send_open_leave(self):
        a, board = self.app, self.board
        a.click("#nav-sharing")
        wait_for("the Sharing view, off", lambda: a.attr("#share-state", "data-sharing") == "off")
        self.assertFalse(os.path.exists(os.path.join(self.data, "sharing.json")), "nothing stored before a join")
        # Bad input: a clear message in the view, nothing stored.
        self.join_with("http://board.example.com", "twi_x")
        wait_for("the plain-http refusal", lambda: "refusing plain http://" in (self.text("#share-error") or ""))
        self.join_with(f"http://127.0.0.1:{free_port()}", board.invite())
        wait_for("the unreachable board", lambda: "cannot reach the board" in (self.text("#share-error") or ""))
        self.assertFalse(os.path.exists(os.path.join(self.data, "sharing.json")), "a failed join stores nothing")
        a.shot("sharing-error.png")

        self.join_with(board.url, board.invite())
        wait_for("sharing on", lambda: a.attr("#share-state", "data-sharing") == "on", timeout=60)
        status = cli(self.home, self.data, "share", "status", "--json", "--no-scan")
        self.assertTrue(status["sharing"])
        self.assertEqual(status["team"], "demo")
        self.assertEqual(self.text("#share-team"), "demo")
        self.assertRegex(status["alias"], r"^[A-Z][a-z]+ [A-Z][a-z]+$", "a random two-word alias")
        self.assertFalse(status["auto"], "auto-send is off until turned on")
        self.assertEqual([m["alias"] for m in board.members()], [status["alias"]])

        # The preview is the CLI's bytes.
        want = self.cli_preview
        wait_for("the app's preview equal to `tokenworth share preview`",
                 lambda: (lambda w: w and a.invoke("share_preview")["text"] == w)(want()), timeout=60, interval=0.5)
        expected = want()
        a.click("#nav-overview")
        a.click("#nav-sharing")
        a.click("#share-tab-json")
        shown = wait_for("the JSON preview", lambda: self.text("#share-preview-json"))
        self.assertEqual(shown, expected, "the JSON shown is byte for byte the CLI's preview")
        days = [d["day"] for line in expected.splitlines() for d in json.loads(line)["days"]]
        self.assertGreaterEqual(len(days), 1)
        a.click("#share-tab-table")
        rows = wait_for("the preview table", lambda: a.driver.find_elements(By.CSS_SELECTOR, "[data-testid=preview-row]"))
        self.assertEqual([r.get_attribute("data-day") for r in rows], days)
        a.shot("sharing-preview.png")

        # Send now: the board has the days.
        a.click("#share-send")
        wait_for("the send's result", lambda: (self.text("#share-notice") or "").startswith("Sent "), timeout=60)
        m = board.members()
        self.assertEqual(len(m), 1)
        self.assertEqual(m[0]["days"], len(days), f"the board received every previewed day: {m}")
        wait_for("the send in the audit log", lambda: a.attr("[data-testid=log-row]", "data-status") == "200")
        self.assertIn(f"sent {len(days)} day", self.text("#share-notice").lower())
        # Nothing changed: a second send sends nothing, the board still has the days once.
        a.click("#share-send")
        wait_for("the second send", lambda: (self.text("#share-notice") or "").startswith("Sent 0 days"), timeout=60)
        self.assertEqual(board.members()[0]["days"], len(days), "nothing doubled")
        a.shot("sharing.png")

        # Open board: the browser gets the board's single-use sign-in link.
        a.click("#share-open")
        wait_for("the browser opened", lambda: os.path.exists(self.opened) and read(self.opened).strip(), timeout=60)
        link = read(self.opened).strip()
        self.assertTrue(link.startswith(board.url + "/"), link)

        # Withdraw one day: the confirmation names it; the board drops it, the membership stays.
        first = days[0]
        a.js("for (const id of ['share-w-since', 'share-w-until']) document.getElementById(id).value = arguments[0];", first)
        confirm = self.withdraw_confirmation()
        for w in (f"from {first} to {first}", board.url, "team demo", "every device", "membership stays"):
            self.assertIn(w, confirm)
        a.click("#share-confirm-yes")
        wait_for("the withdraw's result", lambda: (self.text("#share-notice") or "").startswith("Deleted 1 day row"), timeout=60)
        self.assertEqual(board.members()[0]["days"], len(days) - 1, "the withdrawn day is gone from the board")
        days = days[1:]

        # Leave: the confirmation names what goes; afterwards the board holds nothing of us.
        a.click("#share-leave")
        confirm = wait_for("the leave confirmation", lambda: self.text("#share-confirm-text"))
        for w in ("team demo", board.url, "every day", "ends the membership", "token"):
            self.assertIn(w, confirm)
        a.shot("sharing-leave.png")
        a.click("#share-confirm-yes")
        wait_for("sharing off", lambda: a.attr("#share-state", "data-sharing") == "off", timeout=60)
        self.assertIn(f"deleted {len(days)} day row", self.text("#share-notice"))
        self.assertEqual(board.members(), [], "the board holds nothing of this member")
        self.assertFalse(cli(self.home, self.data, "share", "status", "--json", "--no-scan")["sharing"])
        self.assertFalse(os.path.exists(os.path.join(self.data, "sharing-token")), "the token is forgotten")

    def cli_preview(self, home=None, data=None):
        return subprocess.run([CLI, "share", "preview", "--no-scan"], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, HOME=home or self.home, TOKENWORTH_DATA_DIR=data or self.data,
                                       TZ=TZ)).stdout

    def fails_in_view(self, url, code, needles):
        """Joins with url and code in the view: the error shown names every needle (it must
        replace the one shown before), and nothing is stored."""
        before = self.text("#share-error")
        self.join_with(url, code)
        shown = wait_for(f"the error naming {needles}", lambda: (lambda t: t if t and t != before
                                                                  and all(n in t for n in needles) else None)(
            self.text("#share-error")))
        self.assertEqual(self.app.attr("#share-state", "data-sharing"), "off", shown)
        for f in ("sharing.json", "sharing-token"):
            self.assertFalse(os.path.exists(os.path.join(self.data, f)), f"{f} stored after: {shown}")
        return shown

    def test_m_second_device_fields_retag_withdraw_all_revoked(self):
        """The rest of issue 11's list in the view: a page that is not a board, a failing board, a
        board answering garbage, a used invite and a used device code (each a message, nothing
        stored); the app joined as a second device of a member with a code made by the CLI on
        another machine, and Add device for a third; a keyring that refuses (the note, the token
        in a 0600 file); fields chosen in the view (the preview follows, byte for byte the
        CLI's); a tag changed and resent (the board's figure changes, no day doubles); a withdraw
        of everything (the membership stays); a revoked token; the local ledger untouched."""
        a, board = self.app, self.board
        daily_before = cli(self.home, self.data, "daily", "--json", "--no-scan")
        # Two other machines of one member, with the CLI: A joins with an invite, B with A's code.
        machines = {}
        for name in ("a", "b", "c"):
            home, data = os.path.join(self.tmp, f"{name}-home"), os.path.join(self.tmp, f"{name}-data")
            os.makedirs(home)
            machines[name] = (home, data)
        invite = board.invite()
        ja = cli(*machines["a"], "share", "join", board.url, invite, "--name", "Ann B.", "--json")
        used_code = cli(*machines["a"], "share", "add-device", "--json")["code"]
        jb = cli(*machines["b"], "share", "join", board.url, used_code, "--json")
        self.assertEqual(jb["member_id"], ja["member_id"])

        a.click("#nav-sharing")
        wait_for("the Sharing view, off", lambda: a.attr("#share-state", "data-sharing") == "off")
        # Bad input, each a clear message in the view and nothing stored.
        self.fails_in_view(fake_board(200, b"<html><body>hello</body></html>"), "twi_x",
                           ["did not answer as a Tokenworth board"])
        self.fails_in_view(fake_board(503, b"upstream down"), "twi_x", ["HTTP 503"])
        self.fails_in_view(fake_board(200, b'{"team": 5'), "twi_x", ["did not answer as a Tokenworth board"])
        self.fails_in_view(board.url, invite, ["HTTP 410", "new invite"])
        self.fails_in_view(board.url, used_code, ["HTTP 410", "device code"])
        a.shot("sharing-used-code.png")

        # The app joins as a device of Ann B. with a fresh code from machine A.
        self.join_with(board.url, cli(*machines["a"], "share", "add-device", "--json")["code"])
        wait_for("sharing on", lambda: a.attr("#share-state", "data-sharing") == "on", timeout=60)
        notice = self.text("#share-notice")
        self.assertIn("as a new device of Ann B.", notice)
        # No Secret Service on this D-Bus: the keyring refuses, the view says where the token went.
        self.assertIn("the OS keyring refused the token", notice)
        self.assertIn("sharing-token", notice)
        self.assertEqual(os.stat(os.path.join(self.data, "sharing-token")).st_mode & 0o777, 0o600)
        self.assertIn("token in the file", self.text("#share-device"))
        status = cli(self.home, self.data, "share", "status", "--json", "--no-scan")
        self.assertEqual((status["member_id"], status["alias"], status["token_store"]),
                         (ja["member_id"], "Ann B.", "file"))
        self.assertNotIn(status["device_id"], (ja["device_id"], jb["device_id"]))
        # Add device in the view: machine C joins with the code shown.
        a.click("#share-add-device")
        code = wait_for("the device code", lambda: self.text("#share-device-code"))
        jc = cli(*machines["c"], "share", "join", board.url, code, "--json")
        self.assertEqual(jc["member_id"], ja["member_id"])
        self.assertEqual([(m["alias"], m["devices"], m["days"]) for m in board.members()], [("Ann B.", 4, 0)])

        # Fields: per tool on in the view; the preview (JSON shown) is still the CLI's bytes.
        self.assertIsNone(a.js("return document.getElementById('share-f-tools').checked ? 1 : null;"))
        a.click("#share-f-tools")
        wait_for("per tool shared", lambda: "Per tool will be shared" in (self.text("#share-notice") or ""))
        self.assertTrue(cli(self.home, self.data, "share", "status", "--json", "--no-scan")["shared"]["tools"])
        expected = wait_for("a preview with the split per tool", lambda: (lambda w: w if '"tools":' in w else None)(
            self.cli_preview()))
        a.click("#share-tab-json")
        wait_for("the JSON preview equal to the CLI's", lambda: self.text("#share-preview-json") == expected)
        days = [d["day"] for line in expected.splitlines() for d in json.loads(line)["days"]]

        # Send, then a tag changes one day: only it is sent again, and it replaces the old one.
        a.click("#share-send")
        wait_for("the send", lambda: (self.text("#share-notice") or "").startswith(f"Sent {len(days)} day"), timeout=60)
        token = read(os.path.join(self.data, "sharing-token")).strip()
        started = (datetime.now(ZoneInfo(TZ)) - timedelta(minutes=90)).date().isoformat()
        me = board.me(token, started)
        self.assertEqual(me["shipped_sessions"], 0, me)
        cli(self.home, self.data, "tag", "1b2c3d4e", "shipped", "--note", "e2e private note", "--no-scan")
        changed = wait_for("the preview of the changed day", lambda: self.cli_preview())
        self.assertEqual(len(changed.splitlines()), 1, changed)
        self.assertNotIn("e2e private note", changed)
        self.assertEqual([d["day"] for d in json.loads(changed)["days"]], [started])
        a.click("#share-send")
        wait_for("the resend of one day", lambda: (self.text("#share-notice") or "").startswith("Sent 1 day"), timeout=60)
        after = board.me(token, started)
        self.assertEqual(after["shipped_sessions"], 1, after)
        self.assertEqual(after["cost_usd"], me["cost_usd"], "the resent day replaced the old one")
        self.assertEqual([(m["devices"], m["days"]) for m in board.members()], [(4, len(days))], "nothing doubled")
        sent = [e["payload"] for e in a.invoke("share_log")["entries"] if e["status"] == 200]
        self.assertEqual(sent[-1], changed.rstrip("\n"), "the audit log holds the bytes sent")

        # Withdraw everything: the confirmation says so; the board keeps the membership only.
        a.js("for (const id of ['share-w-since', 'share-w-until']) document.getElementById(id).value = '';")
        confirm = self.withdraw_confirmation()
        self.assertIn("Withdraw every day that Ann B. sent to team demo", confirm)
        a.click("#share-confirm-yes")
        wait_for("the withdraw", lambda: (self.text("#share-notice") or "").startswith(f"Deleted {len(days)} day row"),
                 timeout=60)
        self.assertEqual([(m["alias"], m["devices"], m["days"]) for m in board.members()], [("Ann B.", 4, 0)])

        # Revoked: the admin removes the member; Send says so, Leave forgets it here.
        board.admin("admin", "remove", "demo", ja["member_id"])
        a.click("#share-send")
        shown = wait_for("the revoked token", lambda: self.text("#share-error"), timeout=60)
        for n in ("HTTP 401", "revoked", "Leave forgets it here"):
            self.assertIn(n, shown)
        a.shot("sharing-revoked.png")
        a.click("#share-leave")
        a.click("#share-confirm-yes")
        wait_for("sharing off", lambda: a.attr("#share-state", "data-sharing") == "off", timeout=60)
        self.assertIn("forgotten here", self.text("#share-error"))
        for f in ("sharing.json", "sharing-token"):
            self.assertFalse(os.path.exists(os.path.join(self.data, f)), f)
        self.assertEqual(board.members(), [])
        self.assertEqual(cli(self.home, self.data, "daily", "--json", "--no-scan"), daily_before,
                         "the local ledger is untouched")

    def test_z_auto_send_queues_offline_and_drains(self):
        """Daily auto-send with the board stopped: the days wait and the retry (backoff, first
        after a minute) sends them once the board is back; nothing doubles."""
        a, board = self.app, self.board
        a.click("#nav-sharing")
        wait_for("the Sharing view, off", lambda: a.attr("#share-state", "data-sharing") == "off")
        self.join_with(board.url, board.invite())
        wait_for("sharing on", lambda: a.attr("#share-state", "data-sharing") == "on", timeout=60)
        queued = int(wait_for("queued days", lambda: int(a.attr("#share-queued") or 0)))
        board.stop()
        a.click("#share-auto")
        wait_for("the failed auto-send and its retry", lambda: a.attr("#share-auto-state", "data-retry"), timeout=60)
        self.assertIn("cannot reach the board", self.text("#share-auto-state"))
        self.assertEqual(int(a.attr("#share-queued")), queued, "the days wait in the queue")
        a.shot("sharing-offline.png")
        board.start()
        wait_for("the retry to send the queue", lambda: a.attr("#share-queued") == "0", timeout=150, interval=1)
        self.assertFalse(a.attr("#share-auto-state", "data-retry"), "no retry pending")
        self.assertTrue(self.text("#share-auto-state").startswith("Next send"), self.text("#share-auto-state"))
        m = board.members()
        self.assertEqual([x["days"] for x in m], [queued], f"every queued day arrived once: {m}")
        statuses = [e["status"] for e in a.invoke("share_log")["entries"]]
        self.assertEqual(statuses[-1], 200, f"the audit log has the send: {statuses}")
        a.click("#share-leave")
        a.click("#share-confirm-yes")
        wait_for("sharing off", lambda: a.attr("#share-state", "data-sharing") == "off", timeout=60)


class BadStates(unittest.TestCase):
    def test_no_logs_at_all_shows_where_it_looked(self):
        tmp = tempfile.mkdtemp(prefix="tw-e2e-empty-")
        os.makedirs(os.path.join(tmp, "home"))
        app = App(os.path.join(tmp, "home"), os.path.join(tmp, "data"))
        try:
            app.click("#nav-overview")
            # Read in one go: a re-render after an event may replace the element between calls.
            text = wait_for("the empty state", lambda: "".join(
                e.text for e in app.driver.find_elements(By.CSS_SELECTOR, "#empty-state") if e.is_displayed()))
            self.assertIn(".claude", text)
            self.assertIn("codex", text.lower())
            app.shot("empty.png")
        finally:
            app.quit()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_newer_database_is_refused_untouched(self):
        tmp = tempfile.mkdtemp(prefix="tw-e2e-newer-")
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        db_path = os.path.join(data, "ledger.db")
        db = sqlite3.connect(db_path)
        db.execute("CREATE TABLE future(x)")
        db.execute("PRAGMA user_version = 999")
        db.commit()
        db.close()
        digest = sha(db_path)
        os.makedirs(os.path.join(tmp, "home"))
        app = App(os.path.join(tmp, "home"), data)
        try:
            el = wait_for("an error that names the newer database", lambda: [
                e for e in app.driver.find_elements(By.CSS_SELECTOR, "#error-banner") if e.is_displayed()
                and "newer" in e.text.lower()])
            self.assertTrue(el)
            # The sidebar does not say "Watching logs" for a ledger the app cannot write.
            wait_for("the sidebar to say nothing is recorded", lambda: app.driver.find_elements(
                By.CSS_SELECTOR, "#watch-state[data-state='stopped']"))
            app.shot("newer-db.png")
        finally:
            app.quit()
        self.assertEqual(sha(db_path), digest, "the newer database was modified")
        shutil.rmtree(tmp, ignore_errors=True)


def notified(path):
    """The summaries of the Notify calls dbus-monitor saw on the session bus, in order."""
    titles, args = [], None
    for line in read(path).splitlines():
        if "member=Notify" in line:
            args = []
        elif args is not None and line.startswith("   string "):
            args.append(line[len("   string "):].strip()[1:-1])
            if len(args) == 3:  # app name, (replaces id), icon, summary
                titles.append(args[2])
                args = None
    return titles


def noon_zone(utc_now):
    """A fixed-offset zone (IANA's Etc/GMT±N, whose sign is the reverse of the offset) in which
    `utc_now` is between 11:30 and 13:00."""
    off = 12 - round(utc_now.hour + utc_now.minute / 60)
    off = min(max(off, -11), 12)
    return "Etc/GMT" if off == 0 else f"Etc/GMT{'-' if off > 0 else '+'}{abs(off)}"


class Alerts(unittest.TestCase):
    """The real app, started --hidden as at login, on logs appended under a watched temp home:
    budget, spike and idle-burn alerts reach the notification service on the test's D-Bus (dunst,
    started by run.sh) once each; a raised budget re-arms its alert; the idle-burn alert comes at
    its deadline, with no write to wake the app."""

    def test_alerts_notify_once_each_and_a_raise_rearms(self):
        tmp = tempfile.mkdtemp(prefix="tw-e2e-alerts-")
        home, data = os.path.join(tmp, "home"), os.path.join(tmp, "data")
        live_cwd = os.path.join(tmp, "work")  # not a git repository: no commits
        os.makedirs(live_cwd)
        os.makedirs(data)
        # A zone where it is about noon now: the budget and spike alerts are about "today", and
        # the session began 30 minutes ago (in Europe/Berlin the test failed in the half hour
        # after midnight, its first request on the day before).
        tz = noon_zone(datetime.now(ZoneInfo("UTC")))
        now = datetime.now(ZoneInfo(tz))
        n = [0]

        def spend(session, cwd, ts, usd):
            # claude-sonnet-4-5 output at $15 per million tokens, nothing else.
            n[0] += 1
            d = os.path.join(home, ".claude", "projects", "-" + cwd.strip("/").replace("/", "-"))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, session + ".jsonl"), "a") as f:
                f.write(fakehome.claude_line(session, cwd, n[0], ts, inp=0, cw=0, cr=0,
                                             out=round(usd / 15 * 1e6)) + "\n")

        # 14 days of $0.30: a spike is today above $0.90.
        for i in range(1, 15):
            spend("hist", "/tmp/hist", (now - timedelta(days=i)).replace(hour=12, minute=0), 0.30)
        # A running session, heavy ($0.60 >= $0.50), untagged, no commit: idle burn 30 minutes after
        # its start, 25 s from now.
        start = now - timedelta(minutes=30) + timedelta(seconds=25)
        spend("live", live_cwd, start, 0.30)
        spend("live", live_cwd, now - timedelta(seconds=20), 0.30)
        with open(os.path.join(data, "config.toml"), "w") as f:
            f.write("# alerts for the e2e test\n[alerts]\nidle_burn_usd = 0.5\n")
        cli(home, data, "budget", "set", "daily", "1")

        monitor_log = os.path.join(tmp, "notify.log")
        monitor_out = open(monitor_log, "w")
        monitor = subprocess.Popen(
            ["dbus-monitor", "--session",
             "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
            stdout=monitor_out, stderr=subprocess.DEVNULL)
        env = dict(os.environ, HOME=home, TZ=tz, **DEBUG_LOG)
        app_err = open(os.path.join(LOGS, "alerts-app.stderr"), "w")
        app = subprocess.Popen([APP, "--hidden", "--data-dir", data], env=env,
                               stdout=subprocess.DEVNULL, stderr=app_err)
        budget_80, budget_100 = "Daily budget at 80% (all tools)", "Daily budget spent (all tools)"
        try:
            def count(prefix):
                return sum(1 for t in notified(monitor_log) if t.startswith(prefix))

            def exactly(prefix, k, timeout=WAIT):
                wait_for(f"{k} notification(s) '{prefix}'", lambda: count(prefix) >= k, timeout=timeout)
                self.assertEqual(count(prefix), k, notified(monitor_log))

            # Nothing holds at start: no notification until the idle-burn deadline.
            time.sleep(5)
            self.assertEqual(notified(monitor_log), [])
            exactly("Idle burn?", 1, timeout=60)
            self.assertTrue(datetime.now(ZoneInfo(tz)) >= start + timedelta(minutes=30),
                            "the idle-burn alert came before its 30 minutes")

            spend("live", live_cwd, datetime.now(ZoneInfo(tz)), 0.30)  # $0.90 of $1: 80%
            exactly(budget_80, 1)
            spend("live", live_cwd, datetime.now(ZoneInfo(tz)), 0.03)  # $0.93: 3.1x the median day
            exactly("Spend spike", 1)
            spend("live", live_cwd, datetime.now(ZoneInfo(tz)), 0.30)  # $1.23: spent
            exactly(budget_100, 1)
            spend("live", live_cwd, datetime.now(ZoneInfo(tz)), 0.01)  # more of the same: nothing new
            time.sleep(3)
            self.assertEqual(len(notified(monitor_log)), 4, notified(monitor_log))

            # A raised budget clears its alert; lowered again, it is crossed again and says so once.
            cli(home, data, "budget", "set", "daily", "5")
            spend("live", live_cwd, datetime.now(ZoneInfo(tz)), 0.01)
            wait_for("the alert to be re-armed", lambda: not any(
                k.startswith("budget:") for k in json.loads(read(os.path.join(data, "alerts-fired.json")))))
            cli(home, data, "budget", "set", "daily", "1.2")
            spend("live", live_cwd, datetime.now(ZoneInfo(tz)), 0.01)
            exactly(budget_100, 2)
            time.sleep(2)
            self.assertEqual(count(budget_80), 1, notified(monitor_log))
            self.assertEqual(count("Idle burn?"), 1)
            self.assertEqual(count("Spend spike"), 1)
            # The app says it too, in its log (titles only: never a prompt or a note).
            self.assertIn("alert", read(app_log(data)))
        finally:
            app.terminate()
            try:
                app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                app.kill()
            monitor.terminate()
            monitor.wait(timeout=10)
            monitor_out.close()
            app_err.close()
            for f in (app_log(data), monitor_log):
                if os.path.exists(f):
                    shutil.copy(f, os.path.join(LOGS, "alerts-" + os.path.basename(f)))
            shutil.rmtree(tmp, ignore_errors=True)


class NoSocket(unittest.TestCase):
    """Sharing off (issue 11): the real app, its dashboard open in the webview, a first scan of a
    month of logs, live appends and the reports the dashboard shows, traced with strace -f (the
    WebKit processes it starts included): no AF_INET or AF_INET6 socket is opened, nothing
    connects to a network address."""

    def test_with_sharing_off_the_app_opens_no_network_socket(self):
        tmp = tempfile.mkdtemp(prefix="tw-e2e-nosocket-")
        home, data = os.path.join(tmp, "home"), os.path.join(tmp, "data")
        log = fakehome.write_home(home)
        trace = os.path.join(tmp, "trace")
        env = dict(os.environ, HOME=home, TZ=TZ, TOKENWORTH_DATA_DIR=data)
        err = open(os.path.join(LOGS, "nosocket-app.stderr"), "w")
        traced = subprocess.Popen(
            ["strace", "-f", "-qq", "-e", "trace=socket,connect,execve", "-o", trace, APP, "--data-dir", data],
            env=env, stdout=subprocess.DEVNULL, stderr=err)
        pattern = f"{APP} --data-dir {data}"

        def tokens():
            if not os.path.exists(os.path.join(data, "ledger.db")):
                return 0
            try:
                return total_tokens(cli(home, data, "daily", "--json", "--no-scan"))
            except AssertionError:  # the app is creating the ledger
                return 0

        try:
            first = wait_for("the first scan in the ledger", tokens, timeout=60)
            # The dashboard's web content runs (its process was started under the trace).
            wait_for("the webview's web process",
                     lambda: os.path.exists(trace) and "WebKitWebProcess" in read(trace), timeout=60)
            fakehome.append_requests(log, "0a1b2c3d-today-web", "/work/acme-web", 300, 3)
            wait_for("the appended requests in the ledger", lambda: tokens() > first, timeout=60)
            time.sleep(2)  # the dashboard re-queries what it shows after the change
        finally:
            # The app itself is signalled (strace would only detach): it quits as at logout.
            subprocess.run(["pkill", "-TERM", "-f", "--", pattern])
            try:
                traced.wait(timeout=20)
            except subprocess.TimeoutExpired:
                subprocess.run(["pkill", "-9", "-f", "--", pattern])
                traced.kill()
                traced.wait(timeout=10)
            err.close()
        t = read(trace)
        shutil.copy(trace, os.path.join(LOGS, "nosocket-trace.log"))
        shutil.rmtree(tmp, ignore_errors=True)
        inet = [line for line in t.splitlines() if "AF_INET" in line]
        self.assertEqual(inet, [], "a network socket was opened")
        # The trace can see sockets: the app's own (D-Bus, X11) are Unix sockets.
        self.assertIn("socket(AF_UNIX", t)
        self.assertIn("WebKitNetworkProcess", t, "the webview's network process ran under the trace")


if __name__ == "__main__":
    unittest.main(verbosity=2)
