/**
 * Memory accesses in the IR, as the optimiser and the lowering see them: the bytes each access
 * size moves, and which registers may hold an address in the stack.
 */
import type { Size } from '../insn/types.js';
import { FIRST_VREG, FP, type Func, R0, type VReg } from './ir.js';

/** Bytes an access of each size moves. */
export const BYTES: Readonly<Record<Size, number>> = { u8: 1, u16: 2, u32: 4, u64: 8 };
/** The access size moving n bytes (the reverse of BYTES). */
export const SIZE = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;

/**
 * Registers that may point into the stack (opt-mem.ts, opt-buf.ts): r10 and every virtual
 * register a copy or sum of one of them defines. Before allocation physical registers are read as
 * values only at entry — the context, or in a @noinline function its parameters, which may be
 * views of the caller's stack — and r0 after a call: after a bpf-to-bpf call it could be a pointer
 * the callee was given (not yet: check-module.ts lets such functions return only integers, but a
 * wider set only disables optimisations). Stack addresses moved into r1–r5 for a call are not
 * followed: the call consumes and clobbers them, and marking r1 would taint the context.
 */
export function stackPointers(f: Func): Set<VReg> {
  const ms = new Set<VReg>([FP]);
  if (f.sub) for (let r = R0 + 1; r < FP; r++) ms.add(r);
  if (f.blocks.some((b) => b.insts.some((i) => i.op === 'callsub'))) ms.add(R0);
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if ((i.op === 'mov' || i.op === 'alu') && i.src.r !== undefined && ms.has(i.src.r) && i.dst >= FIRST_VREG && !ms.has(i.dst)) {
          ms.add(i.dst);
          changed = true;
        }
      }
    }
  }
  return ms;
}
