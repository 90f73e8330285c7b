/**
 * Instruction-level clean-up after register allocation, within each block:
 *  - copies of a value into a register that already holds it disappear;
 *  - `wA op= wB; rB = rA` with A dead afterwards (op commutative) becomes `wB op= wA`: two-address
 *    code computes `x = (x & m) + (x >> s)` into the temporary, then copies it back;
 *  - `rA += K1; rA += K2` becomes `rA += K1 + K2` (an inlined `off + 1` of an argument `x + 4`).
 */
import { type Func, type Inst, type VReg, defs, termUses, uses } from './ir.js';
import { liveness } from './liveness.js';

export function copyPeephole(f: Func): void {
  for (const b of f.blocks) {
    const same = new Map<number, number>(); // register → register it equals
    const kill = (r: number): void => {
      same.delete(r);
      for (const [k, v] of same) if (v === r) same.delete(k);
    };
    const out: Inst[] = [];
    for (const i of b.insts) {
      if (i.op === 'mov' && i.w === 64 && i.src.r !== undefined) {
        const s = i.src.r;
        if (s === i.dst || same.get(i.dst) === s || same.get(s) === i.dst || (same.has(s) && same.get(s) === same.get(i.dst))) continue;
        kill(i.dst);
        same.set(i.dst, same.get(s) ?? s);
        out.push(i);
        continue;
      }
      for (const d of defs(i)) kill(d);
      out.push(i);
    }
    b.insts = out;
  }
}

/** Consecutive additions of constants to one register (same width) become one. */
export function foldAdds(f: Func): void {
  for (const b of f.blocks) {
    const out: Inst[] = [];
    for (const i of b.insts) {
      const prev = out[out.length - 1];
      if (i.op === 'alu' && i.alu === 'add' && i.src.imm !== undefined && prev?.op === 'alu' && prev.alu === 'add' && prev.src.imm !== undefined && prev.dst === i.dst && prev.w === i.w) {
        const k = prev.src.imm + i.src.imm;
        if (k >= -0x8000_0000 && k <= 0x7fff_ffff) {
          // (x + K1) + K2 = x + (K1 + K2) at either width; the immediate is sign-extended as before
          out[out.length - 1] = { ...prev, src: { imm: k } };
          if (k === 0 && i.w === 64) out.pop();
          continue;
        }
      }
      out.push(i);
    }
    b.insts = out;
  }
}

const COMMUTATIVE = new Set(['add', 'mul', 'and', 'or', 'xor']);

/**
 * Only 32-bit operations: they never involve pointers (the verifier refuses 32-bit pointer
 * arithmetic), and their result is zero-extended whichever register receives it.
 */
export function commuteMoves(f: Func): void {
  let liveOut: ReturnType<typeof liveness> | undefined;
  for (const b of f.blocks) {
    for (let k = 0; k + 1 < b.insts.length; k++) {
      const i = b.insts[k];
      const m = b.insts[k + 1];
      if (i.op !== 'alu' || i.w !== 32 || !COMMUTATIVE.has(i.alu) || i.src.r === undefined || i.src.r === i.dst) continue;
      if (m.op !== 'mov' || m.src.r !== i.dst || m.dst !== i.src.r) continue;
      liveOut ??= liveness(f);
      if (liveAfter(b.insts, k + 2, termUses(b.term), i.dst, liveOut.get(b.id)!)) continue;
      b.insts.splice(k, 2, { op: 'alu', alu: i.alu, w: 32, dst: m.dst, src: { r: i.dst }, pos: i.pos });
    }
  }
}

/** Is `r` read at or after instruction `from` before being written (else: live out of the block)? */
function liveAfter(insts: Inst[], from: number, term: VReg[], r: VReg, out: { has(r: number): boolean }): boolean {
  for (let k = from; k < insts.length; k++) {
    if (uses(insts[k]).includes(r)) return true;
    if (defs(insts[k]).includes(r)) return false;
  }
  return term.includes(r) || out.has(r);
}
