/* ctrace viewer: the trace parser. Runs in a Web Worker, so the page stays
 * responsive while a large trace loads. It turns the Chrome Trace Event
 * JSON into typed-array columns and sends them back (transferred, not
 * copied):
 *
 *   slices: ts, dur, self (Float64), name, args (index or -1), parent
 *           (index or -1), sorted by track, then depth, then start; each
 *           track lists per depth the [begin, end) range of its level;
 *           byTime: every slice's index, by start.
 *   instants: ts, name, track, args, sorted by track then start.
 *   counters: per track and series, ts and value columns.
 *
 * Input messages: {url} (fetch it) or {b64} (the standalone .html page's
 * gzip + base64 payload). Output: {progress}, {error} or {done, ...}. */
'use strict';

function post(msg, transfer) {
  self.postMessage(msg, transfer || []);
}

/* Reads BODY into one buffer (TOTAL bytes when known). With FEED, the
 * buffer is handed to FEED(buf, got) as it fills, so the scan runs while
 * the rest is still arriving; FEED returns how many bytes at the front it
 * is done with, which are dropped, so only the unread part is kept. */
async function readAll(body, total, feed) {
  const reader = body.getReader();
  let buf = new Uint8Array(feed ? Math.min(total > 0 ? total : 1 << 20, 8 << 20) : (total > 0 ? total : 1 << 20));
  let got = 0, lastReport = 0, fed = 0, seen = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    if (got + r.value.length > buf.length) {
      const nb = new Uint8Array(Math.max(buf.length * 2, got + r.value.length));
      nb.set(buf.subarray(0, got));
      buf = nb;
    }
    buf.set(r.value, got);
    got += r.value.length;
    seen += r.value.length;
    if (seen - lastReport > (16 << 20)) {
      lastReport = seen;
      post({ progress: 'Loading ' + (seen / 1048576).toFixed(0) + ' MB' });
    }
    if (feed && got - fed >= (256 << 10)) {
      const done = feed(buf, got);
      if (done > 0) {
        buf.copyWithin(0, done, got);
        got -= done;
      }
      fed = got;
    }
  }
  return buf.subarray(0, got);
}

async function fetchBytes(url, S) {
  const res = await fetch(url);
  if (!res.ok) throw new Error('cannot load ' + url + ': HTTP ' + res.status);
  const len = res.headers.get('Content-Encoding') ? 0 : +(res.headers.get('Content-Length') || 0);
  S.total = len;
  return await readAll(res.body, len, (buf, got) => S.feed(buf, got));
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

async function gunzip(bytes, S) {
  return await readAll(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')), 0,
                       (buf, got) => S.feed(buf, got));
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

/* ---- A JSON scanner over the bytes of the trace ----
 * It reads the event objects field by field without building them
 * (JSON.parse of a million events costs seconds and ~150 bytes each) and
 * interns names straight from the bytes. Values it does not need are
 * skipped; small parts (args, metadata, file_info) go through JSON.parse.
 * The hot loop is one flat function with the position in a local variable:
 * on this class of machine, closures sharing a mutable position cost 2x. */

const TRUNC = { truncated: true };  // thrown when the input ends inside a value
let END = 0;                        // where skipStr/readNum stopped
let ESC = false;                    // whether the last string had escapes

function badJson(what, p) {
  const e = new Error('not valid JSON: ' + what + ' at byte ' + p);
  e.what = what;
  e.pos = p;
  return e;
}
// The same error, its offset counted from the start of the file.
function shifted(e, dropped) {
  return e.pos === undefined || !dropped ? e : badJson(e.what, e.pos + dropped);
}

// At a '"': returns the index after the closing quote; sets ESC.
function skipStr(b, p, bn) {
  ESC = false;
  p++;
  for (;;) {
    if (p >= bn) throw TRUNC;
    const c = b[p++];
    if (c === 34) return p;
    if (c === 92) { ESC = true; p++; }
  }
}

function skipWs(b, p, bn) {
  let c;
  while (p < bn && ((c = b[p]) === 32 || c === 10 || c === 13 || c === 9)) p++;
  return p;
}

// Any JSON value at p; returns the index after it.
function skipVal(b, p, bn) {
  p = skipWs(b, p, bn);
  if (p >= bn) throw TRUNC;
  const c = b[p];
  if (c === 34) return skipStr(b, p, bn);
  if (c === 123 || c === 91) {
    let depth = 0;
    for (;;) {
      if (p >= bn) throw TRUNC;
      const d = b[p];
      if (d === 34) { p = skipStr(b, p, bn); continue; }
      p++;
      if (d === 123 || d === 91) depth++;
      else if ((d === 125 || d === 93) && --depth === 0) return p;
    }
  }
  const s = p;
  while (p < bn) {
    const d = b[p];
    if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9) break;
    p++;
  }
  if (p === s) throw badJson('unexpected character', p);
  return p;
}

const DEC = new TextDecoder();
function textOf(b, a, e) { return DEC.decode(b.subarray(a, e)); }

// A JSON number at p, without allocating; sets END. NaN for other values.
function readNum(b, p, bn) {
  const s = p;
  let neg = false, c;
  if (b[p] === 45) { neg = true; p++; }
  let v = 0, digits = 0;
  while (p < bn && (c = b[p]) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; digits++; }
  let scale = 1;
  if (b[p] === 46) {
    p++;
    while (p < bn && (c = b[p]) >= 48 && c <= 57) { v = v * 10 + (c - 48); scale *= 10; p++; digits++; }
  }
  if (b[p] === 101 || b[p] === 69) {
    p++;
    if (b[p] === 43 || b[p] === 45) p++;
    while (p < bn && (c = b[p]) >= 48 && c <= 57) p++;
    END = p;
    return parseFloat(textOf(b, s, p));
  }
  if (digits === 0) { END = skipVal(b, s, bn); return NaN; }
  END = p;
  if (digits > 15) return parseFloat(textOf(b, s, p));
  if (scale !== 1) v = v / scale;
  return neg ? -v : v;
}

/* Names, interned from their bytes: an open-addressing hash table of raw
 * byte strings, each mapped to the id of its decoded text. */
function Interner() {
  this.names = [];
  this.ids = new Map();
  this.htab = new Int32Array(1 << 12).fill(-1);
  this.rawStart = [];
  this.rawLen = [];
  this.rawId = [];
  this.raw = new Uint8Array(1 << 16);
  this.rawUsed = 0;
}
Interner.prototype.text = function (s) {
  let id = this.ids.get(s);
  if (id === undefined) { id = this.names.length; this.names.push(s); this.ids.set(s, id); }
  return id;
};
function hashBytes(b, a, e) {
  let h = -2128831035 | 0;  // FNV-1a
  for (let k = a; k < e; k++) h = Math.imul(h ^ b[k], 16777619);
  return h >>> 0;
}
// The string whose bytes are b[a, e) (inside the quotes); ESC: has escapes.
Interner.prototype.at = function (b, a, e, esc) {
  const htab = this.htab, mask = htab.length - 1, raw = this.raw;
  const len = e - a;
  let slot = hashBytes(b, a, e) & mask;
  for (;;) {
    const r = htab[slot];
    if (r < 0) break;
    if (this.rawLen[r] === len) {
      const o = this.rawStart[r];
      let k = 0;
      while (k < len && raw[o + k] === b[a + k]) k++;
      if (k === len) return this.rawId[r];
    }
    slot = (slot + 1) & mask;
  }
  const id = this.text(esc ? JSON.parse(textOf(b, a - 1, e + 1)) : textOf(b, a, e));
  if (this.rawUsed + len > raw.length) {
    const nr = new Uint8Array(Math.max(raw.length * 2, this.rawUsed + len));
    nr.set(raw);
    this.raw = nr;
  }
  this.raw.set(b.subarray(a, e), this.rawUsed);
  const r = this.rawStart.length;
  this.rawStart.push(this.rawUsed);
  this.rawLen.push(len);
  this.rawId.push(id);
  this.rawUsed += len;
  htab[slot] = r;
  if (r * 2 > htab.length) {
    const nt = new Int32Array(htab.length * 4).fill(-1);
    const m = nt.length - 1;
    for (let q = 0; q <= r; q++) {
      let sl = hashBytes(this.raw, this.rawStart[q], this.rawStart[q] + this.rawLen[q]) & m;
      while (nt[sl] >= 0) sl = (sl + 1) & m;
      nt[sl] = q;
    }
    this.htab = nt;
  }
  return id;
};

/* What the scanner builds: columns, tracks, instants, counters. */
function Builder(bytes, total) {
  this.b = bytes;
  this.cols = new Columns(Math.max(16, Math.floor((total || bytes.length) / 100)));
  this.names = new Interner();
  this.argsList = [];
  this.procs = new Map();
  this.tracks = [];
  this.trackIds = new Map();
  this.threadIds = new Map();
  this.lastPid = NaN;
  this.lastTid = NaN;
  this.lastTrack = -1;
  this.strIds = new Map();
  this.inst = { ts: [], name: [], track: [], args: [] };
  this.counters = new Map();
  this.open = new Map();
  this.minTs = Infinity;
  this.maxTs = -Infinity;
  this.skipped = 0;
  this.events = 0;
  this.resumeAt = 0;       // readEvents: where to go on after more bytes arrive
  this.afterEvent = false; // readEvents: an event was read, its ',' was not
}
Builder.prototype.proc = function (pid) {
  let pr = this.procs.get(pid);
  if (!pr) {
    pr = { pid: pid, name: null, sort: null };
    this.procs.set(pid, pr);
  }
  return pr;
};
Builder.prototype.track = function (kind, pid, tid, key, name) {
  const k = kind + ':' + pid + ':' + key;
  let id = this.trackIds.get(k);
  if (id === undefined) {
    this.proc(pid);
    id = this.tracks.length;
    this.tracks.push({ kind: kind, pid: pid, tid: tid, name: name, sort: null });
    this.trackIds.set(k, id);
  }
  return id;
};
Builder.prototype.thread = function (pid, tid) {
  if (pid === this.lastPid && tid === this.lastTid) return this.lastTrack;
  const k = pid * 4194304 + tid;
  let id = this.threadIds.get(k);
  if (id === undefined) {
    id = this.track('thread', pid, tid, tid, null);
    this.threadIds.set(k, id);
  }
  this.lastPid = pid;
  this.lastTid = tid;
  this.lastTrack = id;
  return id;
};
// A pid or tid given as a string: a number of its own.
Builder.prototype.strId = function (s) {
  let v = this.strIds.get(s);
  if (v === undefined) { v = 1000000000 + this.strIds.size; this.strIds.set(s, v); }
  return v;
};
Builder.prototype.args = function (a, e) {  // an args object's bytes; -1 when empty
  const b = this.b;
  const k = skipWs(b, a + 1, e);
  if (b[k] === 125) return -1;
  this.argsList.push(textOf(b, a, e));
  return this.argsList.length - 1;
};
Builder.prototype.json = function (a, e) { return a < 0 ? null : JSON.parse(textOf(this.b, a, e)); };
Builder.prototype.asyncKey = function (catA, catE, idA, idE) {
  return (catA >= 0 ? textOf(this.b, catA, catE) : '') + ':' + (idA >= 0 ? textOf(this.b, idA, idE) : '');
};
// Every event but the plain X: metadata, B/E, async, instants, counters.
Builder.prototype.other = function (ph, pid, tid, ts, dur, name, argsA, argsE, catA, catE, idA, idE, scope) {
  if (ph === 77) {  // M
    if (argsA < 0) return;
    const nm = this.names.names[name];
    const a = this.json(argsA, argsE) || {};
    if (nm === 'process_name') this.proc(pid).name = String(a.name);
    else if (nm === 'process_sort_index') this.proc(pid).sort = +a.sort_index;
    else if (nm === 'thread_name') this.tracks[this.thread(pid, tid)].name = String(a.name);
    else if (nm === 'thread_sort_index') this.tracks[this.thread(pid, tid)].sort = +a.sort_index;
    return;
  }
  if (!isFinite(ts)) { this.skipped++; return; }
  if (ts < this.minTs) this.minTs = ts;
  if (ts > this.maxTs) this.maxTs = ts;
  switch (ph) {
  case 88: {  // X with no usable dur
    this.cols.push(ts, 0, name, this.thread(pid, tid), argsA >= 0 ? this.args(argsA, argsE) : -1);
    break;
  }
  case 66: case 69: case 98: case 101: {  // B E b e
    const isAsync = ph === 98 || ph === 101;
    const tr = isAsync
      ? this.track('async', pid, tid, this.asyncKey(catA, catE, idA, idE), this.names.names[name])
      : this.thread(pid, tid);
    let st = this.open.get(tr);
    if (!st) this.open.set(tr, st = []);
    if (ph === 66 || ph === 98) {
      st.push({ ts: ts, name: name, args: argsA >= 0 ? this.args(argsA, argsE) : -1 });
    } else if (st.length) {
      const o = st.pop();
      let ai = o.args;
      const ea = argsA >= 0 ? this.args(argsA, argsE) : -1;
      if (ea >= 0) {
        const merged = Object.assign({}, ai >= 0 ? JSON.parse(this.argsList[ai]) : {}, JSON.parse(this.argsList[ea]));
        this.argsList.push(JSON.stringify(merged));
        ai = this.argsList.length - 1;
      }
      this.cols.push(o.ts, Math.max(0, ts - o.ts), o.name, tr, ai);
    } else {
      this.skipped++;
    }
    break;
  }
  case 105: case 73: case 110: case 82: {  // i I n R
    let tr;
    if (ph === 110) tr = this.track('async', pid, tid, this.asyncKey(catA, catE, idA, idE), this.names.names[name]);
    else if (scope === 103) tr = this.track('events', 0, 0, 'global', 'Global events');
    else if (scope === 112) tr = this.track('events', pid, 0, 'process', 'Process events');
    else tr = this.thread(pid, tid);
    const I = this.inst;
    I.ts.push(ts); I.name.push(name); I.track.push(tr);
    I.args.push(argsA >= 0 ? this.args(argsA, argsE) : -1);
    break;
  }
  case 67: {  // C
    const cname = this.names.names[name] + (idA >= 0 ? ' ' + textOf(this.b, idA, idE) : '');
    const tr = this.track('counter', pid, 0, cname, cname);
    let c = this.counters.get(tr);
    if (!c) this.counters.set(tr, c = { series: new Map() });
    const a = this.json(argsA, argsE) || {};
    for (const key of Object.keys(a)) {
      const v = +a[key];
      if (!isFinite(v)) continue;
      let sr = c.series.get(key);
      if (!sr) c.series.set(key, sr = { ts: [], val: [] });
      sr.ts.push(ts); sr.val.push(v);
    }
    break;
  }
  default:
    this.skipped++;
  }
};

// The event array at p (just past '['); returns the index after ']'. It
// can stop at the end of what has arrived (TRUNC) and go on later from
// B.resumeAt: nothing of an event is kept until the whole event was read.
function readEvents(b, p, bn, B) {
  const cols = B.cols, names = B.names;
  let c;
  for (;;) {
    if (B.afterEvent) {  // between an event and its ',' or ']'
      p = skipWs(b, p, bn);
      if (p >= bn) throw TRUNC;
      c = b[p];
      if (c === 44) p++;
      else if (c === 93) { B.afterEvent = false; return p + 1; }
      else throw badJson("expected ',' or ']' between events", p);
      B.afterEvent = false;
    }
    B.resumeAt = p;
    p = skipWs(b, p, bn);
    if (p >= bn) throw TRUNC;
    c = b[p];
    if (c === 93) return p + 1;
    if (c !== 123) {
      p = skipVal(b, p, bn);
      B.skipped++;
    } else {
      p++;
      let ph = 0, pid = 0, tid = 0, ts = NaN, dur = NaN, scope = 0, name = -1;
      let argsA = -1, argsE = -1, catA = -1, catE = -1, idA = -1, idE = -1;
      for (;;) {
        p = skipWs(b, p, bn);
        if (p >= bn) throw TRUNC;
        c = b[p];
        if (c === 125) { p++; break; }
        if (c === 44) { p++; continue; }
        if (c !== 34) throw badJson('expected a key', p);
        const ka = p + 1;
        p = skipStr(b, p, bn);
        const klen = p - 1 - ka;
        p = skipWs(b, p, bn);
        if (p >= bn) throw TRUNC;
        if (b[p] !== 58) throw badJson("expected ':'", p);
        p = skipWs(b, p + 1, bn);
        if (p >= bn) throw TRUNC;
        c = b[p];
        const k0 = b[ka], k1 = b[ka + 1];
        if (klen === 2 && k0 === 112 && k1 === 104 && c === 34) {                 // ph
          ph = b[p + 1];
          p = skipStr(b, p, bn);
        } else if (klen === 2 && k0 === 116 && k1 === 115) {                      // ts
          if (c === 34) { const a = p; p = skipStr(b, p, bn); ts = parseFloat(textOf(b, a + 1, p - 1)); } else { ts = readNum(b, p, bn); p = END; }
        } else if (klen === 3 && k0 === 100 && k1 === 117 && b[ka + 2] === 114) { // dur
          if (c === 34) { const a = p; p = skipStr(b, p, bn); dur = parseFloat(textOf(b, a + 1, p - 1)); } else { dur = readNum(b, p, bn); p = END; }
        } else if (klen === 3 && k1 === 105 && b[ka + 2] === 100 && (k0 === 112 || k0 === 116)) { // pid, tid
          let v;
          if (c === 34) { const a = p; p = skipStr(b, p, bn); v = B.strId(textOf(b, a + 1, p - 1)); } else { v = readNum(b, p, bn); p = END; if (!isFinite(v)) v = 0; }
          if (k0 === 112) pid = v; else tid = v;
        } else if (klen === 4 && k0 === 110 && k1 === 97 && c === 34) {           // name
          const a = p + 1;
          p = skipStr(b, p, bn);
          name = names.at(b, a, p - 1, ESC);
        } else if (klen === 4 && k0 === 97 && k1 === 114) {                       // args
          argsA = p; p = skipVal(b, p, bn); argsE = p;
        } else if (klen === 3 && k0 === 99 && k1 === 97) {                        // cat
          catA = p; p = skipVal(b, p, bn); catE = p;
        } else if ((klen === 2 || klen === 3) && k0 === 105 && k1 === 100) {      // id, id2
          idA = p; p = skipVal(b, p, bn); idE = p;
        } else if (klen === 1 && k0 === 115 && c === 34) {                        // s
          scope = b[p + 1];
          p = skipStr(b, p, bn);
        } else {
          p = skipVal(b, p, bn);
        }
      }
      B.events++;
      if (name < 0) name = names.text('');
      if (ph === 88 && dur >= 0 && isFinite(ts)) {
        cols.push(ts, dur, name, B.thread(pid, tid), argsA >= 0 ? B.args(argsA, argsE) : -1);
        if (ts < B.minTs) B.minTs = ts;
        if (ts + dur > B.maxTs) B.maxTs = ts + dur;
      } else {
        B.other(ph, pid, tid, ts, dur, name, argsA, argsE, catA, catE, idA, idE, scope);
      }
    }
    B.resumeAt = p;
    B.afterEvent = true;
  }
}

/* Scans the events while the trace arrives (see readAll): finds the event
 * array, then reads the events that have arrived whole. parseTrace then
 * finishes from where it stopped. */
function StreamScan() {
  this.B = null;
  this.total = 0;       // the size announced, when known
  this.state = 0;       // 0: before the event array, 1: in it, 2: after it,
                        // 3: not a trace we can scan, 4: a syntax error
  this.pos = 0;         // state 1: where to go on
  this.eventsEnd = 0;   // state 2: the index after the array
  this.isArray = false; // the file is a bare array of events
  this.fileInfo = null; // found before the event array
  this.meta = null;
  this.error = null;    // state 4
  this.reported = 0;
  this.dropped = 0;     // bytes read and let go
}
// The index just past the '[' of the event array, -1 when B lacks it yet,
// -2 when there is none (parseTrace will say why). Keeps in S what comes
// before the array (it is dropped once the events are being read).
function findEvents(b, bn, S) {
  let p = skipWs(b, 0, bn);
  if (bn - p >= 3 && b[p] === 0xEF && b[p + 1] === 0xBB && b[p + 2] === 0xBF) p = skipWs(b, p + 3, bn);
  try {
    if (p >= bn) return -1;
    if (b[p] === 91) { S.isArray = true; return p + 1; }
    if (b[p] !== 123) return -2;
    p++;
    for (;;) {
      p = skipWs(b, p, bn);
      if (p >= bn) return -1;
      if (b[p] !== 34) return -2;
      const ka = p;
      p = skipStr(b, p, bn);
      const key = textOf(b, ka + 1, p - 1);
      p = skipWs(b, p, bn);
      if (p >= bn) return -1;
      if (b[p] !== 58) return -2;
      p = skipWs(b, p + 1, bn);
      if (p >= bn) return -1;
      if (key === 'traceEvents' && b[p] === 91) return p + 1;
      const a = p;
      p = skipVal(b, p, bn);
      if (p >= bn) return -1;
      if (key === 'file_info') S.fileInfo = JSON.parse(textOf(b, a, p));
      else if (key === 'ctrace_metadata') S.meta = JSON.parse(textOf(b, a, p));
      p = skipWs(b, p, bn);
      if (p >= bn) return -1;
      if (b[p] !== 44) return -2;
      p++;
    }
  } catch (e) {
    if (e === TRUNC) return -1;
    return -2;
  }
}
// Scans what has arrived; returns how many bytes at the front it is done with.
StreamScan.prototype.feed = function (buf, got) {
  if (!this.B) this.B = new Builder(buf, this.total);
  this.B.b = buf;
  if (this.state === 0) {
    const p = findEvents(buf, got, this);
    if (p === -2) this.state = 3;  // not ours to read: parseTrace reports it
    if (p < 0) return 0;
    this.pos = p;
    this.state = 1;
  }
  if (this.state === 1) {
    try {
      this.eventsEnd = readEvents(buf, this.pos, got, this.B);
      this.state = 2;
    } catch (e) {
      if (e !== TRUNC) { this.state = 4; this.error = shifted(e, this.dropped); return 0; }
      this.pos = this.B.resumeAt;
      if (this.B.events - this.reported > 100000) {
        this.reported = this.B.events;
        post({ progress: 'Reading events: ' + this.B.events.toLocaleString('en-US') });
      }
    }
  }
  let done = 0;
  if (this.state === 1) { done = this.pos; this.pos = 0; }
  else if (this.state === 2) { done = this.eventsEnd; this.eventsEnd = 0; }
  this.dropped += done;
  return done;
};

/* In ORDER (sorted by start, and by GROUP when given), orders each run of
 * equal starts (in one group) by descending duration, stably: a caller
 * before the calls it makes at the same instant. */
function longerFirst(order, ts, dur, group) {
  const n = order.length;
  const byDur = (a, b) => (dur[b] - dur[a]) || (a - b);
  for (let k = 0; k < n;) {
    const x = order[k];
    let e = k + 1;
    while (e < n && ts[order[e]] === ts[x] && (!group || group[order[e]] === group[x])) e++;
    if (e - k > 1) order.subarray(k, e).sort(byDur);
    k = e;
  }
}

/* Indexes 0..n-1 sorted by ts (stable), by an LSD radix sort of the start
 * in integer nanoseconds from MIN, 11 bits a pass. */
function radixByStart(ts, n, min) {
  const lo = new Uint32Array(n), hi = new Uint32Array(n);
  let maxHi = 0, maxLo = 0;
  for (let i = 0; i < n; i++) {
    const k = Math.max(0, Math.round((ts[i] - min) * 1000));
    const h = Math.floor(k / 4194304);
    hi[i] = h;
    lo[i] = k - h * 4194304;
    if (h > maxHi) maxHi = h;
    if (lo[i] > maxLo) maxLo = lo[i];
  }
  let a = new Uint32Array(n), t = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  const cnt = new Uint32Array(2048);
  const pass = (keys, shift) => {
    cnt.fill(0);
    for (let i = 0; i < n; i++) cnt[(keys[a[i]] >>> shift) & 2047]++;
    let sum = 0;
    for (let d = 0; d < 2048; d++) { const c = cnt[d]; cnt[d] = sum; sum += c; }
    for (let i = 0; i < n; i++) { const x = a[i]; t[cnt[(keys[x] >>> shift) & 2047]++] = x; }
    const tmp = a; a = t; t = tmp;
  };
  pass(lo, 0);
  if (maxLo >= 2048) pass(lo, 11);
  for (let shift = 0; shift < 32 && (maxHi >>> shift) > 0; shift += 11) pass(hi, shift);
  return a;
}

function parseTrace(b, S) {
  const t0 = Date.now();
  const bn = b.length;
  if (S && S.state === 4) throw S.error;
  if (S && (S.state === 0 || S.state === 3)) S = null;  // nothing dropped: read it all
  const B = S && S.B ? S.B : new Builder(b);
  B.b = b;
  let fileInfo = S ? S.fileInfo : null, meta = S ? S.meta : null, truncated = false;
  let p = 0, sawEvents = false, afterValue = false;
  try {
    if (S) {
      // Go on where the scan stopped: B holds only what follows.
      sawEvents = true;
      p = S.state === 2 ? S.eventsEnd : readEvents(b, S.pos, bn, B);
      if (S.isArray) p = -1;
      afterValue = true;
    } else {
      p = skipWs(b, 0, bn);
      if (bn - p >= 3 && b[p] === 0xEF && b[p + 1] === 0xBB && b[p + 2] === 0xBF) p = skipWs(b, p + 3, bn);
      if (b[p] === 91) {
        readEvents(b, p + 1, bn, B);
        sawEvents = true;
        p = -1;
      } else if (b[p] === 123) {
        p++;
      } else {
        throw new Error('not a trace: expected a JSON object or an array of events');
      }
    }
    // The rest of the top-level object: its other keys.
    while (p >= 0) {
      p = skipWs(b, p, bn);
      if (p >= bn) throw TRUNC;
      if (afterValue) {
        if (b[p] === 44) { p++; afterValue = false; continue; }
        if (b[p] === 125) break;
        throw badJson("expected ',' or '}'", p);
      }
      if (b[p] === 125) break;
      if (b[p] !== 34) throw badJson('expected a key', p);
      const ka = p;
      p = skipStr(b, p, bn);
      const key = textOf(b, ka + 1, p - 1);
      p = skipWs(b, p, bn);
      if (p >= bn) throw TRUNC;
      if (b[p] !== 58) throw badJson("expected ':'", p);
      p = skipWs(b, p + 1, bn);
      if (key === 'traceEvents' && b[p] === 91 && !sawEvents) {
        sawEvents = true;
        p = readEvents(b, p + 1, bn, B);
      } else {
        const a = p;
        p = skipVal(b, p, bn);
        if (key === 'file_info') fileInfo = JSON.parse(textOf(b, a, p));
        else if (key === 'ctrace_metadata') meta = JSON.parse(textOf(b, a, p));
      }
      afterValue = true;
    }
    if (!sawEvents) throw new Error('not a trace: no traceEvents array');
  } catch (e) {
    if (e !== TRUNC) throw shifted(e, S ? S.dropped : 0);
    truncated = true;  // keep the events read before the cut
    if (!B.events) throw new Error('not a trace: the file ends before any event');
  }
  const cols = B.cols, names = B.names.names, argsList = B.argsList, tracks = B.tracks;
  const procs = B.procs, inst = B.inst, counters = B.counters, skipped = B.skipped, nevents = B.events;
  let minTs = B.minTs, maxTs = B.maxTs;
  // Calls still open at the end of the trace last until its end.
  for (const [tr, st] of B.open) {
    while (st.length) {
      const o = st.pop();
      cols.push(o.ts, Math.max(0, maxTs - o.ts), o.name, tr, o.args);
    }
  }
  if (!isFinite(minTs)) { minTs = 0; maxTs = 1; }
  if (maxTs <= minTs) maxTs = minTs + 1;
  const readMs = Date.now() - t0;

  post({ progress: 'Sorting ' + cols.n + ' slices' });
  const n = cols.n;
  const ts = cols.ts, dur = cols.dur, track_ = cols.track;
  const ntracks = tracks.length;

  // Order by track, then start, longer first at equal starts: an LSD radix
  // sort on integer nanoseconds (a comparator sort of 1M takes seconds
  // here), a stable counting sort by track, then runs of equal starts
  // ordered by duration.
  const tcount = new Uint32Array(ntracks + 1);
  for (let i = 0; i < n; i++) tcount[track_[i] + 1]++;
  for (let t = 0; t < ntracks; t++) tcount[t + 1] += tcount[t];
  const order = radixByStart(ts, n, minTs);
  const timeOrder = order.slice();  // every slice by start: search walks it
  longerFirst(timeOrder, ts, dur, null);  // callers first at equal starts
  {
    const byTrack = new Uint32Array(n);
    const fill = tcount.slice(0, ntracks);
    for (let k = 0; k < n; k++) { const i = order[k]; byTrack[fill[track_[i]]++] = i; }
    order.set(byTrack);
  }
  longerFirst(order, ts, dur, track_);

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
  {  // timeOrder, from slice numbers as read to final indexes
    const toFinal = new Int32Array(n);
    for (let p = 0; p < n; p++) toFinal[order[p]] = posToFinal[p];
    let k = 0;
    for (let q = 0; q < n; q++) { const f = toFinal[timeOrder[q]]; if (f >= 0) timeOrder[k++] = f; }
    out.byTime = timeOrder.subarray(0, k);
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
    out.args.buffer, out.parent.buffer, out.byTime.buffer, instants.ts.buffer, instants.name.buffer,
    instants.args.buffer];
  for (const c of counterList) for (const s of c.series) transfer.push(s.ts.buffer, s.val.buffer);
  return {
    msg: {
      done: true, names: names, argsList: argsList, slices: out, instants: instants,
      counters: counterList, tracks: trackList, procs: procList, fileInfo: fileInfo,
      meta: meta, minTs: minTs, maxTs: maxTs, skipped: skipped, events: nevents, truncated: truncated,
      readMs: readMs, parseMs: Date.now() - t0,
    },
    transfer: transfer,
  };
}

self.onmessage = async function (ev) {
  try {
    const t0 = Date.now();
    const S = new StreamScan();
    let bytes;
    if (ev.data.b64 !== undefined) {
      post({ progress: 'Decompressing' });
      bytes = await gunzip(base64Bytes(ev.data.b64), S);
    } else {
      bytes = await fetchBytes(ev.data.url, S);
    }
    post({ progress: 'Indexing' });
    const loadMs = Date.now() - t0;
    const streamed = S.B ? S.B.events : 0;
    const r = parseTrace(bytes, S);
    r.msg.loadMs = loadMs;
    r.msg.streamedEvents = streamed;
    post(r.msg, r.transfer);
  } catch (e) {
    post({ error: String(e && e.message ? e.message : e) });
  }
};
