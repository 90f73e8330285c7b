/**
 * Integer typing rules, one line each: what compiles, and which diagnostic code what does not.
 * (The runtime meaning of what compiles is the property test's job.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/compiler/compile.js';
import { formatDiagnostic } from '../../src/compiler/diagnostics.js';
import { foldTyped } from '../../src/compiler/check-ops.js';
import { INT } from '../../src/compiler/types.js';

function prog(body: string): string {
  return [
    'import { xdp, XdpAction, ntohs, htons, ArrayMap, type u8, type u16, type u32, type u64, type i8, type i16, type i32, type i64, type be16, type bool, type EthHdr } from "tsbpf/kernel";',
    'let g: u64 = 0;',
    'export const p = xdp((ctx) => {',
    '  const eth = ctx.header<EthHdr>(0);',
    '  if (!eth) return XdpAction.PASS;',
    `  ${body}`,
    '  return XdpAction.PASS;',
    '});',
  ].join('\n');
}

/** [statement, expected: 'ok' or the first diagnostic code]. */
const CASES: [string, 'ok' | number][] = [
  ['const a: u64 = ctx.len;', 'ok'], // u32 widens to u64
  ['const a: i64 = ctx.len;', 'ok'], // u32 fits i64
  ['const a: u16 = ctx.len;', 30], // narrowing needs `as`
  ['const a: i32 = ctx.len;', 30], // u32 does not fit i32
  ['const a: u16 = ctx.len as u16;', 'ok'],
  ['const a: u8 = 255;', 'ok'],
  ['const a: u8 = 256;', 31],
  ['const a: i8 = -128;', 'ok'],
  ['const a: i8 = -129;', 31],
  ['const a: u32 = -1;', 31],
  ['const a: u32 = -1 as u32;', 'ok'], // explicit wrap
  ['const a: u32 = ~0;', 'ok'], // ~ takes the wanted type
  ['const a: u64 = 0xffff_ffff_ffff_ffff;', 'ok'], // exact 64-bit literal
  ['const a: u64 = 0x1_0000_0000_0000_0000;', 31],
  ['const x = 5; const a: u8 = x;', 'ok'], // local consts stay untyped constants
  ['let x = 5; const a: u8 = x;', 30], // a let is an i32
  ['const s: i32 = -1; const a = ctx.len + s;', 32], // u32 + i32: mixed signedness
  ['const s: i64 = -1; const a: i64 = ctx.len + s;', 'ok'], // u32 widens to i64
  ['const a = eth.proto + 1;', 30], // a plain number is not a be16
  ['const a = eth.proto === htons(0x0800);', 'ok'],
  ['const a = ntohs(eth.proto) === 0x0800;', 'ok'],
  ['const a = eth.proto < htons(5);', 33], // no ordering in network byte order
  ['const a = eth.proto & htons(0xff00);', 'ok'], // bitwise ops keep byte order
  ['const s: i32 = 7; const a = s / 2;', 38], // signed division
  ['const a = ctx.len / 0;', 'ok'], // BPF: x / 0 = 0
  ['const a = 5 / 0;', 31], // an untyped constant division by zero is a mistake
  ['const a = ctx.len << 32;', 31],
  ['const a = (ctx.len as u64) << 63;', 'ok'],
  ['const b: bool = ctx.len > 3;', 'ok'],
  ['const b: bool = ctx.len;', 30],
  ['if (ctx.len) g++;', 'ok'], // integers are conditions
  ['g += ctx.len;', 'ok'],
  ['let x: u8 = 1; x += ctx.len;', 30], // the result does not fit back
  ['const a: u8 = 1; a = 2;', 36],
  ['const a = 1.5;', 14],
  ['const a: number = 1;', 18],
  ['const a = ctx.len as bool;', 30],
];

for (const [stmt, want] of CASES) {
  test(`${want === 'ok' ? 'compiles' : `TSBPF${String(want).padStart(3, '0')}`}: ${stmt}`, () => {
    const r = compile(prog(stmt), { file: 't.bpf.ts' });
    if (want === 'ok') assert.ok(r.object, r.diagnostics.map(formatDiagnostic).join('\n'));
    else {
      assert.equal(r.object, undefined);
      assert.equal(r.diagnostics[0]?.code, want, r.diagnostics.map(formatDiagnostic).join('\n'));
    }
  });
}

test('typed constant folding follows BPF: wrap-around, x / 0 = 0, x % 0 = x, shifts', () => {
  assert.equal(foldTyped('+', 250n, 10n, INT.u8), 4n);
  assert.equal(foldTyped('-', 0n, 1n, INT.u32), 0xffffffffn);
  assert.equal(foldTyped('*', 0x7fffffffn, 2n, INT.i32), -2n);
  assert.equal(foldTyped('/', 7n, 0n, INT.u32), 0n);
  assert.equal(foldTyped('%', 7n, 0n, INT.u32), 7n);
  assert.equal(foldTyped('>>', -8n, 1n, INT.i8), -4n);
  assert.equal(foldTyped('>>>', -8n, 1n, INT.i8), 124n);
  assert.equal(foldTyped('<<', 1n, 63n, INT.u64), 1n << 63n);
});
