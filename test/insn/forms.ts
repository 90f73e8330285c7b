/** One instruction of every encoding form the kernel accepts, for round-trip and parity tests. */
import type { AluOp, AtomicOp, Insn, JmpOp, LoadSize, Pseudo, Reg, Size, Width } from '../../src/insn/index.js';

const ALU_OPS: AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'mod', 'smod', 'xor', 'mov', 'arsh'];
const JMP_OPS: JmpOp[] = ['eq', 'gt', 'ge', 'set', 'ne', 'sgt', 'sge', 'lt', 'le', 'slt', 'sle'];
const RMW: AtomicOp[] = ['add', 'and', 'or', 'xor', 'fetch_add', 'fetch_and', 'fetch_or', 'fetch_xor', 'xchg', 'cmpxchg'];
const SIZES: Size[] = ['u8', 'u16', 'u32', 'u64'];
const LOAD_SIZES: LoadSize[] = ['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32'];
const WIDTHS: Width[] = [64, 32];

export function allForms(): Insn[] {
  const out: Insn[] = [];
  let k = 0;
  // Rotate through the registers so every one appears as dst and src somewhere.
  const reg = (): Reg => (k++ % 11) as Reg;
  const dstReg = (): Reg => (k++ % 10) as Reg; // r10 is read-only but encodable; keep it for src/base
  for (const width of WIDTHS) {
    for (const op of ALU_OPS) {
      out.push({ kind: 'alu', width, op, dst: dstReg(), src: reg() });
      const imm = op === 'lsh' || op === 'rsh' || op === 'arsh' ? width - 1 : op === 'mov' ? -2147483648 : -5;
      out.push({ kind: 'alu', width, op, dst: dstReg(), imm });
    }
    out.push({ kind: 'neg', width, dst: dstReg() });
    for (const from of width === 64 ? [8, 16, 32] as const : [8, 16] as const) out.push({ kind: 'movsx', width, dst: dstReg(), src: reg(), from });
    for (const op of JMP_OPS) {
      out.push({ kind: 'jmp', width, op, dst: reg(), src: reg(), off: -3 });
      out.push({ kind: 'jmp', width, op, dst: reg(), imm: 2147483647, off: 7 });
    }
  }
  for (const order of ['le', 'be', 'swap'] as const) for (const bits of [16, 32, 64] as const) out.push({ kind: 'endian', order, bits, dst: dstReg() });
  out.push({ kind: 'addr_space_cast', dst: 1, src: 2, dstAs: 0, srcAs: 1 }, { kind: 'addr_space_cast', dst: 3, src: 4, dstAs: 1, srcAs: 0 });
  out.push({ kind: 'ja', off: -1 }, { kind: 'ja', off: 0 }, { kind: 'ja', off: 32767 }, { kind: 'ja', off: -32768 });
  out.push({ kind: 'gotol', off: 100000 }, { kind: 'gotol', off: -5 }, { kind: 'may_goto', off: 3 });
  out.push({ kind: 'call', target: 'helper', imm: 6 }, { kind: 'call', target: 'func', imm: -1 }, { kind: 'call', target: 'func', imm: 12 });
  out.push({ kind: 'call', target: 'kfunc', imm: 1234 }, { kind: 'call', target: 'kfunc', imm: 77, off: 2 });
  out.push({ kind: 'exit' });
  const lddw: [Pseudo, bigint][] = [
    ['none', -1n], ['none', 0x123456789abcdefn], ['none', -(1n << 63n)], ['none', 0n],
    ['map_fd', 7n], ['map_value', (16n << 32n) | 7n], ['btf_id', (3n << 32n) | 999n], ['func', 5n],
    ['map_idx', 2n], ['map_idx_value', (8n << 32n) | 1n],
  ];
  for (const [pseudo, imm] of lddw) out.push({ kind: 'lddw', dst: dstReg(), pseudo, imm });
  for (const size of ['u8', 'u16', 'u32'] as const) {
    out.push({ kind: 'ldabs', size, imm: 12 }, { kind: 'ldind', size, src: reg(), imm: 0 }, { kind: 'ldind', size, src: 7, imm: -4 });
  }
  for (const size of LOAD_SIZES) out.push({ kind: 'ldx', size, dst: dstReg(), src: reg(), off: -8 });
  for (const size of SIZES) {
    out.push({ kind: 'st', size, dst: 10, off: -16, imm: -3 });
    out.push({ kind: 'stx', size, dst: reg(), src: reg(), off: 32767 });
    out.push({ kind: 'atomic', op: 'load_acquire', size, dst: dstReg(), src: reg(), off: 4 });
    out.push({ kind: 'atomic', op: 'store_release', size, dst: reg(), src: reg(), off: -4 });
  }
  for (const size of ['u32', 'u64'] as const) for (const op of RMW) out.push({ kind: 'atomic', op, size, dst: reg(), src: reg(), off: -32768 });
  return out;
}
