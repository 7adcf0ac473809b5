// Browser test of the team board page (crates/board/page) in Debian's headless Chromium via
// playwright-core.
//
//   node page.mjs --fixture     a small Node server serves index.html, board.js, board.css and
//                               canned JSON under the board's CSP; checks the page against it.
//   BOARD_BIN=... node page.mjs the real server: init, a team, six members who join and send days,
//                               a sign-in link opened in the browser, the page checked against the
//                               board's own JSON, then the admin's view. DATABASE_URL, when set,
//                               is passed as --database-url instead of --data.
//
// Exits non-zero on the first failed check. Screenshots go to test/out/.

import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pageDir = path.resolve(here, '..');
const out = path.join(here, 'out');
fs.mkdirSync(out, { recursive: true });
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FIXTURE = process.argv.includes('--fixture');
const BOARD_BIN = process.env.BOARD_BIN ? path.resolve(process.env.BOARD_BIN) : null;
if (!FIXTURE && !BOARD_BIN) {
  console.error('usage: node page.mjs --fixture | BOARD_BIN=/path/to/tokenworth-board node page.mjs');
  process.exit(2);
}

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// ---------------------------------------------------------------- checks

let checks = 0;
function ok(cond, what) {
  checks++;
  if (!cond) throw new Error(`FAILED: ${what}`);
  console.log(`  ok  ${what}`);
}
function eq(got, want, what) {
  ok(JSON.stringify(got) === JSON.stringify(want), `${what} (got ${JSON.stringify(got)}, want ${JSON.stringify(want)})`);
}

// Every number the board publishes, by the data-figure path the page must use. Written from the
// response shape (crates/share BoardResponse), not from the page's code.
function figures(b) {
  const m = new Map();
  const num = (p, v) => {
    if (typeof v === 'number') m.set(p, v);
  };
  num('min_group', b.min_group);
  for (const [k, v] of Object.entries(b.outcomes || {})) num(`outcomes.${k}`, v);
  const s = b.spend || {};
  num('spend.contributors', s.contributors);
  (s.quartiles_usd || []).forEach((v, i) => num(`spend.quartiles_usd.${i}`, v));
  (s.histogram || []).forEach((bin, i) => {
    num(`spend.histogram.${i}.members`, bin.members);
    num(`spend.histogram.${i}.from_usd`, bin.from_usd);
    num(`spend.histogram.${i}.to_usd`, bin.to_usd);
  });
  for (const sl of b.slices || []) for (const k of ['cost_usd', 'total_tokens', 'contributors']) num(`slices.${sl.kind}.${sl.name}.${k}`, sl[k]);
  for (const [k, v] of Object.entries(b.me || {})) num(`me.${k}`, v);
  return m;
}

// A dotted path resolved in the JSON (for hidden figures named like outcomes.shipped_sessions).
function resolve(obj, p) {
  let cur = obj;
  for (const part of p.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

// The board names a hidden slice kind:name (tool:codex) and a hidden group by its name
// (outcomes, spend); the page's data-figure paths start with the matching prefix.
function hiddenPrefix(figure) {
  const m = /^(tool|model|week):(.+)$/.exec(figure);
  return m ? `slices.${m[1]}.${m[2]}` : figure;
}
function absentFromJson(b, figure) {
  const m = /^(tool|model|week):(.+)$/.exec(figure);
  if (m) return !(b.slices || []).some((s) => s.kind === m[1] && s.name === m[2]);
  const leaves = (v) => (typeof v === 'number' ? 1 : v && typeof v === 'object' ? Object.values(v).reduce((n, x) => n + leaves(x), 0) : 0);
  return leaves(resolve(b, figure)) === 0;
}

const KIND_ORDER = ['tool', 'model', 'week'];
const rank = (k) => (KIND_ORDER.includes(k) ? KIND_ORDER.indexOf(k) : KIND_ORDER.length);
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// cond: null, or {from, notFrom, period} the ready view must match. (A function, not a string:
// the CSP forbids eval in the page, which a string predicate would need.)
async function waitReady(page, cond = null) {
  await page.waitForFunction(
    (c) => {
      const v = document.getElementById('view');
      if (!v || (v.dataset.state !== 'ready' && v.dataset.state !== 'error')) return false;
      if (!c) return true;
      if (c.from !== undefined && v.dataset.from !== c.from) return false;
      if (c.notFrom !== undefined && v.dataset.from === c.notFrom) return false;
      if (c.period !== undefined && v.dataset.period !== c.period) return false;
      return true;
    },
    cond,
    { timeout: 15000 },
  );
  return page.$eval('#view', (v) => ({ ...v.dataset }));
}

// The page's figures against the board JSON fetched with the same cookie.
async function checkBoard(page, b, what) {
  const want = figures(b);
  const shown = await page.$$eval('[data-figure]', (els) => els.map((e) => ({ figure: e.dataset.figure, value: e.dataset.value, text: e.textContent })));
  const seen = new Set();
  for (const s of shown) {
    ok(!seen.has(s.figure), `${what}: ${s.figure} shown once`);
    seen.add(s.figure);
    ok(want.has(s.figure), `${what}: shown ${s.figure} is in the JSON`);
    eq(Number(s.value), want.get(s.figure), `${what}: ${s.figure} data-value equals the JSON`);
    ok(s.text.trim() !== '' && !/NaN|undefined|null|Infinity/.test(s.text), `${what}: ${s.figure} has a readable text ${JSON.stringify(s.text)}`);
  }
  for (const p of want.keys()) ok(seen.has(p), `${what}: ${p} from the JSON is shown`);

  // Hidden figures: absent from the JSON and from the DOM, named in the note with a reason.
  const K = b.min_group;
  const notes = await page.$$eval('#hidden li[data-hidden]', (els) => els.map((e) => ({ figure: e.dataset.hidden, reason: e.dataset.reason, text: e.textContent })));
  eq(notes.length, b.hidden.length, `${what}: the note lists every hidden figure`);
  for (const hdn of b.hidden) {
    ok(absentFromJson(b, hdn.figure), `${what}: hidden ${hdn.figure} is absent from the JSON`);
    const pre = hiddenPrefix(hdn.figure);
    const inDom = shown.filter((s) => s.figure === pre || s.figure.startsWith(`${pre}.`)).length;
    eq(inDom, 0, `${what}: hidden ${hdn.figure} has no element in the DOM`);
    const stat = await page.$$(`[data-stat="${hdn.figure}"]`);
    eq(stat.length, 0, `${what}: hidden ${hdn.figure} has no card`);
    const n = notes.find((x) => x.figure === hdn.figure && x.reason === hdn.reason);
    ok(n, `${what}: the note names ${hdn.figure}`);
    const human = { fewer_than_k: `fewer than ${K} members`, difference_isolates: 'would single out a member' }[hdn.reason] || hdn.reason;
    ok(n.text.includes(human), `${what}: the note says why ${hdn.figure} is hidden (${JSON.stringify(n.text)})`);
  }
  if (b.spend && b.spend.histogram === undefined) eq((await page.$$('#histogram')).length, 0, `${what}: no histogram drawn when it is hidden`);
  if (b.spend && b.spend.quartiles_usd === undefined) eq((await page.$$('#quartiles')).length, 0, `${what}: no quartiles drawn when they are hidden`);

  // Slices: by kind then name, never by size.
  const rows = await page.$$eval('#slices tr[data-slice]', (els) => els.map((e) => `${e.dataset.kind}\u0000${e.dataset.name}`));
  const sorted = [...b.slices].sort((x, y) => rank(x.kind) - rank(y.kind) || cmp(x.kind, y.kind) || cmp(x.name, y.name)).map((s) => `${s.kind}\u0000${s.name}`);
  eq(rows, sorted, `${what}: slices in kind, then name order`);

  // Order of the sections: outcomes first, then spend, slices, the note.
  const order = await page.$$eval('#view > section', (els) => els.map((e) => e.id));
  eq(order.slice(0, 4), ['outcomes', 'spend', 'slices-section', 'hidden'], `${what}: section order`);

  const range = await page.$eval('#range', (e) => ({ from: e.dataset.from, to: e.dataset.to }));
  eq(range, { from: b.from, to: b.to }, `${what}: header range`);
  const pressed = await page.$eval(`#period-${b.period}`, (e) => e.getAttribute('aria-pressed'));
  eq(pressed, 'true', `${what}: period switch shows ${b.period}`);
  const bodyText = await page.$eval('#view', (e) => e.textContent);
  ok(!/NaN|undefined|\[object/.test(bodyText), `${what}: no NaN/undefined in the page text`);
}

// Same-origin fetch from inside the page: the page's own cookie, no token.
async function fetchInPage(page, url) {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { credentials: 'same-origin', cache: 'no-store' });
    return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text() };
  }, url);
}

// ---------------------------------------------------------------- browser

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
});

// A context that may only talk to `origin`; records CSP violations, console errors and URLs.
async function openContext(origin, { colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, colorScheme, locale: 'en-US' });
  const external = [];
  const urls = [];
  await context.route('**/*', (route) => {
    const u = route.request().url();
    urls.push(u);
    if (u.startsWith(`${origin}/`) || u.startsWith('data:')) return route.continue();
    external.push(u);
    return route.abort();
  });
  await context.addInitScript(`window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + (e.lineNumber || 0)));`);
  const page = await context.newPage();
  const problems = [];
  const cspConsole = [];
  page.on('console', (m) => {
    const t = m.text();
    if (/Content Security Policy|Refused to/i.test(t)) cspConsole.push(t);
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${t}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) urls.push(f.url());
  });
  return { context, page, problems, cspConsole, external, urls };
}

// No CSP violation, no script error; `allow` filters expected console lines (e.g. a 401 fetch).
async function clean(p, what, allow = null) {
  const csp = await p.page.evaluate(() => window.__csp);
  eq(csp, [], `${what}: no securitypolicyviolation`);
  eq(p.cspConsole, [], `${what}: no CSP message on the console`);
  const probs = allow ? p.problems.filter((x) => !allow.test(x)) : p.problems;
  eq(probs, [], `${what}: no console errors or page errors`);
  eq(p.external, [], `${what}: no request leaves the origin`);
}

const shot = (page, name) => page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });

// ---------------------------------------------------------------- fixture mode

function ymd(d) {
  return d.toISOString().slice(0, 10);
}
function addDays(s, n) {
  const d = new Date(`${s}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return ymd(d);
}
function localToday() {
  const d = new Date();
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
function periodOf(period, date) {
  const d = new Date(`${date}T00:00:00Z`);
  if (period === 'month') {
    const from = ymd(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)));
    const to = ymd(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)));
    return { from, to };
  }
  const dow = (d.getUTCDay() + 6) % 7; // Monday = 0
  const from = addDays(date, -dow);
  return { from, to: addDays(from, 6) };
}

// Canned boards. Numbers vary with the period so that navigating visibly changes them.
function fixtureBoard(team, period, date) {
  const { from, to } = periodOf(period, date || localToday());
  const f = 1 + (Number(from.slice(8, 10)) % 7) / 10 + (period === 'month' ? 3 : 0);
  const r = (x) => Math.round(x * 1e6) / 1e6;
  if (team === 'demo') {
    return {
      team,
      period,
      from,
      to,
      min_group: 3,
      outcomes: { contributors: 5, shipped_sessions: Math.round(14 * f), fixed_sessions: Math.round(6 * f), cost_per_shipped_usd: r(3.217 * f), share_abandoned: 0.083, share_wasted: 0.0421, share_untagged: 0.31 },
      spend: {
        contributors: 6,
        quartiles_usd: [r(12.5 * f), r(31.25 * f), r(58.004 * f)],
        histogram: [
          { from_usd: 0, to_usd: 25, members: 1 },
          { from_usd: 25, to_usd: 50, members: 3 },
          { from_usd: 50, to_usd: 75, members: 0 },
          { from_usd: 75, members: 2 },
        ],
      },
      slices: [
        { kind: 'week', name: from, contributors: 6, cost_usd: r(101.5 * f), total_tokens: Math.round(81234567 * f) },
        { kind: 'model', name: 'gpt-5.1-codex', contributors: 3, cost_usd: r(40.1 * f), total_tokens: Math.round(2345678 * f) },
        { kind: 'tool', name: 'codex', contributors: 3, cost_usd: r(40.1 * f), total_tokens: Math.round(2345678 * f) },
        { kind: 'model', name: 'anthropic/claude-opus-4.5@2026', contributors: 4, cost_usd: r(61.4 * f), total_tokens: Math.round(78888889 * f) },
        { kind: 'tool', name: 'claude-code', contributors: 4, cost_usd: r(61.4 * f), total_tokens: Math.round(78888889 * f) },
      ],
      hidden: [],
      me: { cost_usd: r(27.5 * f), total_tokens: Math.round(12345678 * f), shipped_sessions: 4, fixed_sessions: 1, cost_per_shipped_usd: r(6.875 * f) },
    };
  }
  if (team === 'quiet') {
    return {
      team,
      period,
      from,
      to,
      min_group: 3,
      outcomes: { contributors: 3, fixed_sessions: 7, share_untagged: 0.5 },
      spend: { contributors: 4, quartiles_usd: [1.5, 2.25, 9] },
      slices: [{ kind: 'tool', name: 'claude-code', contributors: 4, cost_usd: 20.75, total_tokens: 999 }],
      hidden: [
        { figure: 'outcomes.shipped_sessions', reason: 'fewer_than_k' },
        { figure: 'outcomes.cost_per_shipped_usd', reason: 'fewer_than_k' },
        { figure: 'outcomes.share_abandoned', reason: 'difference_isolates' },
        { figure: 'outcomes.share_wasted', reason: 'difference_isolates' },
        { figure: 'spend.histogram', reason: 'difference_isolates' },
        { figure: 'tool:codex', reason: 'fewer_than_k' },
        { figure: 'model:gpt-5.1-codex', reason: 'difference_isolates' },
      ],
      me: { cost_usd: 2.5, total_tokens: 500 },
    };
  }
  if (team === 'tiny') {
    // What the board answers for a team below k: whole groups withheld.
    return {
      team,
      period,
      from,
      to,
      min_group: 3,
      outcomes: {},
      spend: {},
      slices: [],
      hidden: [
        { figure: 'outcomes', reason: 'fewer_than_k' },
        { figure: 'spend', reason: 'fewer_than_k' },
        ...(period === 'month' ? [{ figure: `week:${from}`, reason: 'fewer_than_k' }] : []),
        { figure: 'tool:claude-code', reason: 'fewer_than_k' },
        { figure: 'model:claude-sonnet-4.5', reason: 'fewer_than_k' },
      ],
      me: { cost_usd: 1.25, total_tokens: 10 },
    };
  }
  return null;
}

const ODD_ALIAS = 'Zoë <b>Q</b> "&amp;" \u202Eevil';
const REVIEW = [
  { member_id: 'm-1', alias: ODD_ALIAS, device_id: 'd-1', day: '2026-11-30', reasons: ['cost_spike', '<script>alert(1)</script>'] },
  { member_id: 'm-2', alias: 'ben', device_id: 'd-2', day: '2026-12-01', reasons: ['tokens_without_cost'] },
];

function startFixtureServer() {
  const files = {
    '/assets/board.js': ['board.js', 'text/javascript; charset=utf-8'],
    '/assets/board.css': ['board.css', 'text/css; charset=utf-8'],
  };
  const apiLog = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const headers = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    const send = (status, type, body) => {
      res.writeHead(status, { ...headers, 'content-type': type });
      res.end(body);
    };
    const json = (status, v) => send(status, 'application/json', JSON.stringify(v));
    const who = /(?:^|;\s*)tw_board=(admin|member)(?:;|$)/.exec(req.headers.cookie || '');
    const signedIn = !!who;
    if (req.method !== 'GET') return json(405, { error: 'method not allowed' });
    if (/^\/teams\/[^/]+\/?$/.test(url.pathname)) return send(200, 'text/html; charset=utf-8', fs.readFileSync(path.join(pageDir, 'index.html')));
    if (files[url.pathname]) return send(200, files[url.pathname][1], fs.readFileSync(path.join(pageDir, files[url.pathname][0])));
    if (url.pathname.startsWith('/api/')) {
      apiLog.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), cookie: signedIn });
      if (!signedIn) return json(401, { error: 'not signed in' });
      if (url.pathname === '/api/v1/me') return json(200, { team: 'demo', member_id: 'm-9', alias: 'me <i>too</i>', admin: who[1] === 'admin' });
      const m = /^\/api\/v1\/teams\/([^/]+)\/(board|review)$/.exec(url.pathname);
      if (m) {
        const team = decodeURIComponent(m[1]);
        if (m[2] === 'review') return team === 'demo' ? json(200, REVIEW) : json(403, { error: 'admins only' });
        const period = url.searchParams.get('period') || 'week';
        const date = url.searchParams.get('date');
        if (!['week', 'month'].includes(period) || (date && !/^\d{4}-\d{2}-\d{2}$/.test(date))) return json(400, { error: 'bad period or date' });
        const b = fixtureBoard(team, period, date);
        return b ? json(200, b) : json(404, { error: 'no such team' });
      }
    }
    return json(404, { error: 'not found' });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, apiLog, origin: `http://127.0.0.1:${server.address().port}` })));
}

async function fixtureMode() {
  const { server, apiLog, origin } = await startFixtureServer();
  const signin = async (ctx, role = 'admin') => ctx.addCookies([{ name: 'tw_board', value: role, url: origin, httpOnly: true, sameSite: 'Strict' }]);
  try {
    // ---------------------------------------------------------- full board, admin
    console.log('fixture: full board (demo, admin)');
    const p = await openContext(origin);
    await signin(p.context);
    const resp = await p.page.goto(`${origin}/teams/demo`);
    eq(resp.headers()['content-security-policy'], CSP, 'the page is served under the board CSP');
    let v = await waitReady(p.page);
    eq(v.state, 'ready', 'demo: page ready');
    eq(v.period, 'week', 'demo: the current week by default');
    let b = (await fetchInPage(p.page, `/api/v1/teams/demo/board?period=week`)).body;
    await checkBoard(p.page, b, 'demo week');
    const first = apiLog.find((x) => x.path === '/api/v1/teams/demo/board');
    eq(first.query, { period: 'week' }, 'demo: the first request asks for the current period (no date)');
    ok(apiLog.filter((x) => x.path.startsWith('/api/')).every((x) => x.cookie), 'demo: every API request carries the cookie (credentials same-origin)');
    eq(await p.page.$eval('#team-name', (e) => e.textContent), 'demo', 'demo: team name from the path');
    eq(await p.page.$eval('#whoami-alias', (e) => e.textContent), 'me <i>too</i>', 'demo: the alias is text, not markup');
    eq(await p.page.$$eval('#whoami i, #view b, #view script, #view i', (els) => els.length), 0, 'demo: no element made from data');
    const review = await p.page.$$eval('#review-list li', (els) => els.map((e) => ({ alias: e.querySelector('.ri-alias').textContent, day: e.dataset.day, reasons: [...e.querySelectorAll('[data-reason]')].map((x) => x.textContent) })));
    eq(review.length, REVIEW.length, 'demo: admin sees the review list');
    for (const it of REVIEW) {
      const got = review.find((x) => x.day === it.day);
      ok(got && got.alias === it.alias, `demo: review alias ${JSON.stringify(it.alias)} shown verbatim`);
      eq(got.reasons, it.reasons, `demo: review reasons of ${it.day}`);
    }
    const mine = await p.page.$$eval('.hist-col[data-mine="true"]', (els) => els.map((e) => Number(e.dataset.bin)));
    eq(mine, [1], 'demo: my bin is marked in the histogram');
    eq(await p.page.$eval('#next', (e) => e.disabled), true, 'demo: no next period after the current one');
    const look = await p.page.evaluate(() => ({ bg: getComputedStyle(document.body).backgroundColor, radius: getComputedStyle(document.querySelector('.card')).borderTopLeftRadius, font: getComputedStyle(document.body).fontSize }));
    eq(look, { bg: 'rgb(245, 246, 248)', radius: '10px', font: '13px' }, 'demo: board.css applies (light palette, cards, type)');
    ok(!(await p.page.$eval('#whoami', (e) => e.textContent)).includes('null'), 'demo: no stray null in the header');
    await shot(p.page, 'fixture-demo-week-light');

    // previous week
    const from0 = v.from;
    await p.page.click('#prev');
    v = await waitReady(p.page, { notFrom: from0 });
    eq(v.from, addDays(from0, -7), 'prev: the week before');
    eq(apiLog.at(-1).query, { period: 'week', date: addDays(from0, -1) }, 'prev: asks with date = day before from');
    b = (await fetchInPage(p.page, `/api/v1/teams/demo/board?period=week&date=${v.from}`)).body;
    await checkBoard(p.page, b, 'demo previous week');
    ok(p.page.url().includes(`date=${addDays(from0, -1)}`), 'prev: the address keeps the period (reloadable)');
    eq(await p.page.$eval('#next', (e) => e.disabled), false, 'prev: next is enabled again');
    await p.page.click('#next');
    v = await waitReady(p.page, { from: from0 });
    eq(v.from, from0, 'next: back to the current week');

    // month
    await p.page.click('#period-month');
    v = await waitReady(p.page, { period: 'month' });
    b = (await fetchInPage(p.page, `/api/v1/teams/demo/board?period=month&date=${v.from}`)).body;
    await checkBoard(p.page, b, 'demo month');
    eq(v.from.slice(8), '01', 'month: starts on the 1st');
    eq(apiLog.filter((x) => x.path.endsWith('/review')).length, 1, 'the review list is fetched once');
    await shot(p.page, 'fixture-demo-month-light');
    await clean(p, 'demo');

    // reload keeps the period from the address
    await p.page.reload();
    v = await waitReady(p.page);
    eq(v.period, 'month', 'reload: period from the address');
    await clean(p, 'demo reload');

    // CSP control: the listener does catch a violation (an inline style attribute).
    await p.page.evaluate(() => document.body.setAttribute('style', 'color: red'));
    await p.page.waitForTimeout(100);
    const caught = await p.page.evaluate(() => window.__csp.length);
    ok(caught >= 1, 'control: an inline style attribute is reported as a CSP violation');
    await p.context.close();

    // ---------------------------------------------------------- dark
    console.log('fixture: dark scheme');
    const d = await openContext(origin, { colorScheme: 'dark' });
    await signin(d.context);
    await d.page.goto(`${origin}/teams/demo?period=month`);
    v = await waitReady(d.page);
    eq(v.period, 'month', 'dark: period from the address');
    const bg = await d.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    eq(bg, 'rgb(15, 17, 20)', 'dark: dark background from prefers-color-scheme');
    eq(await d.page.evaluate(() => getComputedStyle(document.querySelector('.card')).borderTopLeftRadius), '10px', 'dark: cards styled');
    await shot(d.page, 'fixture-demo-month-dark');
    await clean(d, 'dark');
    await d.context.close();

    // ---------------------------------------------------------- hidden figures
    console.log('fixture: hidden figures (quiet)');
    const reviewsBefore = apiLog.filter((x) => x.path.endsWith('/review')).length;
    const q = await openContext(origin);
    await signin(q.context, 'member');
    await q.page.goto(`${origin}/teams/quiet`);
    v = await waitReady(q.page);
    eq(v.state, 'ready', 'quiet: page ready');
    b = (await fetchInPage(q.page, `/api/v1/teams/quiet/board?period=week`)).body;
    await checkBoard(q.page, b, 'quiet week');
    for (const f of ['outcomes.shipped_sessions', 'outcomes.cost_per_shipped_usd', 'outcomes.share_wasted', 'spend.histogram', 'me.shipped_sessions']) {
      eq(await q.page.$$eval(`[data-figure^="${f}"]`, (els) => els.length), 0, `quiet: nothing for ${f}`);
    }
    eq(await q.page.$$eval('.stat', (els) => els.length), 3, 'quiet: three outcome cards, no placeholders');
    const reasons = await q.page.$$eval('#hidden li', (els) => els.map((e) => e.textContent));
    ok(reasons.some((t) => t.includes('fewer than 3 members')) && reasons.some((t) => t.includes('would single out a member')), 'quiet: the reasons are in words');
    eq(await q.page.$$eval('#review', (els) => els.length), 0, 'quiet: a member sees no review list');
    eq(apiLog.filter((x) => x.path.endsWith('/review')).length, reviewsBefore, 'quiet: a member does not ask for the review list');
    await shot(q.page, 'fixture-quiet-light');
    await clean(q, 'quiet');
    await q.context.close();

    // ---------------------------------------------------------- a team below k
    console.log('fixture: a team below k (tiny)');
    const t = await openContext(origin);
    await signin(t.context, 'member');
    await t.page.goto(`${origin}/teams/tiny?period=month`);
    v = await waitReady(t.page);
    b = (await fetchInPage(t.page, `/api/v1/teams/tiny/board?period=month`)).body;
    await checkBoard(t.page, b, 'tiny month');
    eq(await t.page.$$eval('[data-figure]', (els) => els.map((e) => e.dataset.figure).sort()), ['me.cost_usd', 'me.total_tokens', 'min_group'], 'tiny: only my figures and k are shown');
    eq(await t.page.$$eval('.stat, #histogram, #quartiles, #slices', (els) => els.length), 0, 'tiny: no card, chart or table for withheld groups');
    const tn = await t.page.$$eval('#hidden li', (els) => els.map((e) => e.textContent));
    ok(tn.some((x) => x.startsWith('Outcome figures')) && tn.some((x) => x.startsWith('Tool claude-code')), `tiny: groups and slices named in words (${JSON.stringify(tn)})`);
    await shot(t.page, 'fixture-tiny-month');
    await clean(t, 'tiny');
    await t.context.close();

    // ---------------------------------------------------------- errors
    console.log('fixture: errors');
    const failed = /Failed to load resource: the server responded with a status of (401|404)/;
    const n = await openContext(origin);
    await n.page.goto(`${origin}/teams/demo`);
    v = await waitReady(n.page);
    eq([v.state, v.error], ['error', '401'], 'signed out: error state 401');
    ok((await n.page.$eval('#error', (e) => e.textContent)).includes('not signed in'), 'signed out: says so');
    eq(await n.page.$$eval('[data-figure]', (els) => els.length), 0, 'signed out: no figure');
    await shot(n.page, 'fixture-signed-out');
    await clean(n, 'signed out', failed);
    await n.context.close();

    const x = await openContext(origin);
    await signin(x.context);
    await x.page.goto(`${origin}/teams/nobody`);
    v = await waitReady(x.page);
    eq([v.state, v.error], ['error', '404'], 'unknown team: error state 404');
    ok((await x.page.$eval('#error', (e) => e.textContent)).includes('not one of its members'), 'unknown team: says so');
    await shot(x.page, 'fixture-unknown-team');
    await clean(x, 'unknown team', failed);
    await x.context.close();
  } finally {
    server.close();
  }
}

// ---------------------------------------------------------------- full mode

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function fullMode() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-board-page-'));
  const store = process.env.DATABASE_URL ? ['--database-url', process.env.DATABASE_URL] : ['--data', tmp];
  const run = (...args) => {
    const o = execFileSync(BOARD_BIN, [...args, ...store], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return o;
  };
  const runJson = (...args) => {
    const o = run(...args, '--json');
    try {
      return JSON.parse(o);
    } catch {
      throw new Error(`${args.join(' ')} --json printed no JSON: ${o}`);
    }
  };
  let serverProc = null;
  const stopServer = () => {
    if (serverProc && serverProc.exitCode === null) serverProc.kill('SIGTERM');
  };
  process.on('exit', stopServer);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      stopServer();
      process.exit(130);
    });
  }
  try {
    console.log('full: setup');
    const init = runJson('init');
    ok(typeof init.admin_token === 'string' && init.admin_token.length > 0, 'init prints an admin token');
    runJson('admin', 'team', 'create', 'demo');
    runJson('admin', 'team', 'create', 'other');
    const port = await freePort();
    const BASE = `http://127.0.0.1:${port}`;
    const logPath = path.join(out, 'board-server.log');
    const log = fs.openSync(logPath, 'w');
    serverProc = spawn(BOARD_BIN, ['serve', ...store, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', log, log] });
    let up = false;
    for (let i = 0; i < 150 && !up; i++) {
      if (serverProc.exitCode !== null) throw new Error(`server exited with ${serverProc.exitCode}; see ${logPath}`);
      try {
        up = (await fetch(`${BASE}/healthz`)).status === 200;
      } catch {
        // not listening yet
      }
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    ok(up, `server answers /healthz on ${BASE}`);

    // Six members; m4 shares no outcomes, m5 no tools.
    const api = async (method, p, { token, body } = {}) => {
      const r = await fetch(`${BASE}${p}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      const text = await r.text();
      let j = null;
      try {
        j = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: r.status, json: j, text };
    };
    const aliases = ['ada', 'ben', 'cleo', 'dev', 'eve', 'Zoë Q.'];
    const members = [];
    for (const alias of aliases) {
      const inv = runJson('admin', 'invite', 'demo');
      ok(typeof inv.invite === 'string', `invite for ${alias}`);
      const j = await api('POST', '/api/v1/join', { body: { invite: inv.invite, alias } });
      eq(j.status, 201, `${alias} joins`);
      ok(j.json && j.json.token && j.json.team === 'demo', `${alias} gets a token for demo`);
      members.push({ alias, ...j.json });
    }
    const again = await api('POST', '/api/v1/join', { body: { invite: runJson('admin', 'invite', 'other').invite, alias: 'outsider' } });
    eq(again.status, 201, 'an outsider joins team other');

    const today = new Date();
    const day0 = ymd(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1)));
    const todayUtc = ymd(today);
    const days = [];
    for (let d = day0; d <= todayUtc && days.length < 5; d = addDays(d, 1)) days.push(d);
    const T = (input, cc, cr, output, cost) => ({ input_tokens: input, cache_creation_tokens: cc, cache_read_tokens: cr, output_tokens: output, reasoning_tokens: Math.floor(output / 4), total_tokens: input + cc + cr + output, cost_usd: cost, unpriced_tokens: 0 });
    const round2 = (x) => Math.round(x * 100) / 100;
    for (const [i, m] of members.entries()) {
      const upload = days.map((day, di) => {
        const k = (i + 1) * 1000 + di * 37;
        const a = T(k * 10, k, k * 40, k * 2, round2((i + 1) * 3.5 + di));
        const bb = T(k * 3, 0, k * 5, k, round2((i + 1) * 1.25 + di / 2));
        const totals = T(a.input_tokens + bb.input_tokens, a.cache_creation_tokens + bb.cache_creation_tokens, a.cache_read_tokens + bb.cache_read_tokens, a.output_tokens + bb.output_tokens, round2(a.cost_usd + bb.cost_usd));
        totals.reasoning_tokens = a.reasoning_tokens + bb.reasoning_tokens;
        const u = { day, totals };
        if (i !== 4) u.tools = [{ name: 'claude-code', tokens: a }, { name: 'codex', tokens: bb }];
        u.models = [{ name: 'claude-sonnet-4.5', tokens: a }, { name: 'gpt-5.1-codex', tokens: bb }];
        if (i !== 3) {
          const shipped = round2(totals.cost_usd * 0.5);
          const fixed = round2(totals.cost_usd * 0.2);
          const wasted = round2(totals.cost_usd * 0.1);
          u.outcomes = [
            { outcome: 'shipped', sessions: 1 + (i % 3), cost_usd: shipped, commits: 2 },
            { outcome: 'fixed', sessions: 1, cost_usd: fixed, commits: 1 },
            { outcome: 'wasted', sessions: 1, cost_usd: wasted, commits: 0 },
            { outcome: 'untagged', sessions: 1, cost_usd: round2(totals.cost_usd - shipped - fixed - wasted), commits: 0 },
          ];
        }
        return u;
      });
      const r = await api('PUT', '/api/v1/days', { token: m.token, body: { days: upload } });
      ok(r.status === 200 || r.status === 201, `${m.alias} sends ${upload.length} days (${r.status} ${r.text.slice(0, 200)})`);
    }

    // One heavy day with nothing shipped, fixed or explored: the board's plausibility checks put
    // it on the admin's review list.
    const heavy = members[5];
    const hd = days[days.length - 1];
    const ha = T(900000, 10000, 2000000, 90000, 150);
    const hb = T(100000, 0, 300000, 10000, 30);
    const htot = T(1000000, 10000, 2300000, 100000, 180);
    htot.reasoning_tokens = ha.reasoning_tokens + hb.reasoning_tokens;
    const hr = await api('PUT', '/api/v1/days', {
      token: heavy.token,
      body: {
        days: [
          {
            day: hd,
            totals: htot,
            tools: [{ name: 'claude-code', tokens: ha }, { name: 'codex', tokens: hb }],
            models: [{ name: 'claude-sonnet-4.5', tokens: ha }, { name: 'gpt-5.1-codex', tokens: hb }],
            outcomes: [
              { outcome: 'wasted', sessions: 1, cost_usd: 100, commits: 0 },
              { outcome: 'untagged', sessions: 1, cost_usd: 80, commits: 0 },
            ],
          },
        ],
      },
    });
    eq(hr.status, 200, `${heavy.alias} replaces ${hd} with a heavy day (${hr.text.slice(0, 200)})`);

    // ---------------------------------------------------------- member in the browser
    console.log('full: member view');
    const me = members[0];
    const s = await api('POST', '/api/v1/signin', { token: me.token });
    eq(s.status, 201, 'signin answers 201');
    ok(s.json && /^\/signin\/[^/?#]+$/.test(s.json.link), `signin gives a link path (${s.json && s.json.link})`);
    const p = await openContext(BASE);
    const nav = await p.page.goto(BASE + s.json.link);
    await p.page.waitForURL(`${BASE}/teams/demo**`);
    ok(nav, 'the sign-in link opens');
    let v = await waitReady(p.page);
    eq(v.state, 'ready', `member: page ready (${v.error || ''})`);
    const cookies = await p.context.cookies(BASE);
    ok(cookies.length >= 1, `a cookie is set (${cookies.map((c) => c.name).join(', ')})`);
    for (const c of cookies) {
      ok(c.httpOnly, `cookie ${c.name} is HttpOnly`);
      eq(c.sameSite, 'Strict', `cookie ${c.name} is SameSite=Strict`);
    }
    eq(await p.page.evaluate(() => document.cookie), '', 'no cookie readable from script');
    let b = await fetchInPage(p.page, `/api/v1/teams/demo/board?period=${v.period}&date=${v.from}`);
    eq(b.status, 200, 'board JSON with the cookie');
    await checkBoard(p.page, b.body, `member ${v.period}`);
    if (v.period !== 'month') {
      await p.page.click('#period-month');
      v = await waitReady(p.page, { period: 'month' });
    }
    b = await fetchInPage(p.page, '/api/v1/teams/demo/board?period=month');
    eq(b.status, 200, 'month board JSON with the cookie');
    await checkBoard(p.page, b.body, 'member month');
    ok(b.body.me && typeof b.body.me.cost_usd === 'number', 'member: own figures present');
    const meJson = await fetchInPage(p.page, '/api/v1/me');
    eq([meJson.body.alias, meJson.body.admin], [me.alias, false], '/api/v1/me for the member');
    eq(await p.page.$$eval('#review', (els) => els.length), 0, 'member: no review list');
    await shot(p.page, 'full-member-month');

    // The month before: no days there, so the board withholds its groups; the page follows.
    const month0 = v.from;
    await p.page.click('#prev');
    v = await waitReady(p.page, { notFrom: month0 });
    eq(v.to, addDays(month0, -1), 'member: the previous month ends the day before');
    b = await fetchInPage(p.page, `/api/v1/teams/demo/board?period=month&date=${v.from}`);
    await checkBoard(p.page, b.body, 'member previous month');
    await shot(p.page, 'full-member-previous-month');
    await p.page.click('#next');
    v = await waitReady(p.page, { from: month0 });
    eq(v.from, month0, 'member: next goes back to the current month');

    // The other team: 404, for the page and for its board.
    const other = await p.page.goto(`${BASE}/teams/other`);
    eq(other.status(), 404, '/teams/other is 404 for a non-member');
    const otherApi = await fetchInPage(p.page, '/api/v1/teams/other/board?period=month');
    eq(otherApi.status, 404, 'the board of team other is 404 for a non-member');
    await p.page.goto(`${BASE}/teams/demo`);
    await waitReady(p.page);
    await clean(p, 'member', /Failed to load resource: the server responded with a status of 404/);
    const tokens = [...members.map((m) => m.token), init.admin_token];
    ok(p.urls.every((u) => tokens.every((t) => !u.includes(t))), `no token in any URL visited (${p.urls.length} URLs)`);
    ok(p.urls.every((u) => !/token=/i.test(u)), 'no token parameter in any URL');
    await p.context.close();

    // ---------------------------------------------------------- admin
    console.log('full: admin view');
    const linkOut = run('admin', 'link', 'demo').trim();
    const m = /https?:\/\/[^/\s]+(\/signin\/[^\s]+)/.exec(linkOut);
    ok(m, `admin link prints a sign-in URL (${linkOut})`);
    const a = await openContext(BASE);
    await a.page.goto(BASE + m[1]);
    await a.page.waitForURL(`${BASE}/teams/demo**`);
    v = await waitReady(a.page);
    eq(v.state, 'ready', `admin: page ready (${v.error || ''})`);
    const who = await fetchInPage(a.page, '/api/v1/me');
    eq(who.body.admin, true, 'admin: /api/v1/me says admin');
    b = await fetchInPage(a.page, `/api/v1/teams/demo/board?period=${v.period}&date=${v.from}`);
    await checkBoard(a.page, b.body, `admin ${v.period}`);
    const rv = await fetchInPage(a.page, '/api/v1/teams/demo/review');
    eq(rv.status, 200, 'admin: review JSON');
    ok(await a.page.isVisible('#review'), 'admin: the review card is visible');
    const items = await a.page.$$eval('#review-list li', (els) => els.map((e) => ({ alias: e.querySelector('.ri-alias').textContent, day: e.dataset.day })));
    ok(rv.body.length >= 1, `admin: the heavy day is on the review list (${JSON.stringify(rv.body)})`);
    eq(items.length, rv.body.length, 'admin: review list has every item');
    ok(rv.body.some((it) => it.alias === heavy.alias && it.day === hd), 'admin: the review names the heavy day and its alias');
    const shownReasons = await a.page.$$eval('#review-list [data-reason]', (els) => els.map((e) => e.textContent));
    eq(shownReasons, rv.body.flatMap((it) => it.reasons), 'admin: the reasons are shown as sent');
    eq(await a.page.$$eval('#me', (els) => els.length), 0, 'admin: no "You" column for the admin');
    for (const it of rv.body) ok(items.some((x) => x.alias === it.alias && x.day === it.day), `admin: review of ${it.alias} ${it.day}`);
    const acookies = await a.context.cookies(BASE);
    ok(acookies.every((c) => c.httpOnly && c.sameSite === 'Strict'), 'admin cookie HttpOnly + SameSite=Strict');
    await shot(a.page, 'full-admin');
    await clean(a, 'admin');
    ok(a.urls.every((u) => !u.includes(init.admin_token)), 'admin token never in a URL');
    await a.context.close();
  } finally {
    stopServer();
    if (!process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

let failed = false;
try {
  if (FIXTURE) await fixtureMode();
  else await fullMode();
} catch (e) {
  failed = true;
  console.error(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
console.log(failed ? `FAILED after ${checks} checks` : `passed: ${checks} checks (${FIXTURE ? 'fixture' : 'full'} mode)`);
process.exit(failed ? 1 : 0);
