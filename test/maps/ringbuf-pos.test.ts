/**
 * The 64-bit positions the ring and perf buffer readers share with the kernel, handled as 32-bit
 * words (no kernel needed: a plain buffer stands in for the mapped page): wraps of the low word
 * carry into the high word, the rare 64-bit store is exact beyond 2^53, and reads combine halves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HI, LO, OwnPos, joinU64, readU64 } from '../../src/maps/ringbuf-pos.js';

function page(value: bigint): { buf: ArrayBuffer; u64: BigUint64Array } {
  const buf = new ArrayBuffer(64);
  const u64 = new BigUint64Array(buf, 8, 1);
  u64[0] = value;
  return { buf, u64 };
}

test('LO/HI name the halves of a host-order u64', () => {
  const { buf } = page(0x0123456789abcdefn);
  const w = new Uint32Array(buf, 8, 2);
  assert.equal(w[LO], 0x89abcdef);
  assert.equal(w[HI], 0x01234567);
  assert.equal(readU64(w), 0x0123456789abcdefn);
  assert.equal(joinU64(0xffffffff, 0xfffffff8), 0xfffffffffffffff8n);
});

test('OwnPos: 32-bit stores while the high word stays, one 64-bit store when the low word wraps', () => {
  const { buf, u64 } = page(0x7_fffff000n);
  const p = new OwnPos(buf, 8);
  assert.equal(p.lo, 0xfffff000);
  assert.equal(p.hi, 7);
  p.store(0xfffff800);
  assert.equal(u64[0], 0x7_fffff800n);
  // Moving 0x1000 bytes forward crosses 2^32 × 8: the low word wraps to 0x400.
  p.store(0x400);
  assert.equal(u64[0], 0x8_00000400n);
  assert.equal(p.hi, 8);
  p.store(0x400); // no movement: nothing written, no wrap counted
  assert.equal(u64[0], 0x8_00000400n);
  assert.equal(p.full(0x800), 0x8_00000800n);
  assert.equal(p.full(0x100), 0x9_00000100n, 'a low word below the stored one is after the next wrap');
});

test('OwnPos stays exact past 2^53 bytes, where a plain number position would not be', () => {
  const start = (1n << 57n) + 8n;
  const { buf, u64 } = page(start);
  const p = new OwnPos(buf, 8);
  let lo = p.lo;
  for (let i = 0; i < 4; i++) {
    lo = (lo + 8) >>> 0;
    p.store(lo);
  }
  assert.equal(u64[0], start + 32n);
  assert.equal(Number(start + 8n), Number(start), 'as doubles, the positions of two consecutive records are equal here');
  // Many wraps in a row (a reader that streamed 4 GiB several times).
  for (let i = 0; i < 3 * 16; i++) {
    lo = (lo + 0x10000000) >>> 0;
    p.store(lo);
  }
  assert.equal(u64[0], start + 32n + 3n * (1n << 32n));
});
