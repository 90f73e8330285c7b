/**
 * Ring buffer reader against the kernel: N events from N test runs (and from real packets) all
 * read, in order, zero-copy; a deliberately small ring loses records that the producer counts
 * (reserve failures), so delivered + lost always equals produced; discarded records are skipped
 * and counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compileC, corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { withNetns } from '../helpers/netns.js';
import { loadObject } from '../../src/loader/index.js';
import { attachXdp } from '../../src/attach/xdp.js';
import { RingBuffer } from '../../src/maps/ringbuf.js';
import { pageSize } from '../../src/sys/mmap.js';
import { inNetns } from '../../src/sys/netns.js';
import { TsbpfError } from '../../src/errors.js';

const FIXTURES = fileURLToPath(new URL('../../../test/maps/fixtures/', import.meta.url));
const PACKET = new Uint8Array(64);
const seqOf = (r: Uint8Array) => Number(new DataView(r.buffer, r.byteOffset, r.byteLength).getBigUint64(0, true));
const tick = () => new Promise((r) => setImmediate(r));

test('N test runs → N events, read in order through the async iterator, zero-copy', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(corpusObject('ringbuf'));
  const rb = RingBuffer.open(obj.map('events'));
  try {
    assert.equal(rb.size, 256 * 1024);
    const N = 5000;
    const seqs: number[] = [];
    const lens = new Set<number>();
    const reader = (async () => {
      for await (const rec of rb) {
        assert.equal(rec.buffer.byteLength, pageSize() + 2 * rb.size, 'a view into the mapped ring, not a copy');
        seqs.push(seqOf(rec));
        lens.add(new DataView(rec.buffer, rec.byteOffset).getUint32(16, true));
        if (seqs.length === N) break;
      }
    })();
    const prog = obj.program('ringbuf_events');
    for (let i = 0; i < N; i += 250) {
      prog.testRun(PACKET, { repeat: 250 });
      await tick(); // let the reader run while the producer goes on
    }
    // A bug must fail the test, not hang it: closing the reader ends the iteration.
    const guard = setTimeout(() => rb.close(), 20_000);
    await reader;
    clearTimeout(guard);
    assert.deepEqual(seqs, Array.from({ length: N }, (_, i) => i));
    assert.deepEqual([...lens], [PACKET.length]);
    assert.equal(rb.stats.records, N);
    assert.equal(rb.stats.bytes, N * 24);
    assert.equal(Number(obj.readGlobal('next_seq')), N);
  } finally {
    rb.close();
    obj.close();
  }
});

test('events from real packets through the callback API', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping'] })) return;
  const obj = await loadObject(corpusObject('ringbuf'));
  const rb = RingBuffer.open(obj.map('events'));
  const got: { seq: number; ifindex: number }[] = [];
  try {
    await withNetns(async (ns) => {
      const att = inNetns(ns.name, () => attachXdp({ fd: obj.program('ringbuf_events').fd, name: 'ringbuf_events' }, 'lo'));
      try {
        rb.subscribe((rec) => {
          const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
          got.push({ seq: Number(v.getBigUint64(0, true)), ifindex: v.getUint32(20, true) });
        });
        const r = spawnSync('ip', ['netns', 'exec', ns.name, 'ping', '-c', '5', '-i', '0.1', '127.0.0.1'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const deadline = Date.now() + 5000;
        while (got.length < 10 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      } finally {
        att.detach();
      }
    });
    const produced = Number(obj.readGlobal('next_seq'));
    assert.ok(produced >= 10, `5 pings cross lo 10 times (saw ${produced})`);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(got.length, produced, 'every event produced was delivered');
    assert.deepEqual(got.map((g) => g.seq), Array.from({ length: produced }, (_, i) => i));
    assert.ok(got.every((g) => g.ifindex === 1), 'ingress ifindex of lo');
    assert.ok(rb.stats.wakeups >= 1);
  } finally {
    rb.close();
    obj.close();
  }
});

test('a small ring: losses are counted by the producer, delivered + lost = produced', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const ring = pageSize();
  const obj = await loadObject(compileC(`${FIXTURES}ringbuf_lost.bpf.c`, [`-DRING_SIZE=${ring}`]));
  const rb = RingBuffer.open(obj.map('events'));
  try {
    const N = 1000;
    obj.program('ringbuf_lost').testRun(PACKET, { repeat: N }); // nobody reads meanwhile
    const seqs: number[] = [];
    rb.consume((rec) => seqs.push(seqOf(rec)));
    const lost = Number(obj.readGlobal('lost'));
    assert.ok(lost > 0, 'the ring overflowed');
    assert.equal(seqs.length, Math.floor(ring / 24), 'as many 24-byte records as fit');
    assert.equal(seqs.length + lost, N, 'nothing vanished silently');
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i), 'the first ones, in order');
    // Consumed space is reusable: the next batch lands again.
    obj.program('ringbuf_lost').testRun(PACKET, { repeat: 10 });
    const more: number[] = [];
    rb.consume((rec) => more.push(seqOf(rec)));
    assert.deepEqual(more, Array.from({ length: 10 }, (_, i) => N + i));
  } finally {
    rb.close();
    obj.close();
  }
});

test('discarded records are skipped and counted; wrong map types are refused', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}ringbuf_lost.bpf.c`, ['-DRING_SIZE=65536', '-DDISCARD_EVERY=4']));
  const rb = RingBuffer.open(obj.map('events'));
  try {
    obj.program('ringbuf_lost').testRun(PACKET, { repeat: 40 });
    const seqs: number[] = [];
    assert.equal(rb.consume((rec) => seqs.push(seqOf(rec))), 30);
    assert.equal(rb.stats.discarded, 10);
    assert.ok(seqs.every((s) => s % 4 !== 3));
    assert.throws(() => RingBuffer.open(obj.map('.bss')), (e: unknown) => e instanceof TsbpfError && /is not a ring buffer/.test(e.message));
    rb.close();
    assert.equal(rb.next(), undefined, 'closed readers return nothing');
    for await (const _ of rb) assert.fail('a closed reader yields nothing');
  } finally {
    rb.close();
    obj.close();
  }
});
