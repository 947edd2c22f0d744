#!/usr/bin/env node
/* The viewer's trace scanner (assets/worker.js), run in node against
 * node's own JSON.parse: every slice, name and args object must come out as
 * JSON.parse reads them, whole or fed in chunks of any size, and malformed
 * input must be refused with its offset. No browser needed.
 *
 *   node parser.test.js ASSETS_DIR */
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const assets = process.argv[2] || path.join(__dirname, '../../assets');
global.self = { postMessage() {} };
vm.runInThisContext(fs.readFileSync(path.join(assets, 'worker.js'), 'utf8'), { filename: 'worker.js' });

let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('FAIL: ' + what); }
}

/* What JSON.parse makes of a trace: slices as [ts, dur, name, args]. */
function expected(doc) {
  const events = Array.isArray(doc) ? doc : doc.traceEvents;
  const out = [];
  const open = {};
  for (const e of events) {
    if (e.ph === 'X') out.push([+e.ts, +e.dur, String(e.name), e.args && Object.keys(e.args).length ? e.args : null]);
    if (e.ph === 'B') (open[e.tid] = open[e.tid] || []).push(e);
    if (e.ph === 'E') { const b = open[e.tid].pop(); out.push([+b.ts, e.ts - b.ts, String(b.name), b.args || null]); }
  }
  return out.map((x) => JSON.stringify(x)).sort();
}
function got(m) {
  const s = m.slices, out = [];
  for (let i = 0; i < s.ts.length; i++)
    out.push(JSON.stringify([s.ts[i], s.dur[i], m.names[s.name[i]], s.args[i] >= 0 ? JSON.parse(m.argsList[s.args[i]]) : null]));
  return out.sort();
}

async function streamed(bytes, chunk) {
  let off = 0;
  const body = new ReadableStream({
    pull(c) {
      if (off >= bytes.length) { c.close(); return; }
      const n = Math.min(chunk, bytes.length - off);
      c.enqueue(bytes.slice(off, off + n));
      off += n;
    },
  });
  const S = new StreamScan();
  const rest = await readAll(body, 0, (buf, n) => S.feed(buf, n));
  return parseTrace(rest, S).msg;
}

function bigTrace() {
  const ev = [{ ph: 'M', pid: 1, tid: 2, name: 'thread_name', args: { name: 'T "quoted" \u00e9' } }];
  const names = ['plain', 'quote " inside', 'back\\slash', 'caf\u00e9 \u65e5\u672c', 'emoji \ud83d\ude00', 'ctl \u0001\t\n',
    '</script><b>', 'x'.repeat(300)];
  let t = 0;
  for (let k = 0; k < 40000; k++) {
    const e = { ph: 'X', pid: 1, tid: 2 + (k % 3), ts: +(t).toFixed(3), dur: +(1 + (k % 7) * 0.125).toFixed(3), name: names[k % names.length], cat: 'FEE' };
    if (k % 11 === 0) e.args = { k: k, s: 'v\u00e9"' + k, nested: { a: [1, 2, { b: null }] } };
    if (k % 13 === 0) e.extra = { ignored: [true, false, null, 'x]}'] };
    ev.push(e);
    t += 3;
  }
  return { traceEvents: ev, displayTimeUnit: 'ns', file_info: { files: { '/a.py': ['print(1)\n', 1] }, functions: {} },
    ctrace_metadata: { version: 'test' } };
}

async function main() {
  // Odd spellings of numbers and fields, whitespace, key order.
  const odd = '\ufeff {"otherData": {"x": [1, {"y": "]"}]},\n "traceEvents" : [\n' +
    ' {"name":"a","ph":"X","ts":1e3,"dur":1.5E+1,"pid":1,"tid":1},\n' +
    ' {"ph":"X","pid":1,"tid":1,"ts":"1020.25","dur":"2","name":"b"},\n' +
    ' {"ph":"X","pid":"proc","tid":"thr","ts":12345678901.125,"dur":0,"name":"c","args":{}},\n' +
    ' {"ph":"B","pid":1,"tid":1,"ts":2000,"name":"d","args":{"a":1}},\n' +
    ' {"ph":"E","pid":1,"tid":1,"ts":2010.5},\n' +
    ' {"ph":"X","pid":1,"tid":1,"ts":-5,"dur":3,"name":"neg \\u0041\\n"}\n' +
    ' ] , "displayTimeUnit":"ns"}';
  const oddBytes = new TextEncoder().encode(odd);
  const m = parseTrace(oddBytes).msg;
  const want = expected(JSON.parse(odd.slice(1)));
  check(JSON.stringify(got(m)) === JSON.stringify(want), 'odd spellings: ' + JSON.stringify(got(m)) + ' vs ' + JSON.stringify(want));

  const doc = bigTrace();
  const text = JSON.stringify(doc);
  const bytes = new TextEncoder().encode(text);
  const whole = parseTrace(bytes).msg;
  const wantBig = expected(doc);
  check(JSON.stringify(got(whole)) === JSON.stringify(wantBig), 'big trace, whole');
  check(whole.tracks.find((t) => t.tid === 2).name === doc.traceEvents[0].args.name, 'thread name with escapes');
  check(whole.fileInfo.files['/a.py'][0] === 'print(1)\n' && whole.meta.version === 'test', 'file_info and metadata');
  for (const chunk of [1 << 20, 300001, 4096, 97]) {
    const s = await streamed(bytes, chunk);
    check(JSON.stringify(got(s)) === JSON.stringify(wantBig), 'big trace in chunks of ' + chunk);
    check(s.fileInfo && s.fileInfo.files['/a.py'] && s.meta.version === 'test', 'file_info in chunks of ' + chunk);
  }
  // The array form, and one cut short.
  const arr = new TextEncoder().encode(JSON.stringify(doc.traceEvents));
  check(JSON.stringify(got(parseTrace(arr).msg)) === JSON.stringify(wantBig), 'array form');
  const cut = parseTrace(arr.subarray(0, Math.floor(arr.length / 2))).msg;
  check(cut.truncated && cut.slices.ts.length > 1000 && cut.slices.ts.length < 40000, 'a cut file keeps what it holds');
  const cutStreamed = await streamed(arr.subarray(0, Math.floor(arr.length / 2)), 65536);
  check(cutStreamed.slices.ts.length === cut.slices.ts.length, 'the same, streamed');
  // Start order, nesting, self time.
  const nest = new TextEncoder().encode(JSON.stringify({ traceEvents: [
    { ph: 'X', pid: 1, tid: 1, ts: 10, dur: 2, name: 'child2' },
    { ph: 'X', pid: 1, tid: 1, ts: 0, dur: 5, name: 'child1' },
    { ph: 'X', pid: 1, tid: 1, ts: 0, dur: 20, name: 'parent' },
  ] }));
  const n = parseTrace(nest).msg;
  const byName = {};
  for (let i = 0; i < 3; i++) byName[n.names[n.slices.name[i]]] = i;
  check(n.slices.parent[byName.child1] === byName.parent && n.slices.parent[byName.child2] === byName.parent, 'parents');
  check(n.slices.self[byName.parent] === 13, 'self time');
  check(Array.from(n.slices.byTime).map((i) => n.names[n.slices.name[i]]).join() === 'parent,child1,child2', 'by start, parent first');
  // Malformed input is refused, with the offset in the file.
  for (const [bad, msg] of [['{"traceEvents":[{"ph" "X"}]}', "expected ':' at byte 22"], ['{"traceEvents": 5}', 'no traceEvents'],
    ['hello', 'expected a JSON object'], ['{"traceEvents":[{"ph":"X", 5}]}', 'expected a key']]) {
    let err = '';
    try { parseTrace(new TextEncoder().encode(bad)); } catch (e) { err = e.message; }
    check(err.includes(msg), 'refuses ' + bad + ': ' + err);
  }
  const at = text.indexOf('"ph":', 200000);
  const late = text.slice(0, at) + '"ph" ' + text.slice(at + 5);  // a colon missing
  let err = '';
  try { await streamed(new TextEncoder().encode(late), 4096); } catch (e) { err = e.message; }
  const atByte = new TextEncoder().encode(late.slice(0, at)).length + 5;  // offsets count bytes
  check(err.endsWith("expected ':' at byte " + atByte), 'a late error, streamed, gives its file offset: ' + err + ', not ' + atByte);

  if (failures) {
    console.error(failures + ' failure(s)');
    process.exit(1);
  }
  console.log('ok parser');
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
