/** Key/value codecs (no kernel): from BTF built with our builder, and the ready-made ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BtfBuilder, parseBtf } from '../../src/btf/index.js';
import { CodecError, arrayCodec, codecFromBtf, codecs, intCodec, stringCodec } from '../../src/maps/index.js';

function roundTrip<T>(c: { size: number; encode(v: T, b: Uint8Array, o: number): void; decode(b: Uint8Array, o: number): T }, v: T): { bytes: Uint8Array; back: T } {
  const bytes = new Uint8Array(c.size);
  c.encode(v, bytes, 0);
  return { bytes, back: c.decode(bytes, 0) };
}

test('integers: number up to 4 bytes, bigint for 8, signedness, range checks', () => {
  assert.deepEqual([...roundTrip(codecs.u16, 0x1234).bytes], [0x34, 0x12]);
  assert.equal(roundTrip(codecs.i32, -5).back, -5);
  assert.equal(roundTrip(codecs.u32, 0xffffffff).back, 0xffffffff);
  assert.equal(roundTrip(codecs.u64, 1n << 63n).back, 1n << 63n);
  assert.equal(roundTrip(codecs.i64, -1n).back, -1n);
  assert.equal(roundTrip(intCodec(8, false), 5).back, 5n, 'numbers are accepted for 8-byte integers');
  assert.throws(() => roundTrip(codecs.u16, 70000), (e: unknown) => e instanceof CodecError && /70000 does not fit in 2 bytes/.test(e.message));
  assert.throws(() => roundTrip(codecs.u64, 1n << 64n), CodecError);
  assert.throws(() => roundTrip(codecs.u32, 'x' as unknown as number), (e: unknown) => e instanceof CodecError && /expected an integer, got string x/.test(e.message));
});

test('strings and arrays', () => {
  assert.equal(roundTrip(stringCodec(8), 'hello').back, 'hello');
  assert.throws(() => roundTrip(stringCodec(4), 'hello'), CodecError);
  const a = arrayCodec(codecs.u32, 3, 8); // per-CPU style: 4-byte values 8 bytes apart
  const { bytes, back } = roundTrip(a, [1, 2, 3]);
  assert.equal(bytes.length, 24);
  assert.deepEqual(back, [1, 2, 3]);
  assert.deepEqual(roundTrip(a, 7 as unknown as number[]).back, [7, 7, 7], 'a single value is replicated');
});

test('BTF: structs with bit-fields, anonymous unions, char arrays, bools, enums, floats, nested arrays', () => {
  const b = new BtfBuilder();
  const u8 = b.addInt('unsigned char', 1);
  const char = b.addInt('char', 1, { signed: true });
  const u16 = b.addInt('unsigned short', 2);
  const u32 = b.addInt('unsigned int', 4);
  const s64 = b.addInt('long long', 8, { signed: true });
  const bool = b.addInt('_Bool', 1, { bool: true });
  const dbl = b.addFloat('double', 8);
  const color = b.addEnum('color', [{ name: 'RED', value: 0 }, { name: 'BLUE', value: 2 }]);
  const name = b.addArray(char, 6);
  const mac = b.addArray(u8, 3);
  const inner = b.addStruct('point', 4, [{ name: 'x', type: u16, bitOffset: 0 }, { name: 'y', type: u16, bitOffset: 16 }]);
  const points = b.addArray(inner, 2);
  const anon = b.addUnion('', 4, [{ name: 'as_int', type: u32, bitOffset: 0 }, { name: 'as_bytes', type: b.addArray(u8, 4), bitOffset: 0 }]);
  const typedefd = b.addTypedef('__u32', u32);
  const rec = b.addStruct('rec', 56, [
    { name: 'id', type: typedefd, bitOffset: 0 },
    { name: 'low', type: u32, bitOffset: 32, bitSize: 3 },
    { name: 'high', type: u32, bitOffset: 35, bitSize: 5 },
    { name: 'name', type: name, bitOffset: 64 },
    { name: 'mac', type: mac, bitOffset: 112 },
    { name: 'ok', type: bool, bitOffset: 136 },
    { name: 'color', type: color, bitOffset: 160 },
    { name: 'points', type: points, bitOffset: 192 },
    { name: '', type: anon, bitOffset: 256 },
    { name: 'ratio', type: dbl, bitOffset: 320 },
    { name: 'delta', type: s64, bitOffset: 384 },
  ]);
  const btf = parseBtf(b.encode());
  const c = codecFromBtf(btf, rec)!;
  assert.equal(c.size, 56);
  assert.equal(c.typeName, 'struct rec');
  const v = { id: 9, low: 5, high: 17, name: 'eth0', mac: [1, 2, 3], ok: true, color: 2, points: [{ x: 1, y: 2 }, { x: 3, y: 4 }], as_int: 0x01020304, ratio: 0.5, delta: -7n };
  const { bytes, back } = roundTrip(c, v);
  // The anonymous union's members read as the struct's own, both views of the same bytes.
  assert.deepEqual(back, { ...v, as_bytes: [4, 3, 2, 1] });
  assert.equal(bytes[4], 5 | (17 << 3), 'bit-fields packed into one byte');
  assert.throws(() => c.encode([1, 2] as unknown as typeof v, new Uint8Array(56), 0), (e: unknown) => e instanceof CodecError && /expected an object/.test(e.message));
  assert.equal(codecFromBtf(btf, 0), undefined, 'void has no codec');
});
