/**
 * The perf buffer reader's fast path: consumeRaw hands out (view, offset, length, cpu) without a
 * copy, except for samples that straddle the end of a ring (copied into a reused scratch view);
 * losses reach onLost and the counters; next() walks samples and losses one at a time with the
 * same totals; the reader cannot be re-entered from its callback, and close() there is allowed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compileC } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { loadObject } from '../../src/loader/index.js';
import { PerfBuffer } from '../../src/maps/perfbuf.js';
import { pageSize } from '../../src/sys/mmap.js';
import { TsbpfError } from '../../src/errors.js';
import { onEveryCpu } from './perfbuf-cpus.js';

const FIXTURES = fileURLToPath(new URL('../../../test/maps/fixtures/', import.meta.url));
const PACKET = new Uint8Array(60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** perf_events.bpf.c's 40-byte sample: seq u64, len u32, 6 × 0xa5a5a5a5. Returns seq. */
function checkRaw(view: DataView, off: number, len: number): number {
  assert.ok(len >= 40, `sample of ${len} bytes`);
  assert.equal(view.getUint32(off + 8, true), PACKET.length);
  for (let i = 0; i < 6; i++) assert.equal(view.getUint32(off + 12 + 4 * i, true), 0xa5a5a5a5, 'payload intact');
  return Number(view.getBigUint64(off, true));
}

test('consumeRaw: samples in place, straddling ones through the scratch view, per CPU in order', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}perf_events.bpf.c`));
  const pb = PerfBuffer.open(obj.map('samples'), { pageCount: 1 });
  try {
    const prog = obj.program('perf_events');
    const byCpu = new Map<number, number[]>();
    let wrapped = 0;
    const onSample = (view: DataView, off: number, len: number, cpu: number): void => {
      if (view.byteLength < pageSize()) wrapped++; // the scratch buffer, not the ring
      if (!byCpu.has(cpu)) byCpu.set(cpu, []);
      byCpu.get(cpu)!.push(checkRaw(view, off, len));
    };
    const N = 1500;
    for (let i = 0; i < N; i++) {
      prog.testRun(PACKET);
      if (i % 20 === 19) pb.consumeRaw(onSample, Infinity, () => assert.fail('nothing is lost at this pace'));
    }
    pb.consumeRaw(onSample);
    assert.equal(Number(obj.readGlobal('output_errors')), 0);
    const all = [...byCpu.values()].flat().sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: N }, (_, i) => i));
    for (const list of byCpu.values()) assert.ok(list.every((s, i) => i === 0 || s > list[i - 1]!), 'in order per CPU');
    assert.ok(wrapped > 0, 'some samples straddled the end of a one-page ring');
    assert.equal(pb.stats.samples, N);
  } finally {
    pb.close();
    obj.close();
  }
});

test('a full ring: onLost gets the kernel counts, which match the producer and the counters', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}perf_events.bpf.c`));
  const pb = PerfBuffer.open(obj.map('samples'), { pageCount: 1 });
  try {
    const prog = obj.program('perf_events');
    const N = 2000;
    for (let i = 0; i < N; i++) prog.testRun(PACKET); // nobody reads meanwhile
    let samples = 0;
    let lost = 0;
    const onSample = (v: DataView, off: number, len: number): void => {
      checkRaw(v, off, len);
      samples++;
    };
    const onLost = (_cpu: number, count: number): void => {
      lost += count;
    };
    pb.consumeRaw(onSample, Infinity, onLost);
    // The kernel writes a CPU's LOST record with its next sample there, once there is room.
    onEveryCpu(() => prog.testRun(PACKET));
    pb.consumeRaw(onSample, Infinity, onLost);
    assert.ok(lost > 0);
    assert.equal(samples + lost, Number(obj.readGlobal('next_seq')));
    assert.equal(lost, Number(obj.readGlobal('output_errors')));
    assert.equal(pb.stats.lost, lost);
    assert.equal([...pb.lostByCpu.values()].reduce((a, b) => a + b, 0), lost);
  } finally {
    pb.close();
    obj.close();
  }
});

test('next(): samples and losses one at a time, the same totals; sample bytes intact when taken', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}perf_events.bpf.c`));
  const pb = PerfBuffer.open(obj.map('samples'), { pageCount: 1 });
  try {
    const prog = obj.program('perf_events');
    const N = 2000;
    for (let i = 0; i < N; i++) prog.testRun(PACKET);
    let samples = 0;
    let lost = 0;
    const drain = (): void => {
      for (let e = pb.next(); e; e = pb.next()) {
        if (e.type === 'lost') lost += e.count;
        else {
          checkRaw(new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength), 0, e.data.byteLength);
          samples++;
        }
      }
    };
    drain();
    onEveryCpu(() => prog.testRun(PACKET)); // LOST records come with the next sample on their CPU
    drain();
    assert.ok(lost > 0, 'a lost event came through next()');
    assert.equal(samples + lost, Number(obj.readGlobal('next_seq')));
    assert.equal(lost, Number(obj.readGlobal('output_errors')));
  } finally {
    pb.close();
    obj.close();
  }
});

test('the perf reader refuses re-entry from its callback; close() there stops it cleanly', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}perf_events.bpf.c`));
  const pb = PerfBuffer.open(obj.map('samples'));
  try {
    const prog = obj.program('perf_events');
    for (let i = 0; i < 20; i++) prog.testRun(PACKET);
    assert.throws(() => pb.consumeRaw(() => pb.next()), (e: unknown) => e instanceof TsbpfError && /inside one of its own callbacks/.test(e.message));
    let seen = 0;
    pb.consumeRaw(() => {
      seen++;
      if (seen === 3) pb.close();
    });
    assert.equal(seen, 3);
    assert.equal(pb.isClosed, true);
    await sleep(10);
    prog.testRun(PACKET);
    assert.equal(Number(obj.readGlobal('output_errors')), 1, 'closed from the callback: the events left the map');
  } finally {
    pb.close();
    obj.close();
  }
});
