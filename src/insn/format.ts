/**
 * Instruction → text in LLVM's BPF assembly syntax, exactly as llvm-objdump 14 prints it where
 * LLVM 14 decodes the instruction. For encodings LLVM 14 cannot decode (it prints `<unknown>`:
 * 32-bit atomics other than `lock +=`, mod, jset, BPF_ST, and the ISA v4 and later
 * instructions) the text follows the syntax of LLVM's own assembler and of newer LLVM releases.
 * Jump offsets print as `+N`/`-N`; the objdump layer appends `<label>` targets.
 */
import type { AluOp, Insn, JmpOp, Reg, Width } from './types.js';

const ALU_SYM: Record<AluOp, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=',
  mod: '%=', smod: 's%=', xor: '^=', mov: '=', arsh: 's>>=',
};
const JMP_SYM: Record<JmpOp, string> = {
  eq: '==', gt: '>', ge: '>=', set: '&', ne: '!=', sgt: 's>', sge: 's>=', lt: '<', le: '<=', slt: 's<', sle: 's<=',
};
const ATOMIC_SYM: Record<string, string> = { add: '+=', and: '&=', or: '|=', xor: '^=' };

const r = (n: Reg | number, w: Width = 64): string => `${w === 32 ? 'w' : 'r'}${n}`;
/** `(r1 + 4)` / `(r10 - 8)`: LLVM prints the 16-bit offset signed, `+ 0` included. */
const mem = (base: Reg, off: number): string => `(r${base} ${off < 0 ? '-' : '+'} ${Math.abs(off)})`;
/** Branch offsets as LLVM prints them: `+3`, `+0`, `-1`. */
export const branchOffset = (off: number): string => (off < 0 ? `${off}` : `+${off}`);

/** The instruction's text (without a jump's `<target>` annotation). */
export function formatInsn(i: Insn): string {
  switch (i.kind) {
    case 'alu':
      return `${r(i.dst, i.width)} ${ALU_SYM[i.op]} ${i.src !== undefined ? r(i.src, i.width) : i.imm}`;
    case 'neg':
      return `${r(i.dst, i.width)} = -${r(i.dst, i.width)}`;
    case 'movsx':
      return `${r(i.dst, i.width)} = (s${i.from})${r(i.src, i.width)}`;
    case 'endian':
      return `r${i.dst} = ${i.order === 'swap' ? 'bswap' : i.order}${i.bits} r${i.dst}`;
    case 'addr_space_cast':
      return `r${i.dst} = addr_space_cast(r${i.src}, ${i.dstAs}, ${i.srcAs})`;
    case 'jmp':
      return `if ${r(i.dst, i.width)} ${JMP_SYM[i.op]} ${i.src !== undefined ? r(i.src, i.width) : i.imm} goto ${branchOffset(i.off)}`;
    case 'ja':
      return `goto ${branchOffset(i.off)}`;
    case 'gotol':
      return `gotol ${branchOffset(i.off)}`;
    case 'may_goto':
      return `may_goto ${branchOffset(i.off)}`;
    case 'call':
      return `call ${i.imm}`;
    case 'exit':
      return 'exit';
    case 'lddw':
      // LLVM prints pseudo loads with its `ld_pseudo` syntax and the low word unsigned.
      if (i.pseudo === 'none') return `r${i.dst} = ${i.imm} ll`;
      return `ld_pseudo\tr${i.dst}, ${PSEUDO_NUM[i.pseudo]}, ${BigInt.asUintN(32, i.imm)}`;
    case 'ldabs':
      return `r0 = *(${i.size} *)skb[${i.imm}]`;
    case 'ldind':
      // LLVM 14 leaves the immediate out; we show it when it is not 0 (the kernel adds it).
      return `r0 = *(${i.size} *)skb[r${i.src}${i.imm === 0 ? '' : i.imm < 0 ? ` - ${-i.imm}` : ` + ${i.imm}`}]`;
    case 'ldx':
      return `r${i.dst} = *(${i.size} *)${mem(i.src, i.off)}`;
    case 'st':
      return `*(${i.size} *)${mem(i.dst, i.off)} = ${i.imm}`;
    case 'stx':
      return `*(${i.size} *)${mem(i.dst, i.off)} = r${i.src}`;
    case 'atomic':
      return formatAtomic(i);
  }
}

const PSEUDO_NUM = { none: 0, map_fd: 1, map_value: 2, btf_id: 3, func: 4, map_idx: 5, map_idx_value: 6 } as const;

function formatAtomic(i: Extract<Insn, { kind: 'atomic' }>): string {
  const w: Width = i.size === 'u64' ? 64 : 32;
  const at = mem(i.dst, i.off);
  const plain = `r${i.dst} ${i.off < 0 ? '-' : '+'} ${Math.abs(i.off)}`;
  switch (i.op) {
    case 'add':
      // llvm-objdump 14 decodes only this 32-bit atomic, and prints its value as an r register.
      return `lock *(${i.size} *)${at} += r${i.src}`;
    case 'and': case 'or': case 'xor':
      return `lock *(${i.size} *)${at} ${ATOMIC_SYM[i.op]} ${r(i.src, w)}`;
    case 'fetch_add': case 'fetch_and': case 'fetch_or': case 'fetch_xor':
      return `${r(i.src, w)} = atomic_${i.op}((${i.size} *)${at}, ${r(i.src, w)})`;
    case 'xchg':
      return w === 64 ? `r${i.src} = xchg_64(${plain}, r${i.src})` : `w${i.src} = xchg32_32(${plain}, w${i.src})`;
    case 'cmpxchg':
      return w === 64 ? `r0 = cmpxchg_64(${plain}, r0, r${i.src})` : `w0 = cmpxchg32_32(${plain}, w0, w${i.src})`;
    case 'load_acquire':
      return `${r(i.dst, w)} = load_acquire((${i.size} *)${mem(i.src, i.off)})`;
    case 'store_release':
      return `store_release((${i.size} *)${at}, ${r(i.src, w)})`;
  }
}
