/* ctrace viewer: the trace parser. Runs in a Web Worker, so the page stays
 * responsive while a large trace loads. It turns the Chrome Trace Event
 * JSON into typed-array columns and sends them back (transferred, not
 * copied):
 *
 *   slices: ts, dur, self (Float64), name, args (index or -1), parent
 *           (index or -1), sorted by track, then depth, then start; each
 *           track lists per depth the [begin, end) range of its level.
 *   instants: ts, name, track, args, sorted by track then start.
 *   counters: per track and series, ts and value columns.
 *
 * Input messages: {url} (fetch it) or {b64} (the standalone .html page's
 * gzip + base64 payload). Output: {progress}, {error} or {done, ...}. */
'use strict';

function post(msg, transfer) {
  self.postMessage(msg, transfer || []);
}

async function fetchText(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error('cannot load ' + url + ': HTTP ' + res.status);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  const parts = [];
  let got = 0, lastReport = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    got += r.value.length;
    parts.push(dec.decode(r.value, { stream: true }));
    if (got - lastReport > (8 << 20)) {
      lastReport = got;
      post({ progress: 'Loading ' + (got / 1048576).toFixed(0) + ' MB' });
    }
  }
  parts.push(dec.decode());
  return parts.join('');
}

function base64Bytes(s) {
  const table = new Uint8Array(256).fill(255);
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) table[abc.charCodeAt(i)] = i;
  let n = 0;
  const clean = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const v = table[s.charCodeAt(i) & 255];
    if (v !== 255) clean[n++] = v;
  }
  const out = new Uint8Array(Math.floor(n * 3 / 4));
  let o = 0, i = 0;
  for (; i + 3 < n; i += 4) {
    const v = (clean[i] << 18) | (clean[i + 1] << 12) | (clean[i + 2] << 6) | clean[i + 3];
    out[o++] = v >> 16; out[o++] = (v >> 8) & 255; out[o++] = v & 255;
  }
  const rest = n - i;
  if (rest === 2) {
    out[o++] = ((clean[i] << 18) | (clean[i + 1] << 12)) >> 16;
  } else if (rest === 3) {
    const v = (clean[i] << 18) | (clean[i + 1] << 12) | (clean[i + 2] << 6);
    out[o++] = v >> 16; out[o++] = (v >> 8) & 255;
  }
  return out.subarray(0, o);
}

async function gunzipText(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return await new Response(stream).text();
}

/* Growable columns for the slices found while reading the events. */
function Columns(cap) {
  this.n = 0;
  this.ts = new Float64Array(cap);
  this.dur = new Float64Array(cap);
  this.name = new Uint32Array(cap);
  this.track = new Uint32Array(cap);
  this.args = new Int32Array(cap);
}
Columns.prototype.push = function (ts, dur, name, track, args) {
  if (this.n === this.ts.length) {
    const cap = this.n * 2 + 16;
    for (const k of ['ts', 'dur', 'name', 'track', 'args']) {
      const a = new this[k].constructor(cap);
      a.set(this[k]);
      this[k] = a;
    }
  }
  const i = this.n++;
  this.ts[i] = ts; this.dur[i] = dur; this.name[i] = name;
  this.track[i] = track; this.args[i] = args;
};

function parseTrace(text) {
  const t0 = Date.now();
  let doc = JSON.parse(text);
  text = null;
  let events, fileInfo = null, meta = null;
  if (Array.isArray(doc)) {
    events = doc;
  } else if (doc && typeof doc === 'object') {
    events = Array.isArray(doc.traceEvents) ? doc.traceEvents : [];
    fileInfo = doc.file_info || null;
    meta = doc.ctrace_metadata || null;
  } else {
    throw new Error('not a trace: expected a JSON object or array of events');
  }
  doc = null;
  post({ progress: 'Indexing ' + events.length + ' events' });

  const names = [];
  const nameIds = new Map();
  function nameId(s) {
    s = s === undefined || s === null ? '' : String(s);
    let id = nameIds.get(s);
    if (id === undefined) {
      id = names.length;
      names.push(s);
      nameIds.set(s, id);
    }
    return id;
  }
  const argsList = [];
  function argsId(a) {
    if (a === undefined || a === null) return -1;
    if (typeof a === 'object' && Object.keys(a).length === 0) return -1;
    argsList.push(JSON.stringify(a));
    return argsList.length - 1;
  }

  const procs = new Map(); // pid -> {name, sort}
  const tracks = [];       // {kind, pid, tid, key, name, sort}
  const trackIds = new Map();
  function proc(pid) {
    let p = procs.get(pid);
    if (!p) {
      p = { pid: pid, name: null, sort: null };
      procs.set(pid, p);
    }
    return p;
  }
  function track(kind, pid, tid, key, name) {
    const k = kind + ':' + pid + ':' + key;
    let id = trackIds.get(k);
    if (id === undefined) {
      proc(pid);
      id = tracks.length;
      tracks.push({ kind: kind, pid: pid, tid: tid, name: name, sort: null });
      trackIds.set(k, id);
    }
    return id;
  }
  const threadTrack = (pid, tid) => track('thread', pid, tid, tid, null);

  const cols = new Columns(Math.max(16, events.length));
  const inst = { ts: [], name: [], track: [], args: [] };
  const counters = new Map(); // track id -> {name, series: Map key -> {ts:[], val:[]}}
  const open = new Map();     // B/E and b/e stacks per track
  let minTs = Infinity, maxTs = -Infinity, skipped = 0;

  for (let k = 0; k < events.length; k++) {
    const e = events[k];
    if (!e || typeof e !== 'object') { skipped++; continue; }
    const ph = e.ph;
    const pid = e.pid === undefined ? 0 : e.pid;
    const tid = e.tid === undefined ? 0 : e.tid;
    const ts = +e.ts;
    if (ph === 'M') {
      const a = e.args || {};
      if (e.name === 'process_name') proc(pid).name = String(a.name);
      else if (e.name === 'process_sort_index') proc(pid).sort = +a.sort_index;
      else if (e.name === 'thread_name') tracks[threadTrack(pid, tid)].name = String(a.name);
      else if (e.name === 'thread_sort_index') tracks[threadTrack(pid, tid)].sort = +a.sort_index;
      continue;
    }
    if (!isFinite(ts)) { skipped++; continue; }
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
    switch (ph) {
    case 'X': {
      let dur = +e.dur;
      if (!(dur >= 0)) dur = 0;
      if (ts + dur > maxTs) maxTs = ts + dur;
      cols.push(ts, dur, nameId(e.name), threadTrack(pid, tid), argsId(e.args));
      break;
    }
    case 'B': case 'E': case 'b': case 'e': {
      const async = ph === 'b' || ph === 'e';
      let tr;
      if (async) {
        const id = e.id2 ? JSON.stringify(e.id2) : String(e.id);
        tr = track('async', pid, tid, (e.cat || '') + ':' + id, e.name === undefined ? id : String(e.name));
      } else {
        tr = threadTrack(pid, tid);
      }
      let st = open.get(tr);
      if (!st) open.set(tr, st = []);
      if (ph === 'B' || ph === 'b') {
        st.push({ ts: ts, name: e.name, args: e.args });
      } else if (st.length) {
        const b = st.pop();
        let args = b.args;
        if (e.args && Object.keys(e.args).length) args = Object.assign({}, b.args || {}, e.args);
        cols.push(b.ts, Math.max(0, ts - b.ts), nameId(b.name), tr, argsId(args));
      } else {
        skipped++;
      }
      break;
    }
    case 'i': case 'I': case 'n': case 'R': {
      let tr;
      if (ph === 'n') {
        const id = e.id2 ? JSON.stringify(e.id2) : String(e.id);
        tr = track('async', pid, tid, (e.cat || '') + ':' + id, String(e.name));
      } else if (e.s === 'g') {
        tr = track('events', 0, 0, 'global', 'Global events');
      } else if (e.s === 'p') {
        tr = track('events', pid, 0, 'process', 'Process events');
      } else {
        tr = threadTrack(pid, tid);
      }
      inst.ts.push(ts); inst.name.push(nameId(e.name)); inst.track.push(tr);
      inst.args.push(argsId(e.args));
      break;
    }
    case 'C': {
      const cname = String(e.name) + (e.id !== undefined ? ' ' + e.id : '');
      const tr = track('counter', pid, 0, cname, cname);
      let c = counters.get(tr);
      if (!c) counters.set(tr, c = { series: new Map() });
      const a = e.args || {};
      for (const key of Object.keys(a)) {
        const v = +a[key];
        if (!isFinite(v)) continue;
        let s = c.series.get(key);
        if (!s) c.series.set(key, s = { ts: [], val: [] });
        s.ts.push(ts); s.val.push(v);
      }
      break;
    }
    default:
      skipped++;
    }
  }
  events = null;
  // Calls still open at the end of the trace last until its end.
  for (const [tr, st] of open) {
    while (st.length) {
      const b = st.pop();
      cols.push(b.ts, Math.max(0, maxTs - b.ts), nameId(b.name), tr, argsId(b.args));
    }
  }
  if (!isFinite(minTs)) { minTs = 0; maxTs = 1; }
  if (maxTs <= minTs) maxTs = minTs + 1;

  post({ progress: 'Sorting ' + cols.n + ' slices' });
  const n = cols.n;
  const ts = cols.ts, dur = cols.dur, track_ = cols.track;
  const ntracks = tracks.length;

  // Counting sort by track, then sort each track's slices by start (longer first).
  const tcount = new Uint32Array(ntracks + 1);
  for (let i = 0; i < n; i++) tcount[track_[i] + 1]++;
  for (let t = 0; t < ntracks; t++) tcount[t + 1] += tcount[t];
  const order = new Uint32Array(n);
  {
    const fill = tcount.slice(0, ntracks);
    for (let i = 0; i < n; i++) order[fill[track_[i]]++] = i;
  }
  const cmp = (a, b) => (ts[a] - ts[b]) || (dur[b] - dur[a]) || (a - b);
  for (let t = 0; t < ntracks; t++) {
    const sub = order.subarray(tcount[t], tcount[t + 1]);
    let sorted = true;
    for (let i = 1; i < sub.length && sorted; i++) sorted = cmp(sub[i - 1], sub[i]) <= 0;
    if (!sorted) sub.sort(cmp);
  }

  // Depth, parent and self time with a stack per track.
  const depth = new Uint16Array(n);
  const parentPos = new Int32Array(n);   // parent's position in ORDER
  const selfT = new Float64Array(n);     // by original index
  const levelCount = [];                 // per track: counts per depth
  let stackPos = new Int32Array(1024);
  const EPS = 1e-6;
  for (let t = 0; t < ntracks; t++) {
    const counts = [];
    let sp = 0;
    for (let p = tcount[t]; p < tcount[t + 1]; p++) {
      const i = order[p];
      const s = ts[i], e = s + dur[i];
      while (sp > 0) {
        const top = order[stackPos[sp - 1]];
        if (ts[top] + dur[top] <= s + EPS) sp--;
        else break;
      }
      // A slice that overlaps its would-be parent only partly is clipped.
      if (sp > 0) {
        const top = order[stackPos[sp - 1]];
        const pe = ts[top] + dur[top];
        if (e > pe + EPS) dur[i] = Math.max(0, pe - s);
      }
      if (sp >= 65535) { depth[i] = 65535; parentPos[p] = -1; selfT[i] = dur[i]; continue; }
      depth[i] = sp;
      parentPos[p] = sp > 0 ? stackPos[sp - 1] : -1;
      selfT[i] = dur[i];
      if (sp > 0) selfT[order[stackPos[sp - 1]]] -= dur[i];
      while (counts.length <= sp) counts.push(0);
      counts[sp]++;
      if (sp === stackPos.length) {
        const a = new Int32Array(sp * 2);
        a.set(stackPos);
        stackPos = a;
      }
      stackPos[sp++] = p;
    }
    levelCount.push(counts);
  }

  // Final layout: by track, then depth, then start (stable from ORDER).
  const levelStart = [];
  let off = 0;
  for (let t = 0; t < ntracks; t++) {
    const starts = [];
    for (const c of levelCount[t]) { starts.push(off); off += c; }
    starts.push(off);
    levelStart.push(starts);
  }
  const out = {
    ts: new Float64Array(n), dur: new Float64Array(n), self: new Float64Array(n),
    name: new Uint32Array(n), args: new Int32Array(n), parent: new Int32Array(n),
  };
  const posToFinal = new Int32Array(n);
  const cursor = levelStart.map((s) => s.slice());
  for (let t = 0; t < ntracks; t++) {
    for (let p = tcount[t]; p < tcount[t + 1]; p++) {
      const i = order[p];
      if (depth[i] === 65535) { posToFinal[p] = -1; continue; }
      const f = cursor[t][depth[i]]++;
      posToFinal[p] = f;
      out.ts[f] = ts[i]; out.dur[f] = dur[i]; out.self[f] = Math.max(0, selfT[i]);
      out.name[f] = cols.name[i]; out.args[f] = cols.args[i];
    }
  }
  for (let t = 0; t < ntracks; t++) {
    for (let p = tcount[t]; p < tcount[t + 1]; p++) {
      const f = posToFinal[p];
      if (f < 0) continue;
      out.parent[f] = parentPos[p] >= 0 ? posToFinal[parentPos[p]] : -1;
    }
  }

  // Instants sorted by track, then time.
  const ni = inst.ts.length;
  const iorder = Array.from({ length: ni }, (_, i) => i);
  iorder.sort((a, b) => (inst.track[a] - inst.track[b]) || (inst.ts[a] - inst.ts[b]));
  const instants = {
    ts: new Float64Array(ni), name: new Uint32Array(ni), args: new Int32Array(ni),
  };
  const instRange = new Array(ntracks).fill(null);
  for (let k = 0; k < ni; k++) {
    const i = iorder[k];
    instants.ts[k] = inst.ts[i]; instants.name[k] = inst.name[i]; instants.args[k] = inst.args[i];
    const tr = inst.track[i];
    if (!instRange[tr]) instRange[tr] = [k, k];
    instRange[tr][1] = k + 1;
  }

  const counterList = [];
  for (const [tr, c] of counters) {
    const series = [];
    for (const [key, s] of c.series) {
      const idx = s.ts.map((_, i) => i).sort((a, b) => s.ts[a] - s.ts[b]);
      series.push({
        key: key,
        ts: Float64Array.from(idx, (i) => s.ts[i]),
        val: Float64Array.from(idx, (i) => s.val[i]),
      });
    }
    counterList.push({ track: tr, series: series });
  }

  const procList = [];
  for (const p of procs.values()) procList.push(p);
  const trackList = tracks.map((t, i) => ({
    id: i, kind: t.kind, pid: t.pid, tid: t.tid, name: t.name, sort: t.sort,
    levels: levelStart[i], instants: instRange[i],
  }));

  const transfer = [out.ts.buffer, out.dur.buffer, out.self.buffer, out.name.buffer,
    out.args.buffer, out.parent.buffer, instants.ts.buffer, instants.name.buffer,
    instants.args.buffer];
  for (const c of counterList) for (const s of c.series) transfer.push(s.ts.buffer, s.val.buffer);
  return {
    msg: {
      done: true, names: names, argsList: argsList, slices: out, instants: instants,
      counters: counterList, tracks: trackList, procs: procList, fileInfo: fileInfo,
      meta: meta, minTs: minTs, maxTs: maxTs, skipped: skipped, parseMs: Date.now() - t0,
    },
    transfer: transfer,
  };
}

self.onmessage = async function (ev) {
  try {
    let text;
    if (ev.data.b64 !== undefined) {
      post({ progress: 'Decompressing' });
      text = await gunzipText(base64Bytes(ev.data.b64));
    } else {
      text = await fetchText(ev.data.url);
    }
    post({ progress: 'Parsing ' + (text.length / 1048576).toFixed(1) + ' MB' });
    const r = parseTrace(text);
    post(r.msg, r.transfer);
  } catch (e) {
    post({ error: String(e && e.message ? e.message : e) });
  }
};
