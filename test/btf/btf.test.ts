/**
 * BTF and BTF.ext: corpus and fixture BTF parse, re-encode to the same types, answer type
 * queries; the builder makes every kind; malformed BTF is a BtfError saying where.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  BtfBuilder, BtfError, encodeBtfExt, parseBtf, parseBtfExt, type Btf, type BtfType,
} from '../../src/btf/index.js';
import { findSection, readElf } from '../../src/elf/index.js';
import { corpusNames, corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { kindsObject } from '../elf/tools.js';

function btfOf(path: string): { btf: Btf; ext?: Uint8Array } {
  const elf = readElf(readFileSync(path));
  const sec = findSection(elf, '.BTF')!;
  return { btf: parseBtf(sec.data, { fileOffset: sec.offset }), ext: findSection(elf, '.BTF.ext')?.data };
}

const strip = (types: readonly BtfType[]): unknown[] => types.map(({ offset: _o, ...t }) => t);

test('corpus and fixture BTF: builder re-encodes the same types; .BTF.ext round-trips', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  for (const path of [...corpusNames().map(corpusObject), kindsObject()]) {
    const { btf, ext } = btfOf(path);
    const again = parseBtf(BtfBuilder.from(btf).encode());
    assert.deepEqual(strip(again.types), strip(btf.types), path);
    const info = parseBtfExt(ext!, btf);
    assert.ok(info.funcInfo.length > 0 && info.lineInfo.length > 0, path);
    const b = BtfBuilder.from(btf);
    const bytes = encodeBtfExt(info, b);
    const info2 = parseBtfExt(bytes, parseBtf(b.encode()));
    const plain = (x: typeof info): unknown => ({
      f: x.funcInfo,
      l: x.lineInfo.map((s) => ({ section: s.section, records: s.records.map(({ fileNameOff: _a, lineOff: _b, ...r }) => r) })),
    });
    assert.deepEqual(plain(info2), plain(info), path);
  }
});

test('queries: resolve, sizeof, members with bitfields, find, typeName', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  const { btf } = btfOf(kindsObject());
  const bitsT = btf.find('bits_t', 'TYPEDEF')!;
  const bits = btf.find('bits', 'STRUCT')!;
  assert.equal(btf.resolve(bitsT.id), bits.id);
  assert.equal(btf.sizeof(bitsT.id), 56);
  const m = btf.members(bitsT.id);
  assert.deepEqual(m.slice(0, 3).map((x) => [x.name, x.bitOffset, x.bitSize, x.byteOffset]), [['a', 0, 3, 0], ['b', 3, 5, 0], ['c', 32, 0, 4]]);
  assert.equal(btf.member(bits.id, 'u.u2')!.byteOffset, 8);
  assert.equal(btf.member(bits.id, 'nope'), undefined);
  const p = m.find((x) => x.name === 'p')!;
  assert.equal(btf.typeName(p.type), 'const volatile int *restrict');
  assert.equal(btf.sizeof(p.type), 8);
  assert.equal(btf.alignof(bits.id), 8);
  assert.equal(btf.findAll('mytag', 'DECL_TAG').length, 3);
  const license = btf.find('LICENSE', 'VAR')!;
  assert.equal(btf.sizeof(license.id), 4);
  assert.equal(btf.typeName((license as { type: number }).type), 'char[4]');
  assert.throws(() => btf.sizeof(btf.find('tp', 'FUNC')!.id), (e: unknown) => e instanceof BtfError && /has no size/.test(e.message));
  assert.throws(() => btf.type(9999), BtfError);
});

test('builder: every kind, forward references, dedup of identical simple types', () => {
  const b = new BtfBuilder();
  const u32 = b.addInt('unsigned int', 4);
  assert.equal(b.addInt('unsigned int', 4), u32, 'interned');
  const s64 = b.addInt('long', 8, { signed: true });
  const node = b.reserve();
  const ptr = b.addPtr(node);
  b.set(node, { kind: 'STRUCT', name: 'node', size: 16, bitfields: false, members: [{ name: 'next', type: ptr, bitOffset: 0, bitSize: 0 }, { name: 'v', type: s64, bitOffset: 64, bitSize: 0 }] });
  const flags = b.addStruct('flags', 4, [{ name: 'a', type: u32, bitOffset: 0, bitSize: 1 }, { name: 'b', type: u32, bitOffset: 1, bitSize: 31 }]);
  const un = b.addUnion('u', 8, [{ name: 'x', type: s64, bitOffset: 0 }, { name: 'y', type: u32, bitOffset: 0 }]);
  const arr = b.addArray(u32, 10);
  const e = b.addEnum('e', [{ name: 'A', value: 0 }, { name: 'B', value: -1 }], 4, true);
  const e64 = b.addEnum64('e64', [{ name: 'BIG', value: 0xffffffffffn }, { name: 'NEG', value: -5n }], 8, true);
  const fwd = b.addFwd('later', true);
  const td = b.addTypedef('u32_t', u32);
  const c = b.addConst(td), vol = b.addVolatile(c), rs = b.addRestrict(b.addPtr(vol));
  const tag = b.addTypeTag('user', u32);
  const proto = b.addFuncProto(s64, [{ name: 'a', type: u32 }, { name: '', type: 0 }]);
  const fn = b.addFunc('f', proto, 0);
  const v = b.addVar('gv', arr, 1);
  const ds = b.addDatasec('.data', 40, [{ type: v, offset: 0, size: 40 }]);
  const fl = b.addFloat('double', 8);
  const dt = b.addDeclTag('tag', fn, 0);
  const btf = parseBtf(b.encode());
  assert.equal(btf.count, b.count);
  const kinds = btf.types.map((x) => x.kind);
  for (const k of ['INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG']) {
    assert.ok(kinds.includes(k as BtfType['kind']), k);
  }
  assert.equal(btf.sizeof(node), 16);
  assert.equal(btf.members(node)[1]!.byteOffset, 8);
  assert.deepEqual(btf.members(flags).map((m) => [m.bitOffset, m.bitSize]), [[0, 1], [1, 31]]);
  assert.equal(btf.sizeof(un), 8);
  assert.equal(btf.sizeof(arr), 40);
  assert.deepEqual((btf.type(e) as { values: unknown }).values, [{ name: 'A', value: 0 }, { name: 'B', value: -1 }]);
  assert.deepEqual((btf.type(e64) as { values: unknown }).values, [{ name: 'BIG', value: 0xffffffffffn }, { name: 'NEG', value: -5n }]);
  assert.equal((btf.type(fwd) as { union: boolean }).union, true);
  assert.equal(btf.resolve(vol), u32);
  assert.equal(btf.typeName(rs), 'volatile const u32_t *restrict');
  assert.equal(btf.resolve(tag), u32);
  assert.equal(btf.sizeof(ds), 40);
  assert.equal(btf.sizeof(fl), 8);
  assert.equal((btf.type(dt) as { componentIdx: number }).componentIdx, 0);
  assert.equal(btf.find('f', 'FUNC')!.id, fn);
  assert.throws(() => { const x = new BtfBuilder(); x.reserve(); x.encode(); }, /reserved but never set/);
});

/** A minimal valid BTF blob built by hand for corruption tests: int, ptr→int, struct{int a}. */
function sample(): Uint8Array {
  const b = new BtfBuilder();
  const i = b.addInt('int', 4, { signed: true });
  b.addPtr(i);
  b.addStruct('s', 4, [{ name: 'a', type: i, bitOffset: 0 }]);
  return b.encode();
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseBtf(bytes, { fileOffset: 0x1000 }), (err: unknown) => {
    assert.ok(err instanceof BtfError, `expected BtfError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.match(err.message, /\.BTF\+0x[0-9a-f]+ \(file offset 0x[0-9a-f]+\)/, 'names the section offset and file offset');
    return true;
  });
}

function edit(f: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = sample();
  f(new DataView(b.buffer), b);
  return b;
}

test('malformed BTF: bad ids, string offsets, lengths, loops, kinds', () => {
  const T = 24; // first type record
  // Records: [1] INT at T (16 bytes), [2] PTR at T+16 (12), [3] STRUCT at T+28 (12 + 12).
  rejects(sample().subarray(0, 10), /BTF header needs 24 bytes/);
  rejects(edit((v) => v.setUint16(0, 0x9feb, true)), /bad BTF magic 0x9feb.*big-endian/);
  rejects(edit((_v, b) => { b[2] = 2; }), /unsupported BTF version 2/);
  rejects(edit((v) => v.setUint32(4, 1000, true)), /hdr_len 1000/);
  rejects(edit((v) => v.setUint32(12, 4000, true)), /type section .* extends past the end/);
  rejects(edit((v) => v.setUint32(20, 4000, true)), /string section .* extends past the end/);
  rejects(edit((v) => v.setUint32(T, 99999, true)), /type \[1\] INT name offset 99999 is outside the string section/);
  rejects(edit((v) => v.setUint32(T + 16 + 8, 77, true)), /type \[2\] PTR: pointee refers to type id 77, which does not exist/);
  rejects(edit((v) => v.setUint32(T + 28 + 12 + 4, 3, true)), /type reference loop/);
  rejects(edit((v) => v.setUint32(T + 16 + 4, 31 << 24, true)), /unknown kind 31/);
  rejects(edit((v) => v.setUint32(T + 28 + 4, (4 << 24) | 500, true)), /STRUCT with vlen 500 needs .* beyond the end of the type section/);
  rejects(edit((v) => v.setUint32(T + 8, 3, true)), /INT 'int' has size 3/);
  rejects(edit((v) => v.setUint32(T + 12, (1 << 24) | 40, true)), /bits 40 .* do not fit in 4 bytes/);
  // A typedef loop: make the PTR a TYPEDEF of itself.
  rejects(edit((v) => { v.setUint32(T + 16 + 4, 8 << 24, true); v.setUint32(T + 16 + 8, 2, true); }), /type reference loop through \[2\] back to \[2\]/);
  rejects(edit((v) => v.setUint32(T + 16 + 4, (2 << 24) | 3, true)), /PTR .* must have vlen 0/);
});

test('malformed BTF.ext is a BtfError', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  const { btf, ext } = btfOf(corpusObject('hello'));
  const bad = (f: (v: DataView) => void, pattern: RegExp): void => {
    const b = new Uint8Array(ext!);
    f(new DataView(b.buffer));
    assert.throws(() => parseBtfExt(b, btf, { fileOffset: 0x200 }), (e: unknown) => e instanceof BtfError && pattern.test(e.message) && /\.BTF\.ext\+0x/.test(e.message));
  };
  bad((v) => v.setUint16(0, 1, true), /bad BTF.ext magic/);
  bad((v) => v.setUint32(12, 0xfffff, true), /func_info .* extends past the end/);
  bad((v) => v.setUint32(32, 3, true), /func_info record size 3 is invalid/);
  bad((v) => v.setUint32(36, 0xffffff, true), /section name string offset/);
  bad((v) => v.setUint32(40, 1000, true), /claims 1000 records/);
  bad((v) => v.setUint32(48, 5000, true), /type id 5000 does not exist/);
});
