/** Encoding and decoding: round trips over every form and every opcode byte, strictness, errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  InsnError, decode, encode, encodeOne, programSlots, slotCount, toSlots, tryDecodeAt, type Insn,
} from '../../src/insn/index.js';
import { allForms } from './forms.js';

test('every form round-trips: encode → decode gives the same instruction', () => {
  const forms = allForms();
  const bytes = encode(forms);
  assert.equal(bytes.length, programSlots(forms) * 8);
  assert.deepEqual(decode(bytes), forms);
  for (const f of forms) assert.deepEqual(decode(encodeOne(f)), [f]);
});

test('every opcode byte the decoder accepts is covered by the forms, and re-encodes bit for bit', () => {
  const covered = new Set(allForms().map((f) => toSlots(f)[0]!.code));
  const accepted = new Set<number>();
  const regs = [0, 3, 10, 11, 15];
  const offs = [0, 1, 8, 16, 32, -1];
  const imms = [0, 1, 6, 16, 32, 64, -1, 0x41, 0x51, 0xa1, 0xe1, 0xf1, 0x100, 0x110, 0x10000];
  const buf = new Uint8Array(16);
  const view = new DataView(buf.buffer);
  let decoded = 0;
  for (let code = 0; code < 256; code++) {
    for (const dst of regs) for (const src of regs) for (const off of offs) for (const imm of imms) {
      buf.fill(0);
      view.setUint8(0, code);
      view.setUint8(1, (src << 4) | dst);
      view.setInt16(2, off, true);
      view.setInt32(4, imm, true);
      view.setInt32(12, imm === 1 ? 3 : 0, true); // lddw high word
      const r = tryDecodeAt(buf, 0);
      if (!r.ok) {
        assert.ok(r.error.length > 0 && r.size === 8);
        continue;
      }
      decoded++;
      accepted.add(code);
      const again = encodeOne(r.insn);
      if (again.length !== r.size || again.some((b, i) => b !== buf[i])) assert.fail(`opcode 0x${code.toString(16)} re-encodes differently`);
    }
  }
  assert.ok(decoded > 1000);
  assert.deepEqual([...accepted].sort((a, b) => a - b), [...covered].sort((a, b) => a - b), 'forms cover exactly the accepted opcodes');
});

test('lddw is one instruction over two slots with a 64-bit immediate', () => {
  const insn: Insn = { kind: 'lddw', dst: 1, pseudo: 'map_value', imm: (24n << 32n) | 5n };
  const bytes = encodeOne(insn);
  assert.equal(slotCount(insn), 2);
  assert.deepEqual([...bytes], [0x18, 0x21, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 24, 0, 0, 0]);
  assert.deepEqual([...encodeOne({ kind: 'lddw', dst: 2, pseudo: 'none', imm: -1n })],
    [0x18, 0x02, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(decode(encode([insn, { kind: 'exit' }])), [insn, { kind: 'exit' }]);
});

test('known encodings from the kernel docs and clang', () => {
  const hex = (i: Insn): string => Buffer.from(encodeOne(i)).toString('hex');
  assert.equal(hex({ kind: 'alu', width: 32, op: 'mov', dst: 6, imm: 1 }), 'b406000001000000');
  assert.equal(hex({ kind: 'atomic', op: 'add', size: 'u32', dst: 2, src: 3, off: 0 }), 'c332000000000000');
  assert.equal(hex({ kind: 'call', target: 'func', imm: -1 }), '85100000ffffffff');
  assert.equal(hex({ kind: 'jmp', width: 32, op: 'sgt', dst: 0, imm: 100, off: 1 }), '6600010064000000');
  assert.equal(hex({ kind: 'atomic', op: 'load_acquire', size: 'u64', dst: 0, src: 1, off: 0 }), 'db10000000010000');
  assert.equal(hex({ kind: 'atomic', op: 'store_release', size: 'u16', dst: 1, src: 2, off: 0 }), 'cb21000010010000');
  assert.equal(hex({ kind: 'alu', width: 64, op: 'sdiv', dst: 1, src: 2 }), '3f21010000000000');
  assert.equal(hex({ kind: 'movsx', width: 64, dst: 1, src: 2, from: 32 }), 'bf21200000000000');
  assert.equal(hex({ kind: 'endian', order: 'swap', bits: 16, dst: 3 }), 'd703000010000000');
  assert.equal(hex({ kind: 'gotol', off: 5 }), '0600000005000000');
  assert.equal(hex({ kind: 'ldx', size: 's8', dst: 1, src: 2, off: -8 }), '9121f8ff00000000');
});

test('malformed encodings are typed errors naming the instruction index', () => {
  const prog = encode([{ kind: 'exit' }, { kind: 'exit' }]);
  prog[9] = 0x01; // exit with dst r1 (reserved)
  assert.throws(() => decode(prog), (e: unknown) => e instanceof InsnError && e.index === 1 && /instruction 1 \(byte offset 8\).*reserved field dst/.test(e.message));
  const cases: [string, number[], RegExp][] = [
    ['unknown opcode', [0x8d, 0, 0, 0, 0, 0, 0, 0], /BPF_X/],
    ['register r11', [0xbf, 0xb1, 0, 0, 0, 0, 0, 0], /r11 does not exist/],
    ['mod by reg with imm', [0x9f, 0x21, 0, 0, 1, 0, 0, 0], /reserved field imm/],
    ['bad pseudo', [0x18, 0x71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], /pseudo source 7/],
    ['lddw second slot', [0x18, 0x01, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0], /second slot/],
    ['lddw truncated', [0x18, 0x01, 0, 0, 0, 0, 0, 0], /second slot missing/],
    ['atomic u8 add', [0xd3, 0x21, 0, 0, 0, 0, 0, 0], /atomic add of size u8/],
    ['unknown atomic', [0xdb, 0x21, 0, 0, 0x20, 0, 0, 0], /unknown atomic operation imm 0x20/],
    ['ldsx u64', [0x99, 0x21, 0, 0, 0, 0, 0, 0], /sign-extending load of size u64/],
    ['bswap be', [0xdf, 0x01, 0, 0, 16, 0, 0, 0], /to_be/],
    ['endian width', [0xdc, 0x01, 0, 0, 8, 0, 0, 0], /width 8/],
    ['call src 3', [0x85, 0x30, 0, 0, 1, 0, 0, 0], /call with src 3/],
    ['helper call with off', [0x85, 0x00, 1, 0, 1, 0, 0, 0], /reserved field off/],
    ['jmp32 call', [0x86, 0, 0, 0, 1, 0, 0, 0], /JMP32/],
    ['movsx32 from 32', [0xbc, 0x21, 32, 0, 0, 0, 0, 0], /from 32 bits/],
  ];
  for (const [what, bytes, re] of cases) {
    assert.throws(() => decode(Uint8Array.from(bytes)), (e: unknown) => e instanceof InsnError && re.test(e.message), what);
  }
  assert.throws(() => decode(new Uint8Array(12)), /not a multiple of 8/);
});

test('the disassembler-side decode skips like llvm-objdump on short input', () => {
  assert.deepEqual(tryDecodeAt(Uint8Array.from([0x95, 0, 0]), 0), { ok: false, error: 'truncated instruction: 3 byte(s) left', size: 1 });
  const r = tryDecodeAt(Uint8Array.from([0x18, 1, 0, 0, 0, 0, 0, 0, 0x95, 0, 0]), 0);
  assert.equal(r.ok, false);
  assert.equal(r.size, 1);
});

test('encoding rejects values the fields cannot hold', () => {
  const bad: [Insn, RegExp][] = [
    [{ kind: 'alu', width: 64, op: 'add', dst: 1, imm: 2 ** 32 }, /signed 32-bit/],
    [{ kind: 'jmp', width: 64, op: 'eq', dst: 1, imm: 0, off: 40000 }, /16-bit/],
    [{ kind: 'alu', width: 64, op: 'add', dst: 11 as never, src: 1 }, /r0\.\.r10/],
    [{ kind: 'alu', width: 64, op: 'pow' as never, dst: 1, src: 2 }, /unknown ALU operation 'pow'/],
    [{ kind: 'atomic', op: 'xchg', size: 'u8', dst: 1, src: 2, off: 0 }, /u32 or u64/],
    [{ kind: 'movsx', width: 32, dst: 1, src: 2, from: 32 }, /8\/16 bits/],
    [{ kind: 'lddw', dst: 1, pseudo: 'none', imm: 1n << 64n }, /out of range/],
    [{ kind: 'call', target: 'helper', imm: 1, off: 3 }, /only kfunc/],
    [{ kind: 'ldx', size: 's64' as never, dst: 1, src: 2, off: 0 }, /no sign-extending 64-bit/],
  ];
  for (const [insn, re] of bad) assert.throws(() => encode([{ kind: 'exit' }, insn]), (e: unknown) => e instanceof InsnError && e.index === 1 && re.test(e.message), re.source);
});
