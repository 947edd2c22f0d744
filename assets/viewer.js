/* ctrace viewer: timeline and flame graph of a Chrome Trace Event file,
 * drawn on one canvas. The trace is parsed by worker.js into typed-array
 * columns; each track keeps, per depth, a level of slices sorted by start
 * (disjoint, so their ends are sorted too), found by binary search. Slices
 * narrower than a pixel are merged into one rectangle per pixel, so a frame
 * draws at most about (width x depth) rectangles whatever the trace size.
 *
 * Everything that comes from the trace reaches the page as text nodes
 * (textContent) or canvas text, never as HTML. */
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d', { alpha: false });

  const RULER_H = 24, ROW_H = 18, GUTTER = 210, PROC_H = 22, INST_H = 12;
  const COUNTER_H = 40, TRACK_PAD = 6;
  const MIN_W = 3;           // slices narrower than this (px) are merged into runs
  const MERGE_GAP = 2;       // a run continues over gaps narrower than this (px)
  const MAX_RUN = 24;        // and is cut after this (px), each piece in the colour of its longest slice
  const FONT = '11px sans-serif';
  const MAX_LABELS = 250;   // text is the costliest thing to draw: cap it

  /* ---------- state ---------- */
  const T = {               // the loaded trace
    names: [], argsList: [], s: null, inst: null, counters: [], tracks: [],
    procs: new Map(), fileInfo: null, meta: null, minTs: 0, maxTs: 1, count: 0,
  };
  const V = {               // the view
    mode: 'timeline', t0: 0, t1: 1, scrollY: 0, flameScrollY: 0,
    width: 0, height: 0, dpr: 1, rows: [], contentH: 0,
    sel: null,              // {kind:'slice', i, track, depth} | {kind:'instant', k, track} | {kind:'flame', ...}
    range: null,            // [a, b] in trace time
    mouse: null, held: new Set(), dirty: false,
    search: { re: null, match: null, hits: null, pos: -1, text: '' },
    flame: null, flameFocus: null, flameRects: [],
    labels: true,           // names on slices wide enough to hold them
  };
  const stats = { frames: 0, maxFrame: 0, frameTimes: [], lastDrawn: 0, lastMerged: 0, loadMs: 0 };
  let drawLog = null;       // per frame, when the test hook asks: [{track, depth, i, x, w}]
  const t_start = performance.now();

  /* ---------- colours ---------- */
  const PAL = [];
  const PAL_FADED = [];
  for (let k = 0; k < 40; k++) {
    const h = (k * 137.508) % 360;
    const l = 62 + (k % 3) * 7;
    PAL.push('hsl(' + h.toFixed(0) + ',58%,' + l + '%)');
    PAL_FADED.push('hsl(' + h.toFixed(0) + ',20%,' + Math.min(92, l + 22) + '%)');
  }
  const MERGED = PAL.length;  // colour slot for merged runs
  PAL.push('#8c98a4'); PAL_FADED.push('#d9dee3');
  let nameColor = new Uint8Array(0);
  function hashName(s) {
    // Colour by the function's own name (before " (file:line)").
    const p = s.indexOf(' (');
    const key = p > 0 ? s.slice(0, p) : s;
    let h = 2166136261;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
    return (h >>> 0) % (PAL.length - 1);
  }

  /* ---------- formatting ---------- */
  function fmtDur(us) {
    const a = Math.abs(us);
    if (a >= 1e6) return (us / 1e6).toFixed(a >= 1e8 ? 1 : 3) + ' s';
    if (a >= 1e3) return (us / 1e3).toFixed(3) + ' ms';
    if (a >= 1) return us.toFixed(3) + ' \u00b5s';
    return (us * 1e3).toFixed(0) + ' ns';
  }
  function fmtTick(us, step) {
    let unit = 1, name = '\u00b5s';
    if (step >= 1e5) { unit = 1e6; name = 's'; } else if (step >= 100) { unit = 1e3; name = 'ms'; } else if (step < 0.1) { unit = 1e-3; name = 'ns'; }
    const digits = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step / unit) + 1e-9)));
    return (us / unit).toFixed(digits) + ' ' + name;
  }
  function setStatus(text, error) {
    const s = $('status');
    s.textContent = text;
    s.title = text;
    s.className = error ? 'error' : '';
  }

  /* ---------- binary searches over a level [lo, hi) ---------- */
  // First index whose end (ts + dur) >= t. Ends are sorted within a level.
  function firstEndingAfter(lo, hi, t) {
    const ts = T.s.ts, dur = T.s.dur;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (ts[m] + dur[m] < t) lo = m + 1; else hi = m;
    }
    return lo;
  }
  // First index whose start >= t.
  function firstStartingAt(arr, lo, hi, t) {
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (arr[m] < t) lo = m + 1; else hi = m;
    }
    return lo;
  }

  /* ---------- layout of the timeline ---------- */
  function trackLabel(t) {
    if (t.kind === 'thread') return t.name !== null && t.name !== undefined ? t.name : 'Thread ' + t.tid;
    return t.name || t.kind;
  }
  function procLabel(pid) {
    const p = T.procs.get(pid);
    const nm = p && p.name !== null && p.name !== undefined ? p.name : 'Process';
    return pid === 0 && !(p && p.name) ? 'Global' : nm + ' (pid ' + pid + ')';
  }
  function layout() {
    const rows = [];
    let y = 0;
    const byPid = new Map();
    for (const t of T.tracks) {
      if (!byPid.has(t.pid)) byPid.set(t.pid, []);
      byPid.get(t.pid).push(t);
    }
    const pids = Array.from(byPid.keys()).sort((a, b) => {
      const pa = T.procs.get(a), pb = T.procs.get(b);
      const sa = pa && pa.sort !== null ? pa.sort : 0, sb = pb && pb.sort !== null ? pb.sort : 0;
      return (sa - sb) || (a - b);
    });
    const kindOrder = { events: 0, thread: 1, async: 2, counter: 3 };
    for (const pid of pids) {
      rows.push({ type: 'proc', pid: pid, y: y, h: PROC_H, label: procLabel(pid) });
      y += PROC_H;
      const list = byPid.get(pid).sort((a, b) =>
        (kindOrder[a.kind] - kindOrder[b.kind]) ||
        ((a.sort !== null ? a.sort : 0) - (b.sort !== null ? b.sort : 0)) ||
        ((b.tid === pid) - (a.tid === pid)) || (a.tid - b.tid) || (a.id - b.id));
      for (const t of list) {
        const depth = t.levels.length - 1;
        const hasInst = !!t.instants;
        if (t.kind === 'counter') {
          rows.push({ type: 'counter', track: t, y: y, h: COUNTER_H + TRACK_PAD, label: trackLabel(t) });
          y += COUNTER_H + TRACK_PAD;
          continue;
        }
        if (depth === 0 && !hasInst) continue;
        const h = (hasInst ? INST_H : 0) + Math.max(depth, 0) * ROW_H + TRACK_PAD;
        rows.push({ type: 'track', track: t, y: y, h: Math.max(h, ROW_H), instY: hasInst ? 0 : -1,
          levY: hasInst ? INST_H : 0, label: trackLabel(t) });
        y += Math.max(h, ROW_H);
      }
    }
    V.rows = rows;
    V.contentH = y;
  }

  /* ---------- canvas size ---------- */
  function resize() {
    const r = canvas.getBoundingClientRect();
    V.dpr = window.devicePixelRatio || 1;
    V.width = Math.max(100, r.width);
    V.height = Math.max(100, r.height);
    canvas.width = Math.round(V.width * V.dpr);
    canvas.height = Math.round(V.height * V.dpr);
    invalidate();
  }

  function invalidate() {
    if (!V.dirty) {
      V.dirty = true;
      requestAnimationFrame(frame);
    }
  }

  /* ---------- frame loop: held keys animate, then draw ---------- */
  let lastFrameT = 0;
  function frame(now) {
    V.dirty = false;
    const dt = lastFrameT ? Math.min(50, now - lastFrameT) : 16;
    lastFrameT = now;
    if (V.held.size && T.s) {
      const span = V.t1 - V.t0;
      const W = V.width - GUTTER;
      const at = V.mouse && V.mouse.x > GUTTER ? V.t0 + (V.mouse.x - GUTTER) / W * span : (V.t0 + V.t1) / 2;
      if (V.held.has('w')) zoomAt(at, Math.exp(-dt * 0.004));
      if (V.held.has('s')) zoomAt(at, Math.exp(dt * 0.004));
      if (V.held.has('a')) pan(-span * dt * 0.0012);
      if (V.held.has('d')) pan(span * dt * 0.0012);
      invalidate();  // one next frame, however many of the calls above asked
    } else {
      lastFrameT = 0;
    }
    draw();
  }

  function draw() {
    const t0 = performance.now();
    ctx.setTransform(V.dpr, 0, 0, V.dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, V.width, V.height);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    if (T.s) {
      if (V.mode === 'flame') drawFlame(); else drawTimeline();
    }
    const ms = performance.now() - t0;
    stats.frames++;
    stats.frameTimes.push(ms);
    if (stats.frameTimes.length > 2000) stats.frameTimes.shift();
    if (ms > stats.maxFrame) stats.maxFrame = ms;
  }

  /* ---------- timeline ---------- */
  // Rectangles of one frame, bucketed by colour before filling.
  let rx = new Float32Array(4096), ry = new Float32Array(4096), rw = new Float32Array(4096);
  let rc = new Uint8Array(4096), ri = new Int32Array(4096);
  let nrect = 0;
  function addRect(x, y, w, c, i) {
    if (nrect === rx.length) {
      const grow = (a) => { const b = new a.constructor(a.length * 2); b.set(a); return b; };
      rx = grow(rx); ry = grow(ry); rw = grow(rw); rc = grow(rc); ri = grow(ri);
    }
    rx[nrect] = x; ry[nrect] = y; rw[nrect] = w; rc[nrect] = c; ri[nrect] = i;
    nrect++;
  }

  function drawTimeline() {
    const W = V.width - GUTTER, H = V.height;
    if (!V.rows.length) {
      ctx.fillStyle = '#5b6875';
      ctx.fillText('This trace has no events to show.', 20, RULER_H + 30);
      return;
    }
    const t0 = V.t0, t1 = V.t1, scale = W / (t1 - t0);
    const s = T.s, ts = s.ts, dur = s.dur, nm = s.name;
    const match = V.search.match;
    nrect = 0;
    let merged = 0, represented = 0;
    const labels = [];
    const top = RULER_H - V.scrollY;
    if (drawLog) drawLog.length = 0;

    for (const row of V.rows) {
      const ry0 = top + row.y;
      if (ry0 > H || ry0 + row.h < RULER_H) continue;
      if (row.type !== 'track') continue;
      const tr = row.track;
      const lv = tr.levels;
      for (let d = 0; d + 1 < lv.length; d++) {
        const y = ry0 + row.levY + d * ROW_H;
        if (y > H || y + ROW_H < RULER_H) continue;
        const hi = lv[d + 1];
        let i = firstEndingAfter(lv[d], hi, t0);
        while (i < hi) {
          const st = ts[i];
          if (st > t1) break;
          const x0 = (st - t0) * scale;
          const w = dur[i] * scale;
          if (w >= MIN_W) {
            const c = match && !match[nm[i]] ? 100 + nameColor[nm[i]] : nameColor[nm[i]];
            const xa = Math.max(x0, -2), xb = Math.min(x0 + w, W + 2);
            addRect(GUTTER + xa, y, xb - xa, c, i);
            if (drawLog) drawLog.push({ track: tr.id, depth: d, i: i, x: GUTTER + xa, w: xb - xa, n: 1 });
            if (xb - xa > 30) labels.push(i, GUTTER + xa, y, xb - xa);
            represented++;
            i++;
            continue;
          }
          // A run of narrow slices: one rectangle, skipping ahead a pixel at a time.
          const rs = x0;
          let re = x0 + Math.max(w, 1), k = i, anyMatch = !match, longest = i;
          while (k < hi) {
            const sx = (ts[k] - t0) * scale;
            if (sx > re + MERGE_GAP || ts[k] > t1 || sx - rs > MAX_RUN) break;
            if (dur[k] * scale >= MIN_W) break;
            let j = firstStartingAt(ts, k + 1, hi, t0 + (Math.floor(sx) + 1) / scale);
            // Of the slices starting in this pixel only the last can be wide
            // (they are disjoint): leave it to be drawn on its own.
            if (j - 1 > k && dur[j - 1] * scale >= MIN_W) j--;
            const ex = (ts[j - 1] + dur[j - 1] - t0) * scale;
            if (ex > re) re = ex;
            if (sx + 1 > re) re = sx + 1;
            if (dur[k] > dur[longest]) longest = k;
            if (dur[j - 1] > dur[longest]) longest = j - 1;
            if (match && !anyMatch) for (let q = k; q < j && !anyMatch; q++) anyMatch = match[nm[q]] === 1;
            represented += j - k;
            k = j;
          }
          const xa = Math.max(rs, -2), xb = Math.min(re, W + 2);
          if (k - i === 1) {
            addRect(GUTTER + xa, y, Math.max(1, xb - xa), match && !anyMatch ? 100 + nameColor[nm[i]] : nameColor[nm[i]], i);
          } else {
            // a run: in the colour of the longest slice seen in it
            const c = nameColor[nm[longest]];
            addRect(GUTTER + xa, y, Math.max(1, xb - xa), anyMatch ? c : 100 + c, -1);
            merged++;
          }
          if (drawLog) drawLog.push({ track: tr.id, depth: d, i: k - i === 1 ? i : -1, x: GUTTER + xa, w: xb - xa, n: k - i });
          i = Math.max(k, i + 1);
        }
      }
    }
    // Fill by colour.
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, RULER_H, W, H - RULER_H);
    ctx.clip();
    const counts = new Uint32Array(256);
    for (let r = 0; r < nrect; r++) counts[rc[r]]++;
    const startAt = new Uint32Array(257);
    for (let c = 0; c < 256; c++) startAt[c + 1] = startAt[c] + counts[c];
    const orderR = new Uint32Array(nrect);
    const fill = startAt.slice(0, 256);
    for (let r = 0; r < nrect; r++) orderR[fill[rc[r]]++] = r;
    for (let c = 0; c < 256; c++) {
      if (!counts[c]) continue;
      ctx.fillStyle = c >= 100 ? PAL_FADED[c - 100] : PAL[c];
      for (let q = startAt[c]; q < startAt[c + 1]; q++) {
        const r = orderR[q];
        ctx.fillRect(rx[r], ry[r] + 1, rw[r], ROW_H - 2);
      }
    }
    // Borders between adjacent wide slices.
    ctx.fillStyle = 'rgba(255,255,255,0.55)';
    for (let r = 0; r < nrect; r++) if (rw[r] > 6 && ri[r] >= 0) ctx.fillRect(rx[r] + rw[r] - 0.5, ry[r] + 1, 0.5, ROW_H - 2);
    // Labels: truncated to a multiple of 6 characters, so that while
    // zooming the same strings come back (shaping a new string costs ~100x
    // drawing a known one), and at most MAX_LABELS, widest first.
    ctx.fillStyle = '#111';
    const cw = charWidth();
    let nl = labels.length / 4;
    let minW = 0;
    if (nl > MAX_LABELS) {
      const widths = new Float32Array(nl);
      for (let q = 0; q < nl; q++) widths[q] = labels[q * 4 + 3];
      widths.sort();
      minW = widths[nl - MAX_LABELS];
    }
    for (let q = 0; q < labels.length && V.labels; q += 4) {
      const i = labels[q], x = labels[q + 1], y = labels[q + 2], w = labels[q + 3];
      if (w < minW) continue;
      const xs = Math.max(x, GUTTER), ws = Math.min(x + w, V.width) - xs;
      const fit = Math.floor((ws - 8) / cw);
      if (fit < 4) continue;
      ctx.fillText(labelText(nm[i], fit), xs + 4, y + ROW_H / 2);
    }
    drawInstantsAndCounters(top, scale);
    drawSelection(top, scale);
    ctx.restore();
    drawGutter(top);
    drawRuler(scale);
    drawScrollbar();
    stats.lastLabels = labels.length / 4;
    stats.lastDrawn = nrect;
    stats.lastMerged = merged;
    stats.lastRepresented = represented;
  }

  const labelCache = new Map();
  function labelText(id, fit) {
    const full = T.names[id];
    if (full.length <= fit) return full;
    const n = Math.max(3, Math.floor((fit - 1) / 6) * 6);
    const key = id * 4096 + Math.min(n, 4095);
    let t = labelCache.get(key);
    if (t === undefined) {
      if (labelCache.size > 20000) labelCache.clear();
      t = full.slice(0, n) + '\u2026';
      labelCache.set(key, t);
    }
    return t;
  }

  let cwCache = 0;
  function charWidth() {
    // A little above the average width of the characters of names, so that
    // truncated labels stay inside their slices.
    if (!cwCache) { ctx.font = FONT; cwCache = 1.15 * ctx.measureText('abcdefghijklmnopqrstuvwxyz_.()ABCDWM/:0123').width / 40; }
    return cwCache;
  }

  function drawInstantsAndCounters(top, scale) {
    const W = V.width - GUTTER, H = V.height, t0 = V.t0, t1 = V.t1;
    const its = T.inst.ts;
    for (const row of V.rows) {
      const y0 = top + row.y;
      if (y0 > H || y0 + row.h < RULER_H) continue;
      if (row.type === 'track' && row.track.instants) {
        const [lo, hi] = row.track.instants;
        let k = firstStartingAt(its, lo, hi, t0 - 4 / scale);
        ctx.fillStyle = '#c0392b';
        const y = y0 + row.instY + INST_H / 2;
        while (k < hi && its[k] <= t1 + 4 / scale) {
          const x = GUTTER + (its[k] - t0) * scale;
          ctx.beginPath();
          ctx.moveTo(x, y - 5); ctx.lineTo(x + 4, y); ctx.lineTo(x, y + 5); ctx.lineTo(x - 4, y);
          ctx.fill();
          k = firstStartingAt(its, k + 1, hi, its[k] + 2 / scale);
        }
      } else if (row.type === 'counter') {
        const c = T.counterOf.get(row.track.id);
        if (!c) continue;
        if (c.max === undefined) {  // once per counter
          c.max = 0; c.min = 0;
          for (const s of c.series) for (let q = 0; q < s.val.length; q++) { if (s.val[q] > c.max) c.max = s.val[q]; if (s.val[q] < c.min) c.min = s.val[q]; }
        }
        const max = c.max, min = c.min;
        const span = max - min || 1;
        c.series.forEach((s, si) => {
          ctx.strokeStyle = PAL[(si * 7 + 3) % (PAL.length - 1)];
          ctx.fillStyle = ctx.strokeStyle;
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          const n = s.ts.length;
          let k = Math.max(0, firstStartingAt(s.ts, 0, n, t0) - 1);
          const yOf = (v) => y0 + 3 + COUNTER_H - 3 - (v - min) / span * (COUNTER_H - 6);
          let first = true, lastY = 0;
          while (k < n) {
            const x = GUTTER + Math.max(-2, (s.ts[k] - t0) * scale);
            const y = yOf(s.val[k]);
            if (first) { ctx.moveTo(x, y); first = false; } else { ctx.lineTo(x, lastY); ctx.lineTo(x, y); }
            lastY = y;
            if (s.ts[k] > t1) break;
            const nk = firstStartingAt(s.ts, k + 1, n, s.ts[k] + 1 / scale);
            k = nk > k + 1 ? nk - 1 : k + 1;  // keep the last value of each pixel
          }
          if (!first) ctx.lineTo(GUTTER + W, lastY);
          ctx.stroke();
          ctx.fillText(s.key + ' max ' + max.toPrecision(4), GUTTER + 6 + si * 140, y0 + 8);
        });
      }
    }
  }

  function sliceRect(i, top, scale) {
    const loc = locate(i);
    if (!loc) return null;
    const row = V.rows.find((r) => r.track === loc.track);
    if (!row) return null;
    const x = GUTTER + (T.s.ts[i] - V.t0) * scale;
    return { x: x, y: top + row.y + row.levY + loc.depth * ROW_H, w: Math.max(1, T.s.dur[i] * scale) };
  }

  function drawSelection(top, scale) {
    if (V.sel && V.sel.kind === 'slice') {
      const r = sliceRect(V.sel.i, top, scale);
      if (r) {
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 2;
        ctx.strokeRect(r.x, r.y + 1, r.w, ROW_H - 2);
      }
    }
    if (V.range) {
      const xa = GUTTER + (V.range[0] - V.t0) * scale, xb = GUTTER + (V.range[1] - V.t0) * scale;
      ctx.fillStyle = 'rgba(52,120,200,0.14)';
      ctx.fillRect(xa, RULER_H, xb - xa, V.height - RULER_H);
      ctx.fillStyle = 'rgba(52,120,200,0.8)';
      ctx.fillRect(xa, RULER_H, 1, V.height);
      ctx.fillRect(xb, RULER_H, 1, V.height);
    }
  }

  function drawGutter(top) {
    ctx.fillStyle = '#f3f5f7';
    ctx.fillRect(0, RULER_H, GUTTER, V.height - RULER_H);
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, RULER_H, V.width, V.height - RULER_H);
    ctx.clip();
    const cw = charWidth();
    for (const row of V.rows) {
      const y = top + row.y;
      if (y > V.height || y + row.h < RULER_H) continue;
      if (row.type === 'proc') {
        ctx.fillStyle = '#dfe5eb';
        ctx.fillRect(0, y, V.width, PROC_H);
        ctx.fillStyle = '#1d232b';
        ctx.font = 'bold ' + FONT;
        ctx.fillText(row.label, 8, y + PROC_H / 2);
        ctx.font = FONT;
      } else {
        ctx.fillStyle = '#e4e8ec';
        ctx.fillRect(0, y + row.h - 1, V.width, 1);
        ctx.fillStyle = '#1d232b';
        let label = row.label;
        const fit = Math.floor((GUTTER - 20) / cw);
        if (label.length > fit) label = label.slice(0, fit - 1) + '\u2026';
        ctx.fillText(label, 14, y + Math.min(row.h, ROW_H + (row.instY === 0 ? INST_H : 0)) / 2 + 1);
      }
    }
    ctx.fillStyle = '#ccd3da';
    ctx.fillRect(GUTTER - 1, RULER_H, 1, V.height);
    ctx.restore();
  }

  // Where the tracks are when they do not all fit (Shift+wheel, drag or the
  // arrow keys scroll them).
  function drawScrollbar() {
    const viewH = V.height - RULER_H;
    if (V.contentH <= viewH) return;
    const h = Math.max(20, viewH * viewH / V.contentH);
    const y = RULER_H + (viewH - h) * Math.min(1, V.scrollY / Math.max(1, V.contentH - viewH));
    ctx.fillStyle = 'rgba(60,70,85,0.35)';
    ctx.fillRect(V.width - 6, y, 4, h);
  }

  function niceStep(raw) {
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  function drawRuler(scale) {
    const W = V.width - GUTTER;
    ctx.fillStyle = '#f3f5f7';
    ctx.fillRect(0, 0, V.width, RULER_H);
    ctx.fillStyle = '#ccd3da';
    ctx.fillRect(0, RULER_H - 1, V.width, 1);
    const step = niceStep(110 / scale);
    const origin = T.minTs;
    const first = Math.ceil((V.t0 - origin) / step) * step;
    ctx.fillStyle = '#3b4652';
    for (let t = first; origin + t <= V.t1; t += step) {
      const x = GUTTER + (origin + t - V.t0) * scale;
      ctx.fillRect(x, RULER_H - 8, 1, 7);
      ctx.fillText(fmtTick(t, step), x + 3, RULER_H / 2 - 1);
    }
    ctx.fillStyle = '#3b4652';
    ctx.fillText('span ' + fmtDur(V.t1 - V.t0), 8, RULER_H / 2);
    if (V.range) {
      const xa = GUTTER + (V.range[0] - V.t0) * scale;
      ctx.fillStyle = 'rgba(52,120,200,1)';
      ctx.fillText(fmtDur(V.range[1] - V.range[0]), Math.max(GUTTER, xa) + 4, RULER_H / 2 + 6);
    }
    void W;
  }

  /* ---------- where is slice i: its track and depth ---------- */
  function locate(i) {
    // Tracks' level ranges are contiguous and increasing: binary search.
    const list = T.levelIndex;
    let lo = 0, hi = list.length - 1;
    while (lo < hi) {
      const m = (lo + hi + 1) >>> 1;
      if (list[m].start <= i) lo = m; else hi = m - 1;
    }
    const e = list[lo];
    if (!e || i < e.start || i >= e.end) return null;
    return { track: e.track, depth: e.depth };
  }

  /* ---------- view changes ---------- */
  function clampView() {
    const full = T.maxTs - T.minTs;
    const minSpan = 1e-3;
    let span = V.t1 - V.t0;
    if (span < minSpan) { const c = (V.t0 + V.t1) / 2; V.t0 = c - minSpan / 2; V.t1 = c + minSpan / 2; span = minSpan; }
    if (span > full * 1.2) { const c = (V.t0 + V.t1) / 2; V.t0 = c - full * 0.6; V.t1 = c + full * 0.6; }
    const maxScroll = Math.max(0, V.contentH - (V.height - RULER_H) + 40);
    V.scrollY = Math.max(0, Math.min(maxScroll, V.scrollY));
  }
  function zoomAt(at, f) {
    V.t0 = at - (at - V.t0) * f;
    V.t1 = at + (V.t1 - at) * f;
    clampView();
    invalidate();
  }
  function pan(dt) {
    V.t0 += dt; V.t1 += dt;
    invalidate();
  }
  function fit() {
    const span = T.maxTs - T.minTs;
    V.t0 = T.minTs - span * 0.01;
    V.t1 = T.maxTs + span * 0.01;
    V.flameFocus = null;
    invalidate();
  }
  function timeAtX(x) {
    return V.t0 + (x - GUTTER) / (V.width - GUTTER) * (V.t1 - V.t0);
  }

  /* ---------- hit testing ---------- */
  function hit(x, y) {
    if (x < GUTTER || y < RULER_H) return null;
    const cy = y - RULER_H + V.scrollY;
    const row = V.rows.find((r) => cy >= r.y && cy < r.y + r.h);
    if (!row || row.type !== 'track') return null;
    const t = timeAtX(x);
    const scale = (V.width - GUTTER) / (V.t1 - V.t0);
    const ly = cy - row.y;
    if (row.instY === 0 && ly < INST_H) {
      const [lo, hi] = row.track.instants;
      const its = T.inst.ts;
      let k = firstStartingAt(its, lo, hi, t - 5 / scale);
      if (k < hi && Math.abs(its[k] - t) * scale <= 5) return { kind: 'instant', k: k, track: row.track };
      return null;
    }
    const d = Math.floor((ly - row.levY) / ROW_H);
    const lv = row.track.levels;
    if (d < 0 || d + 1 >= lv.length) return null;
    const lo = lv[d], hi = lv[d + 1];
    const tol = 2 / scale;
    let i = firstEndingAfter(lo, hi, t - tol);
    let best = -1, bestDist = Infinity;
    for (; i < hi && T.s.ts[i] <= t + tol; i++) {
      const a = T.s.ts[i], b = a + T.s.dur[i];
      const dist = t < a ? a - t : t > b ? t - b : 0;
      if (dist < bestDist) { best = i; bestDist = dist; }
      if (dist === 0) break;
    }
    return best >= 0 ? { kind: 'slice', i: best, track: row.track, depth: d } : null;
  }

  /* ---------- details panel (DOM built from text nodes only) ---------- */
  function el(tag, props, children) {
    const e = document.createElement(tag);
    if (props) for (const k of Object.keys(props)) {
      if (k === 'text') e.textContent = props[k]; else if (k === 'cls') e.className = props[k]; else e.setAttribute(k, props[k]);
    }
    if (children) for (const c of children) if (c) e.appendChild(c);
    return e;
  }
  function kvTable(pairs) {
    return el('table', { cls: 'kv' }, pairs.map(([k, v]) => el('tr', null, [el('td', { text: k }), el('td', { text: v })])));
  }
  function showPanel(title, nodes) {
    $('panel-title').textContent = title;
    const body = $('panel-body');
    body.textContent = '';
    for (const n of nodes) if (n) body.appendChild(n);
    const wasHidden = $('panel').hidden;
    $('panel').hidden = false;
    if (wasHidden) resize();
  }
  function hidePanel() {
    if (!$('panel').hidden) { $('panel').hidden = true; resize(); }
  }
  function argsNode(ai) {
    if (ai < 0) return null;
    let text = T.argsList[ai];
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* keep it raw */ }
    return el('div', null, [el('h4', { text: 'Args' }), el('pre', { cls: 'args', text: text })]);
  }
  function sourceNode(name) {
    const fi = T.fileInfo;
    if (!fi || !fi.functions || !fi.files) return null;
    const fn = fi.functions[name];
    if (!Array.isArray(fn)) return null;
    const file = fi.files[fn[0]];
    if (!Array.isArray(file) || typeof file[0] !== 'string') return null;
    const line = +fn[1];
    const lines = file[0].split('\n');
    const from = Math.max(1, line - 200), to = Math.min(lines.length, line + 300);
    const box = el('div', { cls: 'source' });
    let hl = null;
    for (let n = from; n <= to; n++) {
      const d = el('div', n === line ? { cls: 'hl' } : null, [el('span', { cls: 'ln', text: String(n) })]);
      d.appendChild(document.createTextNode(lines[n - 1]));
      if (n === line) hl = d;
      box.appendChild(d);
    }
    setTimeout(() => { if (hl) box.scrollTop = Math.max(0, hl.offsetTop - box.clientHeight / 3); }, 0);
    return el('div', null, [el('h4', { text: 'Source' }), el('div', { cls: 'muted', text: fn[0] + ':' + line }), box]);
  }
  function trackFullName(t) {
    return procLabel(t.pid) + ' / ' + trackLabel(t);
  }
  function showSlice(i) {
    const loc = locate(i);
    const name = T.names[T.s.name[i]];
    const p = T.s.parent[i];
    showPanel('Slice', [
      el('div', { cls: 'slice-name', text: name }),
      kvTable([
        ['Track', loc ? trackFullName(loc.track) : ''],
        ['Start', fmtDur(T.s.ts[i] - T.minTs)],
        ['Duration', fmtDur(T.s.dur[i])],
        ['Self time', fmtDur(T.s.self[i])],
        ['Depth', loc ? String(loc.depth) : ''],
        ['Caller', p >= 0 ? T.names[T.s.name[p]] : '(none)'],
      ]),
      argsNode(T.s.args[i]),
      sourceNode(name),
    ]);
  }
  function showInstant(k, track) {
    showPanel('Instant event', [
      el('div', { cls: 'slice-name', text: T.names[T.inst.name[k]] }),
      kvTable([['Track', trackFullName(track)], ['Time', fmtDur(T.inst.ts[k] - T.minTs)]]),
      argsNode(T.inst.args[k]),
    ]);
  }
  function select(h) {
    V.sel = h;
    if (!h) hidePanel();
    else if (h.kind === 'slice') showSlice(h.i);
    else if (h.kind === 'instant') showInstant(h.k, h.track);
    invalidate();
  }

  /* ---------- range selection: functions in [a, b] ---------- */
  let rangeSort = { key: 'total', desc: true };
  function rangeStats(a, b) {
    const nn = T.names.length;
    const cnt = new Uint32Array(nn), tot = new Float64Array(nn), slf = new Float64Array(nn);
    const touched = [];
    const ts = T.s.ts, dur = T.s.dur, self = T.s.self, nm = T.s.name;
    for (const t of T.tracks) {
      const lv = t.levels;
      for (let d = 0; d + 1 < lv.length; d++) {
        const hi = lv[d + 1];
        for (let i = firstEndingAfter(lv[d], hi, a); i < hi && ts[i] <= b; i++) {
          const id = nm[i];
          if (!cnt[id]) touched.push(id);
          cnt[id]++; tot[id] += dur[i]; slf[id] += self[i];
        }
      }
    }
    return touched.map((id) => ({ name: T.names[id], count: cnt[id], total: tot[id], self: slf[id], avg: tot[id] / cnt[id] }));
  }
  function showRange() {
    const [a, b] = V.range;
    const rows = rangeStats(a, b);
    const key = rangeSort.key, dir = rangeSort.desc ? -1 : 1;
    rows.sort((x, y) => (key === 'name' ? x.name.localeCompare(y.name) : x[key] - y[key]) * dir);
    const cols = [['name', 'Function'], ['count', 'Count'], ['total', 'Total'], ['self', 'Self'], ['avg', 'Average']];
    const head = el('tr', null, cols.map(([k, label]) => {
      const th = el('th', { text: label + (k === key ? (rangeSort.desc ? ' \u25bc' : ' \u25b2') : ''), 'data-key': k });
      if (k === key) th.className = 'sorted';
      th.addEventListener('click', () => {
        rangeSort = { key: k, desc: k === rangeSort.key ? !rangeSort.desc : k !== 'name' };
        showRange();
      });
      return th;
    }));
    const shown = rows.slice(0, 1000);
    const table = el('table', { cls: 'range', id: 'range-table' }, [head].concat(shown.map((r) => el('tr', null, [
      el('td', { text: r.name }), el('td', { text: String(r.count) }), el('td', { text: fmtDur(r.total) }),
      el('td', { text: fmtDur(r.self) }), el('td', { text: fmtDur(r.avg) }),
    ]))));
    showPanel('Range', [
      kvTable([['From', fmtDur(a - T.minTs)], ['To', fmtDur(b - T.minTs)], ['Length', fmtDur(b - a)],
        ['Functions', String(rows.length) + (rows.length > shown.length ? ' (first ' + shown.length + ' shown)' : '')]]),
      table,
    ]);
    V.rangeRows = rows;
  }

  /* ---------- search ---------- */
  function runSearch(text, isRe) {
    const S = V.search;
    S.text = text;
    if (!text) { S.re = null; S.match = null; S.hits = null; S.pos = -1; $('search-count').textContent = ''; invalidate(); return 0; }
    let test;
    if (isRe) {
      let re;
      try { re = new RegExp(text); } catch (e) {
        S.match = null; S.hits = null; S.pos = -1;
        $('search-count').textContent = 'bad regex';
        invalidate();
        return 0;
      }
      test = (s) => re.test(s);
    } else {
      const low = text.toLowerCase();
      test = (s) => s.toLowerCase().indexOf(low) >= 0;
    }
    const match = new Uint8Array(T.names.length);
    let any = false;
    for (let k = 0; k < T.names.length; k++) if (test(T.names[k])) { match[k] = 1; any = true; }
    const hits = [];
    if (any) {  // in time order: walk the slices by start
      const nm = T.s.name, byTime = T.s.byTime;
      for (let k = 0; k < byTime.length; k++) if (match[nm[byTime[k]]]) hits.push(byTime[k]);
    }
    S.match = match;
    S.hits = hits;
    S.pos = -1;
    $('search-count').textContent = hits.length ? hits.length + ' found' : 'no match';
    invalidate();
    return hits.length;
  }
  function searchStep(dir) {
    const S = V.search;
    if (!S.hits || !S.hits.length) return null;
    S.pos = (S.pos + dir + S.hits.length) % S.hits.length;
    const i = S.hits[S.pos];
    $('search-count').textContent = (S.pos + 1) + ' / ' + S.hits.length;
    revealSlice(i);
    return i;
  }
  function revealSlice(i) {
    const loc = locate(i);
    if (!loc) return;
    if (V.mode !== 'timeline') setMode('timeline');
    const a = T.s.ts[i], d = T.s.dur[i];
    const span = V.t1 - V.t0;
    if (d > span * 0.8 || d < span * 0.001) {
      const want = Math.max(d * 4, 1e-3 * 50);
      V.t0 = a + d / 2 - want / 2; V.t1 = V.t0 + want;
    } else if (a < V.t0 || a + d > V.t1) {
      V.t0 = a + d / 2 - span / 2; V.t1 = V.t0 + span;
    }
    const row = V.rows.find((r) => r.track === loc.track);
    if (row) {
      const y = row.y + row.levY + loc.depth * ROW_H;
      const viewH = V.height - RULER_H;
      if (y < V.scrollY || y > V.scrollY + viewH - ROW_H) V.scrollY = y - viewH / 3;
    }
    clampView();
    select({ kind: 'slice', i: i, track: loc.track, depth: loc.depth });
  }

  /* ---------- flame graph (aggregated call stacks per track) ---------- */
  function buildFlame() {
    const n = T.s.ts.length;
    const nodeOf = new Int32Array(n);
    const name = [], parent = [], total = [], self = [], count = [];
    const key = new Map();
    const roots = [];
    function node(p, nm) {
      const k = p * 4194304 + nm;
      let id = key.get(k);
      if (id === undefined) {
        id = name.length;
        name.push(nm); parent.push(p); total.push(0); self.push(0); count.push(0);
        key.set(k, id);
      }
      return id;
    }
    for (const t of T.tracks) {
      if (t.levels.length < 2) continue;
      const root = name.length;
      name.push(-1); parent.push(-1); total.push(0); self.push(0); count.push(0);
      roots.push({ track: t, node: root });
      const lv = t.levels;
      for (let i = lv[0]; i < lv[lv.length - 1]; i++) {
        const p = T.s.parent[i];
        const pn = p >= 0 ? nodeOf[p] : root;
        const id = node(pn, T.s.name[i]);
        nodeOf[i] = id;
        total[id] += T.s.dur[i]; self[id] += T.s.self[i]; count[id]++;
        if (p < 0) total[root] += T.s.dur[i];
      }
    }
    const children = name.map(() => null);
    for (let id = 0; id < name.length; id++) {
      const p = parent[id];
      if (p >= 0) (children[p] || (children[p] = [])).push(id);
    }
    for (const c of children) if (c) c.sort((a, b) => total[b] - total[a]);
    return { name: name, parent: parent, total: total, self: self, count: count, children: children, roots: roots };
  }

  function flameDepth(F, id) {
    let best = 0;
    const stack = [[id, 0]];
    while (stack.length) {
      const [n, d] = stack.pop();
      if (d > best) best = d;
      const c = F.children[n];
      if (c && d < 400) for (const k of c) stack.push([k, d + 1]);
    }
    return best;
  }

  function drawFlame() {
    if (!V.flame) V.flame = buildFlame();
    const F = V.flame;
    const W = V.width - 20, x0 = 10;
    let y = RULER_H + 6 - V.flameScrollY;
    V.flameRects = [];
    ctx.fillStyle = '#f3f5f7';
    ctx.fillRect(0, 0, V.width, RULER_H);
    ctx.fillStyle = '#3b4652';
    ctx.fillText(V.flameFocus ? 'Flame graph: click the top bar to zoom out' : 'Flame graph: width = total time of the call path; click to zoom', 8, RULER_H / 2);
    const cw = charWidth();
    for (const r of F.roots) {
      if (V.flameFocus && V.flameFocus.root !== r.node) continue;
      const rootId = V.flameFocus ? V.flameFocus.node : r.node;
      if (!F.depthOf) F.depthOf = new Map();
      let depth = F.depthOf.get(rootId);
      if (depth === undefined) F.depthOf.set(rootId, depth = flameDepth(F, rootId));
      const h = (depth + 1) * ROW_H + PROC_H + 10;
      if (y + h >= 0 && y <= V.height) {
        ctx.fillStyle = '#1d232b';
        ctx.font = 'bold ' + FONT;
        ctx.fillText(trackFullName(r.track), x0, y + PROC_H / 2);
        ctx.font = FONT;
        const scale = W / (F.total[rootId] || 1);
        const stack = [[rootId, x0, 0]];
        while (stack.length) {
          const [id, x, d] = stack.pop();
          const w = F.total[id] * scale;
          const yy = y + PROC_H + d * ROW_H;
          if (yy > V.height) continue;
          const label = F.name[id] < 0 ? trackLabel(r.track) + ' (all)' : T.names[F.name[id]];
          const match = V.search.match;
          const c = F.name[id] < 0 ? MERGED : (match && !match[F.name[id]] ? 100 : 0) + nameColor[F.name[id]];
          ctx.fillStyle = c >= 100 ? PAL_FADED[c - 100] : PAL[c];
          ctx.fillRect(x, yy + 1, Math.max(1, w - 0.5), ROW_H - 2);
          V.flameRects.push({ id: id, root: r.node, x: x, y: yy, w: w });
          const fitc = Math.floor((w - 8) / cw);
          if (fitc >= 4) {
            ctx.fillStyle = '#111';
            ctx.fillText(F.name[id] < 0 || label.length <= fitc ? (label.length > fitc ? label.slice(0, fitc - 1) + '\u2026' : label) : labelText(F.name[id], fitc), x + 4, yy + ROW_H / 2);
          }
          const ch = F.children[id];
          if (!ch) continue;
          let cx = x;
          for (const k of ch) {
            const kw = F.total[k] * scale;
            if (kw >= 0.5) stack.push([k, cx, d + 1]);
            cx += kw;
          }
        }
      }
      y += h;
    }
    V.flameContentH = y + V.flameScrollY;
  }

  function flameHit(x, y) {
    for (let k = V.flameRects.length - 1; k >= 0; k--) {
      const r = V.flameRects[k];
      if (x >= r.x && x < r.x + Math.max(1, r.w) && y >= r.y && y < r.y + ROW_H) return r;
    }
    return null;
  }

  function showFlameNode(r) {
    const F = V.flame;
    const id = r.id;
    const rootTotal = F.total[r.root] || 1;
    const name = F.name[id] < 0 ? '(all calls of the thread)' : T.names[F.name[id]];
    showPanel('Call path', [
      el('div', { cls: 'slice-name', text: name }),
      kvTable([
        ['Total', fmtDur(F.total[id])], ['Self', fmtDur(F.self[id])], ['Calls', String(F.count[id])],
        ['Share of thread', (100 * F.total[id] / rootTotal).toFixed(1) + ' %'],
      ]),
      F.name[id] >= 0 ? sourceNode(name) : null,
    ]);
  }

  function setMode(m) {
    V.mode = m;
    $('btn-timeline').classList.toggle('active', m === 'timeline');
    $('btn-flame').classList.toggle('active', m === 'flame');
    invalidate();
  }

  /* ---------- input ---------- */
  let drag = null;
  canvas.addEventListener('mousedown', (e) => {
    canvas.focus();
    drag = { x: e.offsetX, y: e.offsetY, t0: V.t0, t1: V.t1, sy: V.scrollY, fsy: V.flameScrollY,
      shift: e.shiftKey && V.mode === 'timeline', moved: false };
    if (drag.shift) drag.at = timeAtX(Math.max(GUTTER, e.offsetX));
    e.preventDefault();
  });
  window.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect();
    V.mouse = { x: e.clientX - r.left, y: e.clientY - r.top };
    if (!drag || !T.s) return;
    const dx = V.mouse.x - drag.x, dy = V.mouse.y - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (!drag.moved) return;
    if (drag.shift) {
      const b = timeAtX(Math.max(GUTTER, Math.min(V.width, V.mouse.x)));
      const clamp = (t) => Math.max(T.minTs, Math.min(T.maxTs, t));
      V.range = [clamp(Math.min(drag.at, b)), clamp(Math.max(drag.at, b))];
    } else if (V.mode === 'flame') {
      V.flameScrollY = Math.max(0, drag.fsy - dy);
    } else {
      const span = drag.t1 - drag.t0;
      const dt = dx / (V.width - GUTTER) * span;
      V.t0 = drag.t0 - dt; V.t1 = drag.t1 - dt;
      V.scrollY = drag.sy - dy;
      clampView();
    }
    invalidate();
  });
  window.addEventListener('mouseup', (e) => {
    if (!drag || !T.s) { drag = null; return; }
    const d = drag;
    drag = null;
    if (d.shift && d.moved && V.range) { showRange(); invalidate(); return; }
    if (d.moved) return;
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left, y = e.clientY - r.top;
    if (V.mode === 'flame') {
      const h = flameHit(x, y);
      if (!h) return;
      if (V.flameFocus && h.id === V.flameFocus.node) V.flameFocus = null;
      else if (V.flame.name[h.id] >= 0) V.flameFocus = { root: h.root, node: h.id };
      else V.flameFocus = null;
      showFlameNode(h);
      invalidate();
      return;
    }
    V.range = null;
    select(hit(x, y));
  });
  canvas.addEventListener('wheel', (e) => {
    if (!T.s) return;
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? V.height : 1;
    const dx = e.deltaX * unit, dy = e.deltaY * unit;
    if (V.mode === 'flame') {
      V.flameScrollY = Math.max(0, Math.min((V.flameContentH || 0), V.flameScrollY + dy));
      invalidate();
      return;
    }
    if (e.shiftKey && !e.ctrlKey) {
      V.scrollY += dy || dx;
      clampView();
      invalidate();
      return;
    }
    if (Math.abs(dx) > Math.abs(dy)) {
      pan(dx / (V.width - GUTTER) * (V.t1 - V.t0));
      return;
    }
    const at = e.offsetX > GUTTER ? timeAtX(e.offsetX) : (V.t0 + V.t1) / 2;
    zoomAt(at, Math.exp(dy * (e.ctrlKey ? 0.01 : 0.002)));
  }, { passive: false });

  window.addEventListener('keydown', (e) => {
    if (e.target && e.target.tagName === 'INPUT') return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if ('wasd'.indexOf(k) >= 0 && k.length === 1 && T.s) {
      if (!V.held.has(k)) { V.held.add(k); invalidate(); }
      e.preventDefault();
    } else if (k === 'f') fit();
    else if (k === 'g') setMode('flame');
    else if (k === 't') setMode('timeline');
    else if (k === '/') { $('search').focus(); e.preventDefault(); }
    else if (k === '?') $('help').hidden = !$('help').hidden;
    else if (k === 'escape') { V.range = null; select(null); $('help').hidden = true; }
    else if (k === 'arrowdown' || k === 'pagedown') { V.scrollY += k === 'pagedown' ? V.height * 0.8 : 40; clampView(); invalidate(); }
    else if (k === 'arrowup' || k === 'pageup') { V.scrollY -= k === 'pageup' ? V.height * 0.8 : 40; clampView(); invalidate(); }
  });
  window.addEventListener('keyup', (e) => { V.held.delete(e.key.toLowerCase()); });
  window.addEventListener('blur', () => V.held.clear());
  window.addEventListener('resize', resize);

  $('btn-fit').addEventListener('click', fit);
  $('btn-timeline').addEventListener('click', () => setMode('timeline'));
  $('btn-flame').addEventListener('click', () => setMode('flame'));
  $('btn-help').addEventListener('click', () => { $('help').hidden = !$('help').hidden; });
  $('panel-close').addEventListener('click', () => { V.range = null; select(null); });
  $('search').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      const text = $('search').value;
      if (text !== V.search.text || $('search-re').checked !== V.search.isRe) {
        V.search.isRe = $('search-re').checked;
        runSearch(text, V.search.isRe);
      }
      searchStep(e.shiftKey ? -1 : 1);
    } else if (e.key === 'Escape') {
      $('search').value = '';
      runSearch('', false);
      canvas.focus();
    }
  });
  $('search').addEventListener('input', () => { if (!$('search').value) runSearch('', false); });
  $('search-re').addEventListener('change', () => { V.search.text = null; });
  $('search-next').addEventListener('click', () => { if (V.search.text !== $('search').value) runSearch($('search').value, V.search.isRe = $('search-re').checked); searchStep(1); });
  $('search-prev').addEventListener('click', () => { if (V.search.text !== $('search').value) runSearch($('search').value, V.search.isRe = $('search-re').checked); searchStep(-1); });

  /* ---------- loading ---------- */
  function onLoaded(m) {
    const tDone = performance.now();
    T.names = m.names;
    T.argsList = m.argsList;
    T.s = m.slices;
    T.inst = m.instants;
    T.counters = m.counters;
    T.counterOf = new Map(m.counters.map((c) => [c.track, c]));
    T.tracks = m.tracks;
    T.procs = new Map(m.procs.map((p) => [p.pid, p]));
    T.fileInfo = m.fileInfo;
    T.meta = m.meta;
    T.minTs = m.minTs;
    T.maxTs = m.maxTs;
    T.count = m.slices.ts.length;
    T.levelIndex = [];
    for (const t of T.tracks) {
      for (let d = 0; d + 1 < t.levels.length; d++) {
        if (t.levels[d + 1] > t.levels[d]) T.levelIndex.push({ start: t.levels[d], end: t.levels[d + 1], track: t, depth: d });
      }
    }
    T.levelIndex.sort((a, b) => a.start - b.start);
    nameColor = new Uint8Array(T.names.length);
    for (let k = 0; k < T.names.length; k++) nameColor[k] = hashName(T.names[k]);
    layout();
    fit();
    stats.loadMs = performance.now() - t_start;
    stats.phases = { streamed: m.streamedEvents, fetchMs: m.loadMs, readMs: m.readMs, indexMs: m.parseMs - m.readMs, pageMs: performance.now() - tDone };
    let text = T.count.toLocaleString('en-US') + (T.count === 1 ? ' slice' : ' slices');
    if (T.inst.ts.length) text += ', ' + T.inst.ts.length + ' instants';
    if (m.skipped) text += ', ' + m.skipped + ' events skipped';
    if (T.meta && T.meta.dropped_events) text += ' (' + T.meta.dropped_events + ' dropped by the tracer)';
    if (m.truncated) text += ' \u00b7 the file ends early: showing what it holds';
    text += ' \u00b7 loaded in ' + (stats.loadMs / 1000).toFixed(2) + ' s';
    setStatus(text);
    api.ready = true;
    const params = new URLSearchParams(location.search);
    if (params.get('view') === 'flame' || location.hash === '#flame') setMode('flame');
    invalidate();
    requestAnimationFrame(() => { stats.firstPaintMs = performance.now() - t_start; });
  }

  function load() {
    const embedded = $('ctrace-data');
    const workerSrc = $('ctrace-worker');
    let worker;
    try {
      if (workerSrc) {
        worker = new Worker(URL.createObjectURL(new Blob([workerSrc.textContent], { type: 'text/javascript' })));
      } else {
        worker = new Worker('worker.js');
      }
    } catch (e) {
      fail('cannot start the parser: ' + e.message);
      return;
    }
    worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.progress) setStatus(m.progress + '...');
      else if (m.error) { fail(m.error); worker.terminate(); }
      else if (m.done) {
        onLoaded(m);
        setTimeout(() => worker.terminate(), 1000);  // frees what it read
      }
    };
    worker.onerror = (e) => fail('parser failed: ' + (e.message || 'unknown error'));
    if (embedded) {
      const text = embedded.textContent;
      embedded.textContent = '';
      worker.postMessage({ b64: text });
    } else {
      const params = new URLSearchParams(location.search);
      const url = params.get('trace') || 'trace.json';
      document.title = 'ctrace: ' + url.replace(/^.*\//, '');
      worker.postMessage({ url: new URL(url, location.href).href });
    }
  }
  function fail(msg) {
    api.error = msg;
    setStatus('Error: ' + msg, true);
  }

  /* ---------- the test and benchmark hook ---------- */
  const api = {
    ready: false,
    error: null,
    info() {
      const s = T.s;
      let bytes = 0;
      if (s) for (const k of Object.keys(s)) bytes += s[k].byteLength;
      return {
        slices: T.count, instants: T.inst ? T.inst.ts.length : 0, names: T.names.length,
        minTs: T.minTs, maxTs: T.maxTs, loadMs: stats.loadMs, firstPaintMs: stats.firstPaintMs, phases: stats.phases,
        columnBytes: bytes,
        tracks: V.rows.filter((r) => r.type !== 'proc').map((r) => ({
          id: r.track.id, name: r.label, kind: r.track.kind, pid: r.track.pid, tid: r.track.tid,
          process: procLabel(r.track.pid), depth: r.track.levels.length - 1,
        })),
      };
    },
    view() { return { t0: V.t0, t1: V.t1, scrollY: V.scrollY, mode: V.mode, width: V.width, gutter: GUTTER }; },
    setView(t0, t1, scrollY) { V.t0 = t0; V.t1 = t1; if (scrollY !== undefined) V.scrollY = scrollY; clampView(); invalidate(); },
    fit() { fit(); },
    drawNow() { draw(); },
    setLabels(on) { V.labels = !!on; invalidate(); },
    labelCount() { return stats.lastLabels; },
    // Rectangles of the last frame on track ID (all tracks when undefined).
    drawn(trackId) {
      drawLog = [];
      const sm = V.mode;
      if (sm === 'timeline') draw();
      const out = drawLog.filter((r) => trackId === undefined || r.track === trackId)
        .map((r) => ({ name: r.i >= 0 ? T.names[T.s.name[r.i]] : null, depth: r.depth, x: r.x, w: r.w, n: r.n, i: r.i }));
      drawLog = null;
      return out;
    },
    lastFrame() { return { rects: stats.lastDrawn, merged: stats.lastMerged, represented: stats.lastRepresented }; },
    frameStats() {
      const f = stats.frameTimes;
      return { frames: f.length, max: f.reduce((a, b) => Math.max(a, b), 0), mean: f.reduce((a, b) => a + b, 0) / (f.length || 1) };
    },
    resetFrameStats() { stats.frameTimes = []; stats.maxFrame = 0; },
    // Slices named NAME (exact), in time order: [{i, ts, dur, track, depth}].
    find(name) {
      const out = [];
      const id = T.names.indexOf(name);
      if (id < 0) return out;
      for (let i = 0; i < T.s.name.length; i++) if (T.s.name[i] === id) {
        const loc = locate(i);
        out.push({ i: i, ts: T.s.ts[i], dur: T.s.dur[i], self: T.s.self[i], track: loc.track.id, depth: loc.depth });
      }
      return out.sort((a, b) => a.ts - b.ts);
    },
    // Canvas (CSS px, relative to the canvas) of the middle of slice I.
    slicePoint(i) {
      const scale = (V.width - GUTTER) / (V.t1 - V.t0);
      const r = sliceRect(i, RULER_H - V.scrollY, scale);
      if (!r) return null;
      const xa = Math.max(GUTTER, r.x), xb = Math.min(V.width, r.x + r.w);
      return { x: (xa + xb) / 2, y: r.y + ROW_H / 2 };
    },
    timeToX(t) { return GUTTER + (t - V.t0) / (V.t1 - V.t0) * (V.width - GUTTER); },
    reveal(i) { revealSlice(i); },
    selection() {
      const s = V.sel;
      if (!s) return null;
      if (s.kind === 'slice') return { kind: 'slice', i: s.i, name: T.names[T.s.name[s.i]], ts: T.s.ts[s.i], dur: T.s.dur[s.i], self: T.s.self[s.i] };
      if (s.kind === 'instant') return { kind: 'instant', name: T.names[T.inst.name[s.k]], ts: T.inst.ts[s.k] };
      return null;
    },
    search(text, isRe) { $('search').value = text; $('search-re').checked = !!isRe; V.search.isRe = !!isRe; return runSearch(text, !!isRe); },
    next() { return searchStep(1); },
    prev() { return searchStep(-1); },
    setMode(m) { setMode(m); },
    range(a, b) { V.range = [a, b]; showRange(); invalidate(); return V.rangeRows; },
    flameRoots() {
      if (!V.flame) V.flame = buildFlame();
      const F = V.flame;
      return F.roots.map((r) => ({
        track: trackLabel(r.track), total: F.total[r.node],
        children: (F.children[r.node] || []).map((k) => ({ name: T.names[F.name[k]], total: F.total[k], count: F.count[k] })),
      }));
    },
    flameDrawn() { return V.flameRects.map((r) => ({ name: V.flame.name[r.id] < 0 ? null : T.names[V.flame.name[r.id]], x: r.x, y: r.y, w: r.w })); },
  };
  window.ctraceViewer = api;

  resize();
  load();
})();
