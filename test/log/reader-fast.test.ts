/**
 * The reader's fast paths: sites whose arguments are all 32/64-bit integers at aligned offsets
 * are copied with Int32Array loads (checked against the DataView decoder on random records),
 * reused record objects (`reuse: true`: one object per record subscriber, one array and a pool of
 * records per batch subscriber — the same values as fresh records, valid until the callback
 * returns), and batches of at most 256 records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadObject } from '../../src/loader/index.js';
import { argKindFor, layoutRecord, parseFormat, type LogMeta, type LogSite } from '../../src/log/abi.js';
import { LogDecoder } from '../../src/log/decode.js';
import { formatJson, formatLine, type LogRecord } from '../../src/log/format.js';
import { LogEntry, Stamp } from '../../src/log/record.js';
import { compileSite } from '../../src/log/site.js';
import { buildLogObject } from './producer.js';
import { hello, udp } from './programs.js';
import { udp4 } from '../loader/packets.js';
import { need } from '../helpers/env.js';

const T = Date.parse('2024-06-08T04:24:21.678Z');
const PACKET = udp4({ dport: 53, sport: 40001, src: [192, 168, 7, 9] });

function site(id: number, format: string, types: string[]): LogSite {
  const f = parseFormat(format);
  const kinds = types.map((t, i) => argKindFor(t, f.holes[i]!) as { kind: any; size: number });
  const l = layoutRecord(kinds);
  return { id, level: 'info', target: 0, file: 'x.bpf.ts', line: 40 + id, column: 5, size: l.size, text: f.text, args: kinds.map((k, i) => ({ kind: k.kind, hint: f.holes[i]!, offset: l.offsets[i]!, size: k.size })) };
}

test('aligned integer sites: Int32Array copies give the records the DataView decoder gives', () => {
  const sites = [
    site(0, 'a={} b={} c={} d={}', ['u32', 'i64', 'u64', 'i32']),
    site(1, '{:x} {:X} {}', ['u64', 'u32', 'i64']),
    site(2, 'no arguments', []),
    site(3, '{} {} {} {} {} {} {} {}', ['u32', 'u32', 'u32', 'u32', 'u32', 'u32', 'u32', 'u32']), // 8 words: the last inline slot
    site(4, '{} {}', ['u8', 'u32']), // a byte: DataView reads
    site(5, '{:ip} {}', ['be32', 'u32']), // big-endian: DataView reads
    site(6, '{} {} {} {} {}', ['u64', 'u64', 'u64', 'u64', 'u64']), // 10 words: past the slots
  ];
  const meta: LogMeta = { version: 1, ringbuf: 'tsbpf_logs', levels: 'tsbpf_log_levels', lost: 'tsbpf_log_lost', targets: ['t'], sites };
  const compiled = sites.map((s) => compileSite(s, 't'));
  assert.deepEqual(compiled.map((c) => c.aligned), [true, true, true, true, false, false, false]);
  const d = new LogDecoder(meta);
  // A ring-like area: an 8-byte header, then the record (records are 8-aligned in a ring).
  const buf = new ArrayBuffer(8 + 256);
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  const h = new Int32Array(buf);
  let seed = 3;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
  const pooled = new LogEntry(compiled[2]!, new Stamp(0));
  for (let i = 0; i < 5000; i++) {
    const c = compiled[i % compiled.length]!;
    bytes.fill(0);
    view.setUint32(8, c.id, true);
    for (let k = 4; k < c.size; k++) bytes[8 + k] = rnd() & 255;
    if (rnd() % 3 === 0) for (let k = 4; k < c.size; k++) bytes[8 + k] = rnd() % 2 ? 0xff : 0; // extremes: all ones, zeros
    const want = d.read(view, bytes, 8, c.size, T);
    if (!c.aligned) continue;
    const e = new LogEntry(c, new Stamp(T), h, 2);
    assert.equal(e.message, want.message, JSON.stringify([...bytes.subarray(8, 8 + c.size)]));
    assert.deepEqual(e.args, want.args);
    assert.equal(formatJson(e), formatJson(want));
    // A pooled object reset to this record: the same, with nothing left from its previous record.
    void pooled.message;
    pooled.reset(c, new Stamp(T), h, 2);
    assert.equal(pooled.message, want.message);
    assert.deepEqual(pooled.args, want.args);
    assert.equal(pooled.time.getTime(), T);
    assert.equal(formatLine(pooled), formatLine(want));
  }
});

/** A site with integers only (aligned): a constant u32, the time as u64, negative i64 and i32. */
const ints = buildLogObject([{
  name: 'hello_world',
  body: (a, log) => {
    a.call('ktime_get_ns').mov64('r6', 'r0');
    log({ format: 'n={} t={} k={} s={}', args: [{ type: 'u32', value: 0xdeadbeef }, { type: 'u64', value: 'r6' }, { type: 'i64', value: -5n }, { type: 'i32', value: -7 }] });
    a.mov64('r0', 2).exit();
  },
}]);
const INT_MESSAGE = /^n=3735928559 t=(\d+) k=-5 s=-7$/;

test('reuse: one object for a record subscriber, a pool and one array for a batch subscriber; values as fresh records', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const o = await loadObject(ints.bytes, { log: 'info' });
  try {
    // Fresh records (the default) to compare with.
    o.program('hello_world').testRun(PACKET, { repeat: 600 });
    const fresh: LogRecord[] = [];
    const plain = o.logs().subscribe((r) => void fresh.push(r));
    plain.close();
    assert.equal(fresh.length, 600);
    assert.equal(new Set(fresh).size, 600, 'every record its own object');
    const times = fresh.map((r) => BigInt(INT_MESSAGE.exec(r.message)![1]!));
    assert.ok(times.every((x, i) => i === 0 || x >= times[i - 1]!), 'in order');
    assert.deepEqual(fresh[0]!.args, [3735928559, times[0], -5n, -7]);

    // One object, valid while the callback runs: keep toObject() (or the fields) instead.
    o.program('hello_world').testRun(PACKET, { repeat: 600 });
    const objects = new Set<LogRecord>();
    const kept: LogRecord[] = [];
    const one = o.logs().subscribe((r) => {
      objects.add(r);
      assert.match(r.message, INT_MESSAGE);
      assert.ok(r instanceof LogEntry);
      kept.push(r.toObject());
    }, undefined, { reuse: true });
    one.close();
    assert.equal(objects.size, 1);
    assert.equal(kept.length, 600);
    const keptTimes = kept.map((r) => BigInt(INT_MESSAGE.exec(r.message)![1]!));
    assert.ok(keptTimes.every((x, i) => i === 0 || x >= keptTimes[i - 1]!) && keptTimes[0]! > times[599]!, 'each record read while it was valid');
    assert.deepEqual(kept[5]!.args, [3735928559, keptTimes[5], -5n, -7]);

    // Batches: the same array every time, a pool of distinct objects within a batch, reused by the next.
    o.program('hello_world').testRun(PACKET, { repeat: 600 });
    const arrays = new Set<LogRecord[]>();
    const firsts: LogRecord[] = [];
    const lengths: number[] = [];
    const messages: string[] = [];
    const batched = o.logs().subscribeBatch((b) => {
      arrays.add(b);
      lengths.push(b.length);
      firsts.push(b[0]!);
      assert.equal(new Set(b).size, b.length);
      for (const r of b) messages.push(r.message);
    }, undefined, { reuse: true });
    batched.close();
    assert.equal(arrays.size, 1);
    assert.deepEqual(lengths, [256, 256, 88]);
    assert.equal(new Set(firsts).size, 1, 'slot 0 of every batch is the same object');
    assert.ok(messages.every((m) => INT_MESSAGE.test(m)));
    assert.equal(new Set(messages).size, 600, 'distinct records (their times differ)');
  } finally {
    o.close();
  }
});

test('reuse with sites read through DataView, loss reports, and the batch size', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const two = buildLogObject([{ name: 'udp_log', body: udp }, { name: 'hello_world', body: hello }], { ringSize: 4096 });
  const o = await loadObject(two.bytes, { log: 'info' });
  try {
    o.program('udp_log').testRun(PACKET, { repeat: 3 });
    o.program('hello_world').testRun(PACKET, { repeat: 1000 }); // the ring fills: losses
    const seen: string[] = [];
    const r = o.logs().subscribeBatch((b) => {
      for (const x of b) seen.push(x.lost !== undefined ? `lost ${x.lost}` : `${x.target}: ${x.message}`);
    }, undefined, { reuse: true });
    r.close();
    const udpLine = 'udp_log: udp from 192.168.7.9 mac 02:00:00:00:00:01 port 40001 (9c41)';
    assert.deepEqual(seen.slice(0, 4), [udpLine, udpLine, udpLine, 'hello_world: received a packet']);
    const got = seen.filter((x) => x.startsWith('hello_world')).length;
    assert.equal(seen.at(-1), `lost ${1000 - got}`);
    assert.ok(got > 100, `${got} records of 4 bytes fit the 4096-byte ring`);
  } finally {
    o.close();
  }
  // Batches of fresh records: at most 256 per array.
  const big = await loadObject(buildLogObject([{ name: 'hello_world', body: hello }]).bytes, { log: 'info' });
  try {
    big.program('hello_world').testRun(PACKET, { repeat: 700 });
    const lengths: number[] = [];
    const keep: LogRecord[][] = [];
    const r = big.logs().subscribeBatch((b) => {
      lengths.push(b.length);
      keep.push(b);
    });
    r.close();
    assert.deepEqual(lengths, [256, 256, 188]);
    assert.equal(new Set(keep.flat()).size, 700, 'fresh records and arrays stay valid after the callback');
    assert.ok(keep.flat().every((x) => x.message === 'received a packet'));
  } finally {
    big.close();
  }
});

test('close() from inside a pooled batch callback waits until the callback returns', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const o = await loadObject(buildLogObject([{ name: 'hello_world', body: hello }]).bytes, { log: 'info' });
  try {
    o.program('hello_world').testRun(PACKET, { repeat: 600 });
    const lengths: number[] = [];
    let calls = 0;
    let depth = 0;
    const r = o.logs();
    r.subscribeBatch((b) => {
      calls++;
      depth++;
      assert.equal(depth, 1, 'the callback is never re-entered');
      const n = b.length;
      const first = b[0]!;
      const msg = first.message;
      r.close(); // deferred: the records and the array stay as they are until we return
      assert.equal(b.length, n, 'the batch array is not refilled under the callback');
      assert.equal(b[0], first);
      assert.equal(first.message, msg);
      lengths.push(n);
      depth--;
    }, undefined, { reuse: true });
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(r.isClosed);
    assert.ok(calls >= 1);
    assert.equal(lengths[0], 256);
  } finally {
    o.close();
  }
});
