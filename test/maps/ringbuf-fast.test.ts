/**
 * The ring buffer reader's fast path and its contract with the kernel: consumeRaw hands out
 * offsets into one long-lived view (records crossing the end of the ring are contiguous), the
 * consumer position reaches the kernel during a long batch and when the reader catches up, a
 * record handed out by next() is not released before the following call, wake-ups follow the
 * kernel's rules (BPF_RB_NO_WAKEUP / BPF_RB_FORCE_WAKEUP, and nothing is missed around re-arming),
 * re-entering the reader from its callback is refused, close() from a callback keeps the position,
 * and a second consumer of the same ring is detected instead of read as garbage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compileC } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { loadObject, type LoadedObject } from '../../src/loader/index.js';
import { RingBuffer } from '../../src/maps/ringbuf.js';
import { Mapping, PROT_READ, pageSize } from '../../src/sys/mmap.js';
import { BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP } from '../../src/abi/consts.gen.js';
import { TsbpfError } from '../../src/errors.js';

const FIXTURES = fileURLToPath(new URL('../../../test/maps/fixtures/', import.meta.url));
const PACKET = new Uint8Array(64);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ringbuf_lost.bpf.c: 16-byte events (seq u64, len u32, pad u32), 24 bytes each in the ring. */
async function lostFixture(ring: number, extra: string[] = []): Promise<LoadedObject> {
  return loadObject(compileC(`${FIXTURES}ringbuf_lost.bpf.c`, [`-DRING_SIZE=${ring}`, ...extra]));
}

/** The consumer position as the kernel sees it, through a read-only mapping of the consumer page. */
function kernelConsumer(obj: LoadedObject): { read: () => bigint; close: () => void } {
  const m = Mapping.map(obj.map('events').fd.value, pageSize(), PROT_READ, 0, 'test: consumer page');
  const u64 = new BigUint64Array(m.buffer, 0, 1);
  return { read: () => Atomics.load(u64, 0), close: () => m.close() };
}

test('consumeRaw: offsets into one view over the mapped ring, in order, with limits and discards', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await lostFixture(65536, ['-DDISCARD_EVERY=4']);
  const rb = RingBuffer.open(obj.map('events'));
  try {
    assert.equal(rb.data.byteLength, 2 * rb.size);
    assert.equal(rb.data.buffer.byteLength, pageSize() + 2 * rb.size, 'a view of the mapping, not a copy');
    obj.program('ringbuf_lost').testRun(PACKET, { repeat: 400 });
    const seqs: number[] = [];
    const seen = (view: DataView, off: number, len: number, bytes: Uint8Array): void => {
      assert.equal(view, rb.data);
      assert.equal(bytes, rb.bytes);
      assert.equal(len, 16);
      assert.equal(off % 8, 0);
      assert.equal(view.getUint32(off + 8, true), PACKET.length);
      assert.equal(bytes[off], view.getUint8(off));
      seqs.push(Number(view.getBigUint64(off, true)));
    };
    assert.equal(rb.consumeRaw(seen, 10), 10);
    assert.equal(rb.consumeRaw(seen), 290);
    assert.equal(rb.consumeRaw(seen), 0);
    const expected = Array.from({ length: 400 }, (_, i) => i).filter((s) => s % 4 !== 3);
    assert.deepEqual(seqs, expected);
    assert.deepEqual(rb.stats, { records: 300, bytes: 300 * 16, discarded: 100, wakeups: 0 });
    assert.equal(rb.available, 0);
    const pos = rb.positions();
    assert.equal(pos.producer, 400n * 24n);
    assert.equal(pos.consumer, pos.producer);
  } finally {
    rb.close();
    obj.close();
  }
});

test('records crossing the end of the ring are read whole (the data pages are mapped twice)', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await lostFixture(pageSize());
  const rb = RingBuffer.open(obj.map('events'));
  try {
    let next = 0;
    let crossing = 0;
    for (let round = 0; round < 20; round++) {
      obj.program('ringbuf_lost').testRun(PACKET, { repeat: 100 });
      rb.consumeRaw((view, off, len) => {
        if (off + len > rb.size) crossing++;
        assert.equal(Number(view.getBigUint64(off, true)), next++);
        assert.equal(view.getUint32(off + 8, true), PACKET.length);
      });
    }
    assert.equal(Number(obj.readGlobal('lost')), 0);
    assert.equal(next, 2000);
    assert.ok(crossing > 0, 'some records straddled the end of the ring');
  } finally {
    rb.close();
    obj.close();
  }
});

test('the consumer position reaches the kernel every commitBytes during a batch and when caught up', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await lostFixture(65536);
  const rb = RingBuffer.open(obj.map('events'), { commitBytes: 1024 });
  const kcons = kernelConsumer(obj);
  try {
    obj.program('ringbuf_lost').testRun(PACKET, { repeat: 2000 });
    let i = 0;
    let maxBehind = 0;
    let movedDuringBatch = false;
    rb.consumeRaw(() => {
      const recordPos = BigInt(i++ * 24);
      const behind = Number(recordPos - kcons.read());
      maxBehind = Math.max(maxBehind, behind);
      if (i > 1 && kcons.read() > 0n) movedDuringBatch = true;
    });
    assert.ok(movedDuringBatch, 'committed before the batch ended');
    assert.ok(maxBehind <= 1024 + 24, `the kernel saw at most commitBytes unreleased (${maxBehind})`);
    assert.equal(kcons.read(), 2000n * 24n, 'caught up: everything released');
    // next(): a record is released by the following call, not before.
    obj.program('ringbuf_lost').testRun(PACKET, { repeat: 3 });
    const a = rb.next();
    assert.ok(a);
    assert.equal(kcons.read(), 2000n * 24n, 'the record handed out is still owned by the reader');
    rb.next();
    rb.next();
    assert.equal(rb.next(), undefined);
    assert.equal(kcons.read(), 2003n * 24n, 'caught up: released');
  } finally {
    kcons.close();
    rb.close();
    obj.close();
  }
});

test('a record held from next() is not overwritten while the ring is full', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const ring = pageSize();
  const obj = await lostFixture(ring);
  // commitBytes 8: every next() releases the record before it, so the test can watch that happen.
  const rb = RingBuffer.open(obj.map('events'), { commitBytes: 8 });
  const prog = obj.program('ringbuf_lost');
  try {
    prog.testRun(PACKET, { repeat: 1000 }); // fills the ring
    const fits = Math.floor(ring / 24);
    const rec = rb.next()!;
    const seqOf = (r: Uint8Array) => Number(new DataView(r.buffer, r.byteOffset, 8).getBigUint64(0, true));
    assert.equal(seqOf(rec), 0);
    const lostBefore = Number(obj.readGlobal('lost'));
    prog.testRun(PACKET, { repeat: 10 });
    assert.equal(Number(obj.readGlobal('lost')), lostBefore + 10, 'no room: the held record was not released');
    assert.equal(seqOf(rec), 0, 'its bytes are intact');
    assert.equal(seqOf(rb.next()!), 1); // releases record 0
    prog.testRun(PACKET, { repeat: 1 });
    assert.equal(Number(obj.readGlobal('lost')), lostBefore + 10, 'the released space took the next record');
    let n = 2;
    for (let r = rb.next(); r; r = rb.next()) n++;
    assert.equal(n, fits + 1);
  } finally {
    rb.close();
    obj.close();
  }
});

test('wake-ups: BPF_RB_NO_WAKEUP records wait for a forced one; none is missed around re-arming', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}ringbuf_flags.bpf.c`, ['-DRING_SIZE=65536']));
  const rb = RingBuffer.open(obj.map('events'));
  const prog = obj.program('ringbuf_flags');
  const got: number[] = [];
  try {
    rb.subscribeRaw((view, off) => got.push(Number(view.getBigUint64(off, true))));
    obj.writeGlobal('submit_flags', BigInt(BPF_RB_NO_WAKEUP));
    prog.testRun(PACKET, { repeat: 5 });
    await sleep(200);
    assert.deepEqual(got, [], 'no wake-up for BPF_RB_NO_WAKEUP records');
    assert.equal(rb.stats.wakeups, 0);
    // A plain record now does not wake either: the reader is behind (its position ≠ this record's).
    obj.writeGlobal('submit_flags', 0n);
    prog.testRun(PACKET, { repeat: 1 });
    await sleep(200);
    assert.deepEqual(got, []);
    obj.writeGlobal('submit_flags', BigInt(BPF_RB_FORCE_WAKEUP));
    prog.testRun(PACKET, { repeat: 1 });
    for (let i = 0; i < 250 && got.length < 7; i++) await sleep(20);
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(rb.stats.wakeups, 1);
    // Caught up: a plain record wakes the reader.
    obj.writeGlobal('submit_flags', 0n);
    prog.testRun(PACKET, { repeat: 1 });
    for (let i = 0; i < 250 && got.length < 8; i++) await sleep(20);
    assert.deepEqual(got.slice(7), [7]);
    // Bursts with the event loop turning in between: every record arrives (a wake-up lost while
    // the registration was disarmed would leave some behind until the deadline).
    // (Single runs: on this kernel a PROG_TEST_RUN with repeat > 1 costs ~30 ms whatever the count.)
    for (let b = 0; b < 300; b++) {
      for (let k = 0; k <= b % 3; k++) prog.testRun(PACKET);
      if (b % 2) await new Promise((r) => setImmediate(r));
    }
    const total = Number(obj.readGlobal('next_seq'));
    for (let i = 0; i < 250 && got.length < total; i++) await sleep(20);
    assert.equal(got.length, total);
    assert.deepEqual(got, Array.from({ length: total }, (_, i) => i));
  } finally {
    rb.close();
    obj.close();
  }
});

test('wait() resolves at once for records committed without a wake-up before it was called', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await loadObject(compileC(`${FIXTURES}ringbuf_flags.bpf.c`, ['-DRING_SIZE=65536']));
  const rb = RingBuffer.open(obj.map('events'));
  try {
    obj.writeGlobal('submit_flags', BigInt(BPF_RB_NO_WAKEUP));
    obj.program('ringbuf_flags').testRun(PACKET, { repeat: 3 });
    const guard = setTimeout(() => rb.close(), 10_000); // a lost wake-up fails the test instead of hanging it
    await rb.wait();
    clearTimeout(guard);
    assert.equal(rb.isClosed, false, 'woken by the records, not by the guard');
    assert.equal(rb.consumeRaw(() => {}), 3);
  } finally {
    rb.close();
    obj.close();
  }
});

test('re-entering the reader from its callback is refused; close() there keeps the position', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await lostFixture(65536);
  const prog = obj.program('ringbuf_lost');
  let rb = RingBuffer.open(obj.map('events'));
  try {
    prog.testRun(PACKET, { repeat: 50 });
    assert.throws(() => rb.consumeRaw(() => rb.consumeRaw(() => {})), (e: unknown) => e instanceof TsbpfError && /from inside one of its own record callbacks/.test(e.message));
    assert.throws(() => rb.consume(() => rb.next()), TsbpfError);
    assert.throws(() => rb.consume(() => rb.commit()), TsbpfError);
    // Each throw consumed the record it happened in (seq 0, 1, 2).
    const seqs: number[] = [];
    rb.consumeRaw((view, off) => {
      seqs.push(Number(view.getBigUint64(off, true)));
      if (seqs.length === 5) rb.close();
    });
    assert.deepEqual(seqs, [3, 4, 5, 6, 7]);
    assert.equal(rb.isClosed, true);
    assert.equal(rb.consumeRaw(() => assert.fail('closed')), 0);
    rb = RingBuffer.open(obj.map('events'));
    const rest: number[] = [];
    rb.consume((r) => rest.push(Number(new DataView(r.buffer, r.byteOffset, 8).getBigUint64(0, true))));
    assert.deepEqual(rest, Array.from({ length: 42 }, (_, i) => 8 + i), 'a new reader continues after the record close() was called in');
  } finally {
    rb.close();
    obj.close();
  }
});

test('a second consumer of the same ring is detected, not read as garbage', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const obj = await lostFixture(pageSize());
  const a = RingBuffer.open(obj.map('events'));
  const b = RingBuffer.open(obj.map('events'));
  try {
    for (let i = 0; i < 4; i++) {
      obj.program('ringbuf_lost').testRun(PACKET, { repeat: 100 });
      a.consumeRaw(() => {});
    }
    assert.equal(Number(obj.readGlobal('lost')), 0);
    assert.throws(() => b.consumeRaw(() => {}), (e: unknown) => e instanceof TsbpfError && /another consumer/.test(e.hint ?? ''));
  } finally {
    a.close();
    b.close();
    obj.close();
  }
});
