#!/usr/bin/env node
/* Viewer benchmark (not a test): generates a trace of N events (default
 * 1,000,000: nested calls on 4 threads, names like ctrace's), serves it with
 * `ctrace view -s --port 0`, opens it in headless Chromium and reports
 *   - time until the first paint of the loaded trace,
 *   - the longest frame while panning and zooming (draw time, and the gap
 *     between animation frames, i.e. how long the page was blocked),
 *   - bytes per event kept by the page: the typed-array columns, the JS heap,
 *     and the renderer's resident memory (its growth between a trace of N
 *     events and one of N/4, per event; --no-slope skips that second load).
 *
 *   node bench/viewer_bench.js --ctrace build/cmd/ctrace [--events N] [--keep DIR]
 *
 * Needs playwright-core (npm ci in tests/browser) and /usr/bin/chromium. */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { chromium } = require(path.join(__dirname, '../tests/browser/node_modules/playwright-core'));

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
}
const CTRACE = path.resolve(arg('--ctrace', 'build/cmd/ctrace'));
const N = +arg('--events', 1000000);
const CHROMIUM = arg('--chromium', '/usr/lib/chromium/chromium');

/* A deterministic pseudo-random generator, so runs are comparable. */
let seed = 12345;
function rnd() {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}

function generate(file, n) {
  const fd = fs.openSync(file, 'w');
  let buf = [];
  let bytes = 0;
  const flush = () => { fs.writeSync(fd, buf.join('')); buf = []; bytes = 0; };
  const out = (s) => { buf.push(s); bytes += s.length; if (bytes > (1 << 22)) flush(); };
  const pid = 4242;
  const tids = [4242, 4243, 4244, 4245];
  out('{"traceEvents":[\n');
  out(`{"ph":"M","pid":${pid},"tid":${pid},"name":"process_name","args":{"name":"bench.py"}}`);
  tids.forEach((t, k) => out(`,\n{"ph":"M","pid":${pid},"tid":${t},"name":"thread_name","args":{"name":"${k ? 'worker-' + k : 'MainThread'}"}}`));
  const fnames = [];
  for (let k = 0; k < 300; k++) fnames.push(`func_${k} (/home/user/project/module_${k % 17}.py:${10 + k})`);
  const cnames = ['builtins.len', 'list.append', 'dict.get', 'builtins.isinstance', 'str.join'];
  let emitted = 0;
  const perThread = Math.ceil(n / tids.length);
  for (const tid of tids) {
    let t = 100 + rnd() * 1000;
    let count = 0;
    // Emits a call at time t with a random subtree; returns its end.
    const call = (start, depth) => {
      let cur = start + 0.2 + rnd();
      const kids = depth > 12 ? 0 : Math.floor(rnd() * (depth < 3 ? 6 : 3.2));
      for (let k = 0; k < kids && count < perThread; k++) cur = call(cur + rnd() * 2, depth + 1) + rnd();
      const end = cur + 0.1 + rnd() * (kids ? 2 : 6);
      if (count < perThread) {
        const name = depth > 4 && !kids && rnd() < 0.5 ? cnames[Math.floor(rnd() * cnames.length)]
                                                       : fnames[Math.floor(rnd() * rnd() * fnames.length)];
        out(`,\n{"ph":"X","pid":${pid},"tid":${tid},"ts":${start.toFixed(3)},"dur":${(end - start).toFixed(3)},"name":"${name}","cat":"FEE"}`);
        count++;
      }
      return end;
    };
    while (count < perThread) t = call(t, 0) + rnd() * 20;
    emitted += count;
  }
  out('\n],"displayTimeUnit":"ns","ctrace_metadata":{"version":"bench"}}\n');
  flush();
  fs.closeSync(fd);
  return emitted;
}

/* Resident memory (bytes) of the renderer processes of the browser whose
 * process id is ROOT, or null where /proc cannot tell. */
function rendererRss(root) {
  try {
    const kids = {};
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = +st.slice(st.lastIndexOf(')') + 2).split(' ')[1];
        (kids[ppid] = kids[ppid] || []).push(+pid);
      } catch (e) { /* gone */ }
    }
    let total = 0;
    const queue = [root];
    while (queue.length) {
      for (const pid of kids[queue.pop()] || []) {
        queue.push(pid);
        let cmd;
        try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch (e) { continue; }
        if (!cmd.includes('--type=renderer')) continue;
        const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) total += +m[1] * 1024;
      }
    }
    return total;
  } catch (e) {
    return null;
  }
}

/* The growth of the renderer's resident memory (bytes) once FILE is loaded
 * and the garbage collected, in a browser of its own; null when unknown. */
async function rssGrowth(file) {
  const server = await startServer(file);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto('about:blank');
    const r0 = rendererRss(process.pid);
    await page.goto(server.url);
    await page.waitForFunction(() => window.ctraceViewer && window.ctraceViewer.ready, null, { timeout: 120000, polling: 50 });
    // The parser's worker ends 1 s after the load; the allocator hands freed
    // memory back to the system some seconds later still.
    await page.waitForTimeout(6000);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    await page.waitForTimeout(2000);
    const r1 = rendererRss(process.pid);
    return r0 === null ? null : r1 - r0;
  } finally {
    await browser.close();
    server.proc.kill('SIGINT');
  }
}

function startServer(file) {
  return new Promise((resolve, reject) => {
    const p = spawn(CTRACE, ['view', '-s', '--port', '0', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let outText = '';
    p.stdout.on('data', (d) => {
      outText += d;
      const m = /http:\/\/\S+\//.exec(outText);
      if (m) resolve({ proc: p, url: m[0] });
    });
    p.stderr.on('data', (d) => process.stderr.write(d));
    p.on('exit', (code) => reject(new Error('ctrace view exited with ' + code)));
  });
}

(async () => {
  const dir = arg('--keep') || fs.mkdtempSync(path.join(os.tmpdir(), 'ctrace-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'bench.json');
  let t = Date.now();
  const n = generate(file, N);
  const size = fs.statSync(file).size;
  console.log(`load average: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`);
  console.log(`generated ${n} events, ${(size / 1048576).toFixed(1)} MB in ${Date.now() - t} ms: ${file}`);

  const server = await startServer(file);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--enable-precise-memory-info', '--js-flags=--expose-gc'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const root = process.pid;  // Chromium runs as a child of this script
    await page.goto('about:blank');
    const rss0 = rendererRss(root);
    t = Date.now();
    await page.goto(server.url);
    await page.waitForFunction(() => window.ctraceViewer && (window.ctraceViewer.ready || window.ctraceViewer.error), null, { timeout: 120000, polling: 50 });
    await page.waitForFunction(() => window.ctraceViewer.info().firstPaintMs > 0, null, { polling: 20 });
    const wall = Date.now() - t;
    const info = await page.evaluate(() => window.ctraceViewer.info());
    if (!info.slices) throw new Error('not loaded: ' + await page.evaluate(() => window.ctraceViewer.error));
    console.log(`open: first paint ${(info.firstPaintMs / 1000).toFixed(2)} s after navigation start (${(wall / 1000).toFixed(2)} s wall from goto), ${info.slices} slices`);
    const ph = info.phases;
    console.log(`  phases: fetch ${ph.fetchMs} ms (scanning ${ph.streamed} events meanwhile), rest of the scan ${ph.readMs} ms, sort/index ${ph.indexMs} ms, page set-up ${ph.pageMs.toFixed(0)} ms`);

    // Pan and zoom for a while: keys held, wheel, setView jumps; record rAF gaps and draw times.
    await page.evaluate(() => {
      window.__gaps = [];
      let last = performance.now();
      const tick = (now) => { window.__gaps.push(now - last); last = now; if (window.__gaps.length < 100000) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
      window.ctraceViewer.resetFrameStats();
    });
    await page.mouse.move(900, 400);
    for (const key of ['d', 'a', 'w', 'd', 's', 'a']) {
      await page.keyboard.down(key);
      await page.waitForTimeout(700);
      await page.keyboard.up(key);
    }
    for (let k = 0; k < 20; k++) { await page.mouse.wheel(0, k < 10 ? -200 : 200); await page.waitForTimeout(40); }
    await page.evaluate(() => window.ctraceViewer.fit());
    await page.mouse.move(800, 400);
    await page.mouse.down();
    for (let k = 0; k < 30; k++) await page.mouse.move(800 - k * 20, 400 + (k % 5));
    await page.mouse.up();
    await page.waitForTimeout(200);
    const fr = await page.evaluate(() => {
      const g = window.__gaps.slice(2);
      const sorted = g.slice().sort((a, b) => a - b);
      return { draw: window.ctraceViewer.frameStats(), maxGap: Math.max(...g), frames: g.length, last: window.ctraceViewer.lastFrame(),
        p95: sorted[Math.floor(sorted.length * 0.95)], over100: g.filter((x) => x > 100).length };
    });
    console.log(`pan/zoom: ${fr.draw.frames} frames drawn, longest draw ${fr.draw.max.toFixed(1)} ms (mean ${fr.draw.mean.toFixed(1)} ms); longest gap between animation frames ${fr.maxGap.toFixed(1)} ms (95th percentile ${fr.p95.toFixed(1)} ms, ${fr.over100} of ${fr.frames} over 100 ms); last frame ${fr.last.rects} rectangles for ${fr.last.represented} slices`);

    await page.waitForTimeout(3000);  // the parser's worker has ended by now
    const cdp0 = await page.context().newCDPSession(page);
    await cdp0.send('HeapProfiler.collectGarbage');
    await page.waitForTimeout(500);
    const rss1 = rendererRss(root);
    if (rss0 !== null) console.log(`memory: the page's renderer grew by ${((rss1 - rss0) / 1048576).toFixed(0)} MB over about:blank (RSS, once loaded; part of it does not depend on the trace)`);
    const tf = Date.now();
    await page.evaluate(() => { window.ctraceViewer.setMode('flame'); window.ctraceViewer.drawNow(); });
    console.log(`flame graph: built and drawn in ${Date.now() - tf} ms`);
    const cdp = await page.context().newCDPSession(page);
    await page.evaluate(() => { if (window.gc) window.gc(); });
    const m = await cdp.send('Performance.enable').then(() => cdp.send('Performance.getMetrics'));
    const heap = m.metrics.find((x) => x.name === 'JSHeapUsedSize').value;
    console.log(`memory: columns ${(info.columnBytes / info.slices).toFixed(1)} B/event; JS heap ${(heap / 1048576).toFixed(0)} MB = ${(heap / info.slices).toFixed(1)} B/event (typed arrays' backing stores are outside it), total ${((heap + info.columnBytes) / info.slices).toFixed(1)} B/event`);
    if (errors.length) console.log('page errors:', errors);
  } finally {
    await browser.close();
    server.proc.kill('SIGINT');
  }

  // What each event costs: the renderer's growth for this trace and for one
  // a quarter its size, each in a browser of its own.
  if (!process.argv.includes('--no-slope')) {
    const small = path.join(dir, 'bench-quarter.json');
    seed = 12345;
    const ns = generate(small, Math.floor(N / 4));
    const big = await rssGrowth(file);
    const little = await rssGrowth(small);
    if (big !== null && little !== null)
      console.log(`memory per event: ${((big - little) / (n - ns)).toFixed(1)} B/event (the renderer's resident memory grew by ${(big / 1048576).toFixed(0)} MB for ${n} events, ${(little / 1048576).toFixed(0)} MB for ${ns})`);
  }
  if (!arg('--keep')) fs.rmSync(dir, { recursive: true, force: true });
})().catch((e) => { console.error(e); process.exit(1); });
