/**
 * Perf event array reader against the kernel: samples from test runs all read (per CPU, in
 * order, intact even when they straddle the end of a one-page ring); with a tiny ring the kernel's
 * PERF_RECORD_LOST counts are reported per CPU and agree with the producer's own error count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compileC } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { loadObject } from '../../src/loader/index.js';
import { PerfBuffer, type PerfEvent } from '../../src/maps/perfbuf.js';
import { onlineCpus } from '../../src/sys/perf.js';
import { TsbpfError } from '../../src/errors.js';
import { onEveryCpu } from './perfbuf-cpus.js';

const FIXTURES = fileURLToPath(new URL('../../../test/maps/fixtures/', import.meta.url));
const PACKET = new Uint8Array(60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function checkSample(data: Uint8Array): number {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // struct sample is 40 bytes; the kernel pads the raw record: at least that many bytes arrive.
  assert.ok(data.byteLength >= 40, `sample of ${data.byteLength} bytes`);
  assert.equal(v.getUint32(8, true), PACKET.length);
  for (let i = 0; i < 6; i++) assert.equal(v.getUint32(12 + 4 * i, true), 0xa5a5a5a5, 'payload intact');
  return Number(v.getBigUint64(0, true));
}

test('samples from test runs are all read, per CPU in order, intact across the ring end', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}perf_events.bpf.c`));
  // One page per CPU: 56-byte records do not divide 4096, so many straddle the end of the ring.
  const pb = PerfBuffer.open(obj.map('samples'), { pageCount: 1 });
  try {
    assert.deepEqual(pb.cpus, onlineCpus());
    const N = 3000;
    const byCpu = new Map<number, number[]>();
    pb.subscribe((e) => {
      if (e.type !== 'sample') return;
      if (!byCpu.has(e.cpu)) byCpu.set(e.cpu, []);
      byCpu.get(e.cpu)!.push(checkSample(e.data));
    });
    const prog = obj.program('perf_events');
    // Bursts of 20 (a one-page ring holds ~70 samples); after each, the reader catches up before
    // the next (waiting for it, not for a fixed time, so a loaded machine does not turn into losses).
    for (let i = 0; i < N; i++) {
      prog.testRun(PACKET);
      if (i % 20 !== 19) continue;
      const until = Date.now() + 5_000;
      while (pb.stats.samples + Number(obj.readGlobal('output_errors')) < i + 1 && Date.now() < until) await sleep(1);
    }
    // The producer counts what it could not write; everything else must arrive.
    const failed = Number(obj.readGlobal('output_errors'));
    const deadline = Date.now() + 10_000;
    while (pb.stats.samples < N - failed && Date.now() < deadline) await sleep(10);
    assert.equal(pb.stats.samples, N - failed);
    const all = [...byCpu.values()].flat().sort((a, b) => a - b);
    assert.equal(all.length, N - failed);
    assert.equal(new Set(all).size, all.length, 'no sample twice');
    for (const list of byCpu.values()) assert.ok(list.every((s, i) => i === 0 || s > list[i - 1]!), 'in order per CPU');
    assert.ok(failed < N / 10, `the reader kept up (${failed} lost)`);
  } finally {
    pb.close();
    obj.close();
  }
});

test('a full ring: PERF_RECORD_LOST counts are reported per CPU, never silent', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}perf_events.bpf.c`));
  const pb = PerfBuffer.open(obj.map('samples'), { pageCount: 1 });
  try {
    const prog = obj.program('perf_events');
    const N = 2000;
    for (let i = 0; i < N; i++) prog.testRun(PACKET); // nobody reads meanwhile
    const events: PerfEvent[] = [];
    const take = (e: PerfEvent): void => void events.push(e.type === 'sample' ? { ...e, data: e.data.slice() } : e);
    pb.consume(take);
    // The kernel writes a CPU's LOST record with the next sample on that CPU, once there is room
    // again (after we consumed); the losses may be on any CPU the process ran on.
    onEveryCpu(() => prog.testRun(PACKET, { repeat: 1 }));
    pb.consume(take);
    const errors = Number(obj.readGlobal('output_errors'));
    const samples = events.filter((e) => e.type === 'sample');
    const lost = events.filter((e): e is Extract<PerfEvent, { type: 'lost' }> => e.type === 'lost');
    assert.ok(lost.length >= 1, 'a lost record arrived');
    const lostTotal = lost.reduce((n, e) => n + e.count, 0);
    assert.equal(samples.length + lostTotal, Number(obj.readGlobal('next_seq')));
    assert.equal(pb.stats.lost, lostTotal);
    assert.equal([...pb.lostByCpu.values()].reduce((a, b) => a + b, 0), lostTotal);
    assert.equal(errors, lostTotal);
    for (const s of samples) if (s.type === 'sample') checkSample(s.data);
  } finally {
    pb.close();
    obj.close();
  }
});

test('close() takes the events out of the map; bad options and map types are refused', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}perf_events.bpf.c`));
  try {
    assert.throws(() => PerfBuffer.open(obj.map('samples'), { pageCount: 3 }), /not a power of two/);
    assert.throws(() => PerfBuffer.open(obj.map('.bss')), (e: unknown) => e instanceof TsbpfError && /is not a perf event array/.test(e.message));
    const pb = PerfBuffer.open(obj.map('samples'));
    pb.close();
    obj.program('perf_events').testRun(PACKET);
    assert.equal(Number(obj.readGlobal('output_errors')), 1, 'no event fd left in the map');
  } finally {
    obj.close();
  }
});
