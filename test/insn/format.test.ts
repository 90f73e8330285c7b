/** LLVM-syntax text of instructions (the exact strings llvm-objdump 14 prints, and our extensions). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatInsn, type Insn } from '../../src/insn/index.js';

const cases: [Insn, string][] = [
  [{ kind: 'lddw', dst: 1, pseudo: 'none', imm: 0n }, 'r1 = 0 ll'],
  [{ kind: 'lddw', dst: 1, pseudo: 'none', imm: -1n }, 'r1 = -1 ll'],
  [{ kind: 'lddw', dst: 1, pseudo: 'map_fd', imm: 5n }, 'ld_pseudo\tr1, 1, 5'],
  [{ kind: 'alu', width: 32, op: 'sub', dst: 2, src: 3 }, 'w2 -= w3'],
  [{ kind: 'alu', width: 64, op: 'add', dst: 2, imm: -4 }, 'r2 += -4'],
  [{ kind: 'alu', width: 64, op: 'arsh', dst: 2, imm: 3 }, 'r2 s>>= 3'],
  [{ kind: 'alu', width: 32, op: 'mov', dst: 0, imm: 2 }, 'w0 = 2'],
  [{ kind: 'ldx', size: 'u32', dst: 0, src: 1, off: 4 }, 'r0 = *(u32 *)(r1 + 4)'],
  [{ kind: 'stx', size: 'u64', dst: 10, src: 1, off: -8 }, '*(u64 *)(r10 - 8) = r1'],
  [{ kind: 'jmp', width: 64, op: 'gt', dst: 2, src: 1, off: 1 }, 'if r2 > r1 goto +1'],
  [{ kind: 'jmp', width: 32, op: 'sgt', dst: 0, imm: 100, off: 1 }, 'if w0 s> 100 goto +1'],
  [{ kind: 'ja', off: -3 }, 'goto -3'],
  [{ kind: 'atomic', op: 'add', size: 'u64', dst: 3, src: 1, off: 0 }, 'lock *(u64 *)(r3 + 0) += r1'],
  [{ kind: 'atomic', op: 'add', size: 'u32', dst: 2, src: 3, off: 0 }, 'lock *(u32 *)(r2 + 0) += r3'],
  [{ kind: 'atomic', op: 'fetch_add', size: 'u64', dst: 1, src: 4, off: 0 }, 'r4 = atomic_fetch_add((u64 *)(r1 + 0), r4)'],
  [{ kind: 'atomic', op: 'fetch_or', size: 'u32', dst: 2, src: 3, off: 0 }, 'w3 = atomic_fetch_or((u32 *)(r2 + 0), w3)'],
  [{ kind: 'atomic', op: 'xchg', size: 'u64', dst: 4, src: 2, off: 0 }, 'r2 = xchg_64(r4 + 0, r2)'],
  [{ kind: 'atomic', op: 'cmpxchg', size: 'u64', dst: 3, src: 2, off: 0 }, 'r0 = cmpxchg_64(r3 + 0, r0, r2)'],
  [{ kind: 'atomic', op: 'cmpxchg', size: 'u32', dst: 3, src: 2, off: -8 }, 'w0 = cmpxchg32_32(r3 - 8, w0, w2)'],
  [{ kind: 'call', target: 'func', imm: -1 }, 'call -1'],
  [{ kind: 'call', target: 'helper', imm: 6 }, 'call 6'],
  [{ kind: 'endian', order: 'be', bits: 16, dst: 1 }, 'r1 = be16 r1'],
  [{ kind: 'exit' }, 'exit'],
  [{ kind: 'ldabs', size: 'u8', imm: 23 }, 'r0 = *(u8 *)skb[23]'],
  [{ kind: 'ldind', size: 'u16', src: 3, imm: 0 }, 'r0 = *(u16 *)skb[r3]'],
  // Beyond LLVM 14 (which prints <unknown> or misreads these): newer LLVM's syntax.
  [{ kind: 'alu', width: 64, op: 'sdiv', dst: 1, src: 2 }, 'r1 s/= r2'],
  [{ kind: 'alu', width: 32, op: 'smod', dst: 1, imm: 7 }, 'w1 s%= 7'],
  [{ kind: 'alu', width: 64, op: 'mod', dst: 1, src: 2 }, 'r1 %= r2'],
  [{ kind: 'movsx', width: 64, dst: 1, src: 2, from: 8 }, 'r1 = (s8)r2'],
  [{ kind: 'movsx', width: 32, dst: 1, src: 2, from: 16 }, 'w1 = (s16)w2'],
  [{ kind: 'endian', order: 'swap', bits: 64, dst: 1 }, 'r1 = bswap64 r1'],
  [{ kind: 'ldx', size: 's16', dst: 1, src: 2, off: 2 }, 'r1 = *(s16 *)(r2 + 2)'],
  [{ kind: 'st', size: 'u32', dst: 10, off: -4, imm: 7 }, '*(u32 *)(r10 - 4) = 7'],
  [{ kind: 'jmp', width: 64, op: 'set', dst: 1, imm: 4, off: 2 }, 'if r1 & 4 goto +2'],
  [{ kind: 'gotol', off: 70000 }, 'gotol +70000'],
  [{ kind: 'may_goto', off: 2 }, 'may_goto +2'],
  [{ kind: 'addr_space_cast', dst: 1, src: 0, dstAs: 0, srcAs: 1 }, 'r1 = addr_space_cast(r0, 0, 1)'],
  [{ kind: 'atomic', op: 'load_acquire', size: 'u64', dst: 0, src: 1, off: 0 }, 'r0 = load_acquire((u64 *)(r1 + 0))'],
  [{ kind: 'atomic', op: 'store_release', size: 'u16', dst: 1, src: 2, off: 0 }, 'store_release((u16 *)(r1 + 0), w2)'],
  [{ kind: 'ldind', size: 'u8', src: 3, imm: -2 }, 'r0 = *(u8 *)skb[r3 - 2]'],
];

test('instruction text', () => {
  for (const [insn, text] of cases) assert.equal(formatInsn(insn), text);
});
