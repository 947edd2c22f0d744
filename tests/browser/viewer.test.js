#!/usr/bin/env node
/* The viewer in headless Chromium, on a real trace made by `ctrace run` of
 * script.py (threads alpha-1 and alpha-2, each calling known_work three
 * times, and MainThread once). Expected values come from the trace file read
 * with node's JSON.parse, not from the viewer's own parser.
 *
 *   node viewer.test.js --ctrace BIN --work DIR --screenshots DIR CASE
 *
 * Exits 0 (pass), 1 (fail) or 77 (skip: no Chromium or playwright-core). */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

function arg(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : null;
}
const CTRACE = path.resolve(arg('--ctrace'));
const WORK = path.resolve(arg('--work'));
const SHOTS = path.resolve(arg('--screenshots'));
const CASE = process.argv[process.argv.length - 1];
const SCRIPT = path.join(__dirname, 'script.py');
const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => fs.existsSync(p));

let chromium;
try {
  ({ chromium } = require(path.join(__dirname, 'node_modules/playwright-core')));
} catch (e) {
  console.log('SKIP: playwright-core is not installed (npm ci in tests/browser)');
  process.exit(77);
}
if (!CHROMIUM) {
  console.log('SKIP: no Chromium at /usr/bin/chromium');
  process.exit(77);
}

function assert(cond, what) {
  if (!cond) throw new Error('assertion failed: ' + what);
}
function eq(a, b, what) {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(what + ': ' + JSON.stringify(a) + ' != ' + JSON.stringify(b));
}

/* ---- the trace ---- */
function traceRun(out) {
  const r = spawnSync(CTRACE, ['run', '-q', '-o', out, SCRIPT], { cwd: WORK, encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error('ctrace run failed: ' + r.stderr);
  return path.join(WORK, out);
}
function readTrace(file) {
  const zlib = require('zlib');
  let data = fs.readFileSync(file);
  if (file.endsWith('.gz')) data = zlib.gunzipSync(data);
  if (file.endsWith('.html')) {  // the payload, decoded as the page does
    const m = /<script id="ctrace-data" type="application\/octet-stream">([^<]*)<\/script>/.exec(data.toString('utf8'));
    data = zlib.gunzipSync(Buffer.from(m[1].replace(/\s/g, ''), 'base64'));
  }
  return JSON.parse(data.toString('utf8'));
}
const KNOWN_PREFIX = 'known_work (' + SCRIPT + ':';
function expected(trace) {
  const threads = {};
  for (const e of trace.traceEvents) if (e.ph === 'M' && e.name === 'thread_name') threads[e.tid] = e.args.name;
  const xs = trace.traceEvents.filter((e) => e.ph === 'X');
  const known = xs.filter((e) => e.name.startsWith(KNOWN_PREFIX));
  const perThread = {};
  for (const e of known) perThread[threads[e.tid]] = (perThread[threads[e.tid]] || 0) + 1;
  return { threads: threads, slices: xs.length, known: known, knownName: known[0].name, perThread: perThread };
}

/* ---- the server ---- */
function serve(target) {
  return new Promise((resolve, reject) => {
    const proc = spawn(CTRACE, ['view', '-s', '--port', '0', target], { cwd: WORK, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ proc: proc, url: m[1] });
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('exit', (code) => reject(new Error('ctrace view exited (' + code + '): ' + err)));
  });
}

/* ---- the browser ---- */
async function open(url) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  if (process.env.CT_DEBUG_REQ) for (const ev of ['request', 'requestfinished', 'requestfailed', 'response']) page.on(ev, (r) => console.log(Date.now() % 100000, ev, (r.url ? r.url() : ''), ev === 'response' ? r.status() + ' ' + JSON.stringify(r.headers()) : ''));
  await page.goto(url);
  return { browser: browser, page: page, problems: problems };
}
async function waitLoaded(page) {
  await page.waitForFunction(() => window.ctraceViewer && (window.ctraceViewer.ready || window.ctraceViewer.error), null, { timeout: 60000 });
  const err = await page.evaluate(() => window.ctraceViewer.error);
  if (err) throw new Error('viewer error: ' + err);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}
const V = (page, fn, ...args) => page.evaluate(fn, ...args);

async function trackId(page, name) {
  const tracks = (await V(page, () => window.ctraceViewer.info())).tracks;
  const t = tracks.find((x) => x.name === name);
  assert(t, 'a track named ' + name + ' in ' + JSON.stringify(tracks.map((x) => x.name)));
  return t.id;
}
// Client coordinates of the middle of slice I on the canvas.
async function slicePoint(page, i) {
  const pt = await V(page, (k) => window.ctraceViewer.slicePoint(k), i);
  const box = await page.locator('#canvas').boundingBox();
  return { x: box.x + pt.x, y: box.y + pt.y };
}
async function firstKnownOn(page, exp, thread) {
  const list = await V(page, (n) => window.ctraceViewer.find(n), exp.knownName);
  const tid = await trackId(page, thread);
  return list.filter((s) => s.track === tid);
}
function fmtMs(us) { return (us / 1000).toFixed(3) + ' ms'; }

/* ---- the cases ---- */
const cases = {};

// Tracks named after the threads; the known function's slices drawn at full zoom-out.
cases.timeline = async (ctx) => {
  const { page, exp } = ctx;
  const info = await V(page, () => window.ctraceViewer.info());
  eq(info.slices, exp.slices, 'slices loaded');
  const names = info.tracks.map((t) => t.name);
  for (const n of ['MainThread', 'alpha-1', 'alpha-2']) assert(names.includes(n), n + ' track in ' + names);
  assert(info.tracks.every((t) => /\(pid \d+\)$/.test(t.process)), 'tracks grouped by process');
  for (const thread of ['alpha-1', 'alpha-2', 'MainThread']) {
    const id = await trackId(page, thread);
    const drawn = await V(page, (t) => window.ctraceViewer.drawn(t), id);
    const known = drawn.filter((r) => r.name === exp.knownName);
    if (known.length !== exp.perThread[thread]) console.log(thread, JSON.stringify(drawn.filter((r) => r.w > 20)));
    eq(known.length, exp.perThread[thread], 'known_work slices drawn on ' + thread);
    assert(known.every((r) => r.w >= 3), 'each drawn as its own rectangle');
  }
  // The pixel under a known slice is painted (not the white background).
  const s = (await firstKnownOn(page, exp, 'alpha-1'))[0];
  const pt = await V(page, (k) => window.ctraceViewer.slicePoint(k), s.i);
  const px = await V(page, (p) => Array.from(document.getElementById('canvas').getContext('2d').getImageData(Math.round(p.x * devicePixelRatio), Math.round(p.y * devicePixelRatio), 1, 1).data), pt);
  assert(!(px[0] > 250 && px[1] > 250 && px[2] > 250), 'slice pixel painted: ' + px);
  const status = await page.textContent('#status');
  assert(status.includes(exp.slices.toLocaleString('en-US') + ' slices'), 'status: ' + status);
};

// Clicking a known slice shows its name, duration, self time and source.
cases.click_details = async (ctx) => {
  const { page, exp } = ctx;
  const s = (await firstKnownOn(page, exp, 'alpha-2'))[0];
  const ev = exp.known.filter((e) => exp.threads[e.tid] === 'alpha-2').sort((a, b) => a.ts - b.ts)[0];
  const p = await slicePoint(page, s.i);
  await page.mouse.click(p.x, p.y);
  await page.waitForSelector('#panel:not([hidden])');
  const sel = await V(page, () => window.ctraceViewer.selection());
  eq(sel.name, exp.knownName, 'selected name');
  eq(sel.dur, ev.dur, 'selected duration');
  const body = await page.textContent('#panel-body');
  assert(body.includes(exp.knownName), 'panel shows the name');
  assert(body.includes('Duration' + fmtMs(ev.dur)), 'panel shows the duration ' + fmtMs(ev.dur) + ': ' + body.slice(0, 300));
  assert(body.includes('Self time'), 'panel shows the self time');
  assert(body.includes('alpha-2'), 'panel shows the track');
  const hl = await page.textContent('#panel-body .source .hl');
  assert(hl.includes('def known_work(n):'), 'source line highlighted: ' + hl);
  await page.keyboard.press('Escape');
  assert(await page.locator('#panel').isHidden(), 'Escape closes the panel');
};

// Search by substring and regex, next/previous.
cases.search = async (ctx) => {
  const { page, exp } = ctx;
  const total = exp.known.length;
  await page.fill('#search', 'known_work');
  await page.press('#search', 'Enter');
  eq(await page.textContent('#search-count'), '1 / ' + total, 'first match');
  let sel = await V(page, () => window.ctraceViewer.selection());
  eq(sel.name, exp.knownName, 'search selects the match');
  const first = exp.known.map((e) => e.ts).sort((a, b) => a - b);
  eq(sel.ts, first[0], 'first match is the earliest');
  await page.press('#search', 'Enter');
  eq(await page.textContent('#search-count'), '2 / ' + total, 'next');
  sel = await V(page, () => window.ctraceViewer.selection());
  eq(sel.ts, first[1], 'second match');
  await page.press('#search', 'Shift+Enter');
  eq(await page.textContent('#search-count'), '1 / ' + total, 'previous');
  await page.click('#search-prev');
  eq(await page.textContent('#search-count'), total + ' / ' + total, 'previous wraps');
  await page.check('#search-re');
  await page.fill('#search', '^known_w.*script\\.py:\\d+\\)$');
  await page.press('#search', 'Enter');
  eq(await page.textContent('#search-count'), '1 / ' + total, 'regex search');
  await page.fill('#search', '(');
  await page.press('#search', 'Enter');
  eq(await page.textContent('#search-count'), 'bad regex', 'bad regex reported');
  await page.uncheck('#search-re');
  await page.fill('#search', 'KNOWN_WORK');
  await page.press('#search', 'Enter');
  eq(await page.textContent('#search-count'), '1 / ' + total, 'substring search ignores case');
};

// W/S zoom, A/D pan, wheel, drag, F fits.
cases.keys = async (ctx) => {
  const { page } = ctx;
  const box = await page.locator('#canvas').boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 100);
  const span = (v) => v.t1 - v.t0;
  const fit = await V(page, () => window.ctraceViewer.view());
  await page.keyboard.down('w'); await page.waitForTimeout(400); await page.keyboard.up('w');
  const zin = await V(page, () => window.ctraceViewer.view());
  assert(span(zin) < span(fit) * 0.8, 'W zooms in');
  await page.keyboard.down('a'); await page.waitForTimeout(300); await page.keyboard.up('a');
  const left = await V(page, () => window.ctraceViewer.view());
  assert(left.t0 < zin.t0 && Math.abs(span(left) - span(zin)) < span(zin) * 1e-6, 'A pans left');
  await page.keyboard.down('d'); await page.waitForTimeout(300); await page.keyboard.up('d');
  assert((await V(page, () => window.ctraceViewer.view())).t0 > left.t0, 'D pans right');
  const before = await V(page, () => window.ctraceViewer.view());
  await page.keyboard.down('s'); await page.waitForTimeout(300); await page.keyboard.up('s');
  assert(span(await V(page, () => window.ctraceViewer.view())) > span(before), 'S zooms out');
  await page.keyboard.press('f');
  await page.waitForTimeout(50);
  eq(await V(page, () => window.ctraceViewer.view()), fit, 'F fits');
  await page.mouse.wheel(0, -400);
  await page.waitForTimeout(100);
  const wheel = await V(page, () => window.ctraceViewer.view());
  assert(span(wheel) < span(fit), 'wheel zooms in');
  await page.mouse.move(box.x + 700, box.y + 200);
  await page.mouse.down();
  await page.mouse.move(box.x + 500, box.y + 200, { steps: 5 });
  await page.mouse.up();
  const dragged = await V(page, () => window.ctraceViewer.view());
  assert(dragged.t0 > wheel.t0, 'drag pans');
  await page.click('#btn-fit');
  eq(await V(page, () => window.ctraceViewer.view()), fit, 'Fit button');
  // The ruler's labels use a unit that fits the span.
  const shot = path.join(SHOTS, 'keys-ruler.png');
  await page.screenshot({ path: shot, clip: { x: 0, y: 36, width: 1400, height: 30 } });
};

// The flame graph: per-thread roots, the known function inside.
cases.flamegraph = async (ctx) => {
  const { page, exp } = ctx;
  await page.click('#btn-flame');
  await page.waitForTimeout(100);
  const roots = await V(page, () => window.ctraceViewer.flameRoots());
  const byTrack = Object.fromEntries(roots.map((r) => [r.track, r]));
  const main = byTrack.MainThread;
  assert(main && main.children[0].name.startsWith('<module> (' + SCRIPT + ':1)'), 'MainThread root: ' + JSON.stringify(main && main.children[0]));
  for (const t of ['alpha-1', 'alpha-2']) {
    assert(byTrack[t] && byTrack[t].children[0].name.startsWith('Thread.run ('), t + ' root: ' + JSON.stringify(byTrack[t] && byTrack[t].children[0]));
  }
  const drawn = await V(page, () => window.ctraceViewer.flameDrawn());
  const known = drawn.filter((r) => r.name === exp.knownName);
  eq(known.length, 3, 'known_work once per thread in the flame graph');
  // Clicking a frame zooms into it and shows its totals.
  const box = await page.locator('#canvas').boundingBox();
  const k = known[0];
  await page.mouse.click(box.x + k.x + Math.min(k.w, 40) / 2, box.y + k.y + 9);
  const body = await page.textContent('#panel-body');
  assert(body.includes(exp.knownName) && body.includes('Calls'), 'flame node details: ' + body.slice(0, 200));
  await page.screenshot({ path: path.join(SHOTS, 'flamegraph-zoomed.png') });
  // --flamegraph's URL opens it directly.
  await page.goto(ctx.url + '?view=flame');
  await waitLoaded(page);
  eq((await V(page, () => window.ctraceViewer.view())).mode, 'flame', '?view=flame');
};

// Shift-drag selects a range: a sortable table of the functions in it.
cases.range = async (ctx) => {
  const { page, exp } = ctx;
  const box = await page.locator('#canvas').boundingBox();
  const view = await V(page, () => window.ctraceViewer.view());
  await page.keyboard.down('Shift');
  await page.mouse.move(box.x + view.gutter + 2, box.y + 60);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 2, box.y + 80, { steps: 8 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await page.waitForSelector('#range-table');
  eq(await page.textContent('#panel-title'), 'Range', 'panel title');
  const rows = await page.$$eval('#range-table tr', (trs) => trs.slice(1).map((tr) => Array.from(tr.children).map((td) => td.textContent)));
  const known = rows.find((r) => r[0] === exp.knownName);
  assert(known, 'known_work in the range table');
  eq(+known[1], exp.known.length, 'its count');
  await page.click('#range-table th[data-key="count"]');
  const counts = await page.$$eval('#range-table tr', (trs) => trs.slice(1).map((tr) => +tr.children[1].textContent));
  assert(counts.every((c, i) => i === 0 || counts[i - 1] >= c), 'sorted by count, descending');
  await page.click('#range-table th[data-key="name"]');
  const names = await page.$$eval('#range-table tr', (trs) => trs.slice(1).map((tr) => tr.children[0].textContent));
  assert(names.every((n, i) => i === 0 || names[i - 1].localeCompare(n) <= 0), 'sorted by name');
};

// The standalone .html, opened from disk with no server, shows the same.
cases.standalone = async (ctx) => {
  const { page, exp } = ctx;
  await cases.timeline(ctx);
  await cases.click_details(ctx);
  const url = await page.evaluate(() => location.protocol);
  eq(url, 'file:', 'opened from disk');
};

// A directory: the listing page opens any of its traces.
cases.directory = async (ctx) => {
  const { page, exp } = ctx;
  const links = await page.$$eval('#traces a', (as) => as.map((a) => a.textContent));
  eq(links.sort(), ['a.json', 'b.json.gz', 'c.html'], 'listed traces');
  await page.click('#traces a:text("b.json.gz")');
  await waitLoaded(page);
  const info = await V(page, () => window.ctraceViewer.info());
  eq(info.slices, exp.slices, 'slices of the opened trace');
  await page.goBack();
  await page.click('#traces a:text("c.html")');
  await waitLoaded(page);
  eq((await V(page, () => window.ctraceViewer.info())).slices, exp.html.slices, 'the .html trace');
};

// Hand-written events of every kind the viewer draws; hostile names stay text.
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
function formatsTrace() {
  const ev = [
    { ph: 'M', pid: 7, tid: 7, name: 'process_name', args: { name: 'formats' } },
    { ph: 'M', pid: 7, tid: 8, name: 'thread_name', args: { name: 'beta' } },
    { ph: 'B', pid: 7, tid: 8, ts: 100, name: 'outer', args: { a: 1 } },
    { ph: 'X', pid: 7, tid: 8, ts: 200, dur: 300, name: HOSTILE, args: { html: '</script><b>x</b>' } },
    { ph: 'E', pid: 7, tid: 8, ts: 900, args: { ret: 'done' } },
    { ph: 'i', pid: 7, tid: 8, ts: 250, name: 'thread mark', s: 't' },
    { ph: 'i', pid: 7, tid: 8, ts: 260, name: 'process mark', s: 'p' },
    { ph: 'i', pid: 7, tid: 8, ts: 270, name: 'global mark', s: 'g' },
    { ph: 'C', pid: 7, tid: 8, ts: 100, name: 'queue', args: { depth: 1, busy: 0 } },
    { ph: 'C', pid: 7, tid: 8, ts: 400, name: 'queue', args: { depth: 5, busy: 1 } },
    { ph: 'C', pid: 7, tid: 8, ts: 800, name: 'queue', args: { depth: 2, busy: 0 } },
    { ph: 'b', pid: 7, tid: 8, ts: 150, cat: 'asyncio', id: 1, name: 'task-1' },
    { ph: 'b', pid: 7, tid: 8, ts: 300, cat: 'asyncio', id: 1, name: 'step' },
    { ph: 'e', pid: 7, tid: 8, ts: 350, cat: 'asyncio', id: 1, name: 'step' },
    { ph: 'e', pid: 7, tid: 8, ts: 700, cat: 'asyncio', id: 1, name: 'task-1' },
    { ph: 'X', pid: 7, tid: 9, ts: 120, dur: 50, name: 'unnamed thread call' },
    { ph: 'Z', pid: 7, tid: 9, ts: 120, name: 'unknown phase' },
  ];
  return { traceEvents: ev, displayTimeUnit: 'ns', otherData: { note: 'x' } };
}
cases.formats = async (ctx) => {
  const { page } = ctx;
  const info = await V(page, () => window.ctraceViewer.info());
  eq(info.slices, 5, 'X, B/E and b/e slices');
  eq(info.instants, 3, 'instants');
  const names = info.tracks.map((t) => t.kind + ':' + t.name).sort();
  eq(names, ['async:task-1', 'counter:queue', 'events:Global events', 'events:Process events', 'thread:Thread 9', 'thread:beta'], 'tracks');
  assert((await page.textContent('#status')).includes('1 events skipped'), 'unknown phase counted');
  // the hostile name: drawn and shown as text, never run as HTML
  const s = (await V(page, (n) => window.ctraceViewer.find(n), HOSTILE))[0];
  const p = await slicePoint(page, s.i);
  await page.mouse.click(p.x, p.y);
  await page.waitForSelector('#panel:not([hidden])');
  const body = await page.textContent('#panel-body');
  assert(body.includes(HOSTILE) && body.includes('</script><b>x</b>'), 'shown as text: ' + body.slice(0, 200));
  eq(await page.$$eval('#panel-body img, #panel-body b', (x) => x.length), 0, 'no elements from the trace');
  eq(await V(page, () => window.__pwned), undefined, 'no script ran');
  // B/E: one slice whose args merge both ends
  const outer = (await V(page, (n) => window.ctraceViewer.find(n), 'outer'))[0];
  eq([outer.ts, outer.dur], [100, 800], 'B/E slice');
  const q = await slicePoint(page, outer.i);
  await page.mouse.click(q.x + 100, q.y);
  const args = await page.textContent('#panel-body pre.args');
  eq(JSON.parse(args), { a: 1, ret: 'done' }, 'merged args');
  const self = await V(page, () => window.ctraceViewer.selection().self);
  eq(self, 500, 'self time of outer (800 - 300)');
};

async function main() {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.rmSync(path.join(SHOTS, CASE + '-failed.png'), { force: true });
  let target, url, server = null, exp;
  if (CASE === 'standalone') {
    target = traceRun('trace.html');
    exp = expected(readTrace(target));
    url = 'file://' + target;
  } else if (CASE === 'directory') {
    const dir = path.join(WORK, 'traces');
    fs.mkdirSync(dir);
    traceRun('traces/a.json');
    exp = expected(readTrace(traceRun('traces/b.json.gz')));
    exp.html = expected(readTrace(traceRun('traces/c.html')));
    const t = Date.now() / 1000;
    fs.utimesSync(path.join(dir, 'a.json'), t - 30, t - 30);
    server = await serve(dir);
    url = server.url;
  } else if (CASE === 'formats') {
    target = path.join(WORK, 'formats.json');
    fs.writeFileSync(target, JSON.stringify(formatsTrace()));
    server = await serve(target);
    url = server.url;
  } else {
    target = traceRun('trace.json');
    exp = expected(readTrace(target));
    server = await serve(target);
    url = server.url;
  }
  const ctx = await open(url);
  ctx.exp = exp;
  ctx.url = url;
  try {
    if (CASE !== 'directory') await waitLoaded(ctx.page);
    await cases[CASE](ctx);
    await ctx.page.screenshot({ path: path.join(SHOTS, CASE + '.png') });
    // Chromium sometimes reports the worker's finished fetch of the trace as
    // ERR_ABORTED right after its response arrived, although the body was
    // read whole (the case checked the slice count against the file): that
    // one is not a failure; every other failed request, console error and
    // page error is.
    const loaded = await ctx.page.evaluate(() => !!(window.ctraceViewer && window.ctraceViewer.ready));
    const problems = ctx.problems.filter((p) => !/favicon/.test(p) &&
      !(loaded && /^request failed: \S+\/(trace\.json|files\/\S+\.json(\.gz)?) net::ERR_ABORTED$/.test(p)));
    eq(problems, [], 'console errors');
  } catch (e) {
    await ctx.page.screenshot({ path: path.join(SHOTS, CASE + '-failed.png') }).catch(() => {});
    throw e;
  } finally {
    await ctx.browser.close();
    if (server) server.proc.kill('SIGINT');
  }
  console.log('ok', CASE);
}

if (!cases[CASE]) {
  console.error('unknown case ' + CASE);
  process.exit(2);
}
main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
