/**
 * The compiler's IR: BPF-shaped instructions over virtual registers, in basic blocks. It is
 * close to the machine on purpose — two-address ALU ops, explicit argument registers for calls —
 * so register allocation sees every constraint and emission is one instruction per instruction.
 * Registers 0–10 are the physical r0–r10 (precoloured); 16 and up are virtual.
 */
import type { AluOp, JmpOp, Size } from '../insn/types.js';

export type VReg = number;
export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, FP = 10;
export const FIRST_VREG = 16;
export const ARG_REGS = [R1, R2, R3, R4, R5];

/** Exactly one of a register or a 32-bit immediate. */
export type Opnd = { r: VReg; imm?: undefined } | { imm: number; r?: undefined };

interface I {
  /** Source offset the instruction comes from (for BTF line info). */
  pos: number;
}

export type Inst =
  | (I & { op: 'mov'; w: 32 | 64; dst: VReg; src: Opnd })
  | (I & { op: 'alu'; alu: Exclude<AluOp, 'mov'>; w: 32 | 64; dst: VReg; src: Opnd })
  | (I & { op: 'neg'; w: 32 | 64; dst: VReg })
  | (I & { op: 'be'; bits: 16 | 32 | 64; dst: VReg })
  | (I & { op: 'ld'; size: Size; dst: VReg; base: VReg; off: number })
  /** `keepImm`: emit BPF_ST with the immediate (log records; llvm-objdump 14 shows it as <unknown>). */
  | (I & { op: 'st'; size: Size; base: VReg; off: number; src: Opnd; keepImm?: boolean })
  | (I & { op: 'lddw'; dst: VReg; value: bigint })
  /** Address of a map (`map`) or of global data (`data`: section + offset, optionally a variable). */
  | (I & { op: 'ldsym'; dst: VReg; kind: 'map' | 'data'; symbol: string; section?: string; offset: number })
  /**
   * Helper call: arguments already in r1..r(nargs); result in r0; r1–r5 clobbered. `argBytes[n]`:
   * how many bytes the pointer in rN covers when no argument says it (map keys and values).
   */
  | (I & { op: 'call'; helper: number; nargs: number; argBytes?: readonly (number | undefined)[] })
  /** bpf-to-bpf call of a sub-function (same register convention). */
  | (I & { op: 'callsub'; name: string; nargs: number })
  /** Atomic RMW on *(size *)(base + off) with src; fetch forms write the old value to src; cmpxchg uses r0. */
  | (I & { op: 'atomic'; aop: 'add' | 'and' | 'or' | 'xor' | 'fetch_add' | 'fetch_and' | 'fetch_or' | 'fetch_xor' | 'xchg' | 'cmpxchg'; size: 'u32' | 'u64'; base: VReg; off: number; src: VReg });

export type Term =
  | { op: 'br'; to: Block; pos: number }
  /**
   * `hot`: the successor the source expects to run (laid out as the fall-through when possible);
   * `sure`: the expectation is a null, packet-length or log-level check (which rarely fail), not
   * just the order of the source's if/else.
   */
  | { op: 'jcc'; cc: JmpOp; w: 32 | 64; a: VReg; b: Opnd; t: Block; f: Block; pos: number; hot?: 't' | 'f'; sure?: boolean }
  | { op: 'exit'; pos: number };

export interface Block {
  id: number;
  insts: Inst[];
  term: Term;
}

export interface Func {
  name: string;
  blocks: Block[];
  /** Number of registers allocated (physical + virtual). */
  nregs: number;
  /** Bytes of stack used by lowering (structs, map keys); spills come below. */
  frame: number;
  /** Registers that hold pointers (spilled with 8-byte stores; never moved with 32-bit ops). */
  pointers: Set<VReg>;
  /** Number of parameters (in r1..r5 at entry). */
  nparams: number;
  /** A @noinline function (its pointer parameters may point into the caller's stack), not a program. */
  sub?: boolean;
  pos: number;
}

// shared results of uses/defs for calls (callers only read the arrays these functions return)
const ARG_USES: readonly VReg[][] = [0, 1, 2, 3, 4, 5].map((n) => ARG_REGS.slice(0, n));
const CALL_DEFS: VReg[] = [R0, R1, R2, R3, R4, R5];

/** Registers an instruction reads (the array may be shared: do not change it). */
export function uses(i: Inst): VReg[] {
  switch (i.op) {
    case 'mov':
      return i.src.r !== undefined ? [i.src.r] : [];
    case 'alu':
      return i.src.r !== undefined ? [i.dst, i.src.r] : [i.dst];
    case 'neg':
    case 'be':
      return [i.dst];
    case 'ld':
      return [i.base];
    case 'st':
      return i.src.r !== undefined ? [i.base, i.src.r] : [i.base];
    case 'lddw':
    case 'ldsym':
      return [];
    case 'call':
    case 'callsub':
      return ARG_USES[i.nargs] ?? ARG_REGS.slice(0, i.nargs);
    case 'atomic':
      return i.aop === 'cmpxchg' ? [i.base, i.src, R0] : [i.base, i.src];
  }
}

/** Registers an instruction writes (calls: r0 and the clobbered r1–r5; the array may be shared). */
export function defs(i: Inst): VReg[] {
  switch (i.op) {
    case 'mov':
    case 'alu':
    case 'neg':
    case 'be':
    case 'ld':
    case 'lddw':
    case 'ldsym':
      return [i.dst];
    case 'st':
      return [];
    case 'call':
    case 'callsub':
      return CALL_DEFS;
    case 'atomic':
      return i.aop === 'cmpxchg' ? [R0] : i.aop.startsWith('fetch') || i.aop === 'xchg' ? [i.src] : [];
  }
}

export function termUses(t: Term): VReg[] {
  if (t.op === 'jcc') return t.b.r !== undefined ? [t.a, t.b.r] : [t.a];
  if (t.op === 'exit') return [R0];
  return [];
}

export function successors(b: Block): Block[] {
  const t = b.term;
  if (t.op === 'br') return [t.to];
  if (t.op === 'jcc') return t.t === t.f ? [t.t] : [t.t, t.f];
  return [];
}

/** Has an effect besides writing its destination (kept even when the result is unused). */
export function hasSideEffects(i: Inst): boolean {
  return i.op === 'st' || i.op === 'call' || i.op === 'callsub' || i.op === 'atomic';
}

/** Renders a function as text (for debugging and IR tests). */
export function printFunc(f: Func): string {
  const r = (v: VReg): string => (v < FIRST_VREG ? `r${v}` : `%${v}`);
  const o = (x: Opnd): string => (x.r !== undefined ? r(x.r) : String(x.imm));
  const lines: string[] = [`func ${f.name} (frame ${f.frame})`];
  for (const b of f.blocks) {
    lines.push(`B${b.id}:`);
    for (const i of b.insts) {
      switch (i.op) {
        case 'mov': lines.push(`  ${r(i.dst)} =${i.w} ${o(i.src)}`); break;
        case 'alu': lines.push(`  ${r(i.dst)} ${i.alu}${i.w}= ${o(i.src)}`); break;
        case 'neg': lines.push(`  ${r(i.dst)} = -${r(i.dst)} (${i.w})`); break;
        case 'be': lines.push(`  ${r(i.dst)} = be${i.bits} ${r(i.dst)}`); break;
        case 'ld': lines.push(`  ${r(i.dst)} = *(${i.size} *)(${r(i.base)} + ${i.off})`); break;
        case 'st': lines.push(`  *(${i.size} *)(${r(i.base)} + ${i.off}) = ${o(i.src)}`); break;
        case 'lddw': lines.push(`  ${r(i.dst)} = ${i.value} ll`); break;
        case 'ldsym': lines.push(`  ${r(i.dst)} = &${i.symbol}${i.offset ? `+${i.offset}` : ''} ll`); break;
        case 'call': lines.push(`  call ${i.helper} (${i.nargs} args)`); break;
        case 'callsub': lines.push(`  call ${i.name} (${i.nargs} args)`); break;
        case 'atomic': lines.push(`  atomic ${i.aop} *(${i.size} *)(${r(i.base)} + ${i.off}), ${r(i.src)}`); break;
      }
    }
    const t = b.term;
    if (t.op === 'br') lines.push(`  br B${t.to.id}`);
    else if (t.op === 'exit') lines.push('  exit');
    else lines.push(`  if ${r(t.a)} ${t.cc}${t.w} ${o(t.b)} then B${t.t.id} else B${t.f.id}`);
  }
  return lines.join('\n');
}
