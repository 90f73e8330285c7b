/**
 * IR optimisations before register allocation:
 *  - constants and symbol addresses computed once where all their uses see them (opt-hoist.ts);
 *  - helpers fill the place their buffer is copied to, when nothing else reads it (opt-buf.ts);
 *  - 32-bit moves whose result only 32-bit operations read become plain copies (narrowCopies);
 *  - loads reused and stack stores of a value the slot already holds dropped (opt-mem.ts);
 *  - dead code elimination (results nobody reads, e.g. packet pointers a path never uses).
 */
import { FIRST_VREG, type Func, type Inst, type Term, type VReg, defs, hasSideEffects, termUses, uses } from './ir.js';
import { liveness } from './liveness.js';
import { forwardBuffers } from './opt-buf.js';
import { hoistConstants } from './opt-hoist.js';
import { reuseValues } from './opt-mem.js';

export function optimize(f: Func): void {
  hoistConstants(f);
  forwardBuffers(f);
  narrowCopies(f);
  reuseValues(f);
  deadCode(f);
}

export function deadCode(f: Func): void {
  for (let round = 0; round < 20; round++) {
    const liveOut = liveness(f);
    let removed = false;
    for (const b of f.blocks) {
      const live = liveOut.get(b.id)!.copy();
      const tu = termUses(b.term);
      for (let j = 0; j < tu.length; j++) live.add(tu[j]);
      const keep: Inst[] = [];
      // index loops, not for-of: this runs cold (unoptimised) in a one-shot build, where for-of
      // allocates an iterator result per element
      for (let k = b.insts.length - 1; k >= 0; k--) {
        const i = b.insts[k];
        const ds = defs(i);
        let dead = !hasSideEffects(i) && ds.length > 0;
        for (let j = 0; dead && j < ds.length; j++) if (live.has(ds[j])) dead = false;
        if (dead) {
          removed = true;
          continue;
        }
        for (let j = 0; j < ds.length; j++) live.delete(ds[j]);
        const us = uses(i);
        for (let j = 0; j < us.length; j++) live.add(us[j]);
        keep.push(i);
      }
      b.insts = keep.reverse();
    }
    if (!removed) return;
  }
}

/**
 * `wD = wS` (a truncation to 32 bits, or a u32 copy) whose result is read only by 32-bit
 * operations — compares, ALU sources, stores of up to 4 bytes — becomes `rD = rS`, which
 * allocation can then merge away: `(pid_tgid >> 32) as u32 != x` compares w0 directly, as clang
 * does. Wideness flows back through 64-bit copies (a local holding the u32 is such a copy).
 * D must have this one definition; S must not be a pointer.
 */
export function narrowCopies(f: Func): void {
  const ndefs = new Uint32Array(f.nregs);
  const wide = new Uint8Array(f.nregs); // read by something that sees all 64 bits
  const mark = (r: VReg): void => {
    wide[r] = 1;
  };
  for (const b of f.blocks) {
    for (let k = 0; k < b.insts.length; k++) {
      const i = b.insts[k];
      const ds = defs(i);
      for (let j = 0; j < ds.length; j++) ndefs[ds[j]]++;
      readsWide(i, mark);
    }
    termReadsWide(b.term, mark);
  }
  // a 64-bit copy reads its source wide only when its own result is read wide: a u32 local
  // (`const tgid = (x >> 32) as u32`) is a 64-bit copy of the truncation, stored as a u32
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of f.blocks) {
      for (let k = 0; k < b.insts.length; k++) {
        const i = b.insts[k];
        if (i.op === 'mov' && i.w === 64 && i.src.r !== undefined && wide[i.dst] && !wide[i.src.r]) {
          wide[i.src.r] = 1;
          changed = true;
        }
      }
    }
  }
  for (const b of f.blocks) {
    for (let k = 0; k < b.insts.length; k++) {
      const i = b.insts[k];
      if (i.op !== 'mov' || i.w !== 32 || i.src.r === undefined || i.dst < FIRST_VREG) continue;
      if (ndefs[i.dst] !== 1 || wide[i.dst] || f.pointers.has(i.src.r) || f.pointers.has(i.dst)) continue;
      b.insts[k] = { ...i, w: 64 };
    }
  }
}

/** Calls `mark` for each register `i` reads beyond its low 32 bits. */
function readsWide(i: Inst, mark: (r: VReg) => void): void {
  switch (i.op) {
    case 'mov':
      return; // 64-bit copies pass on what their destination's readers need (narrowCopies)
    case 'alu':
      if (i.w === 64) {
        mark(i.dst);
        if (i.src.r !== undefined) mark(i.src.r);
      }
      return;
    case 'st':
      mark(i.base);
      if (i.src.r !== undefined && i.size === 'u64') mark(i.src.r);
      return;
    case 'atomic':
      mark(i.base);
      // lock add/and/or/xor of a u32 read the low half; the other forms also write src
      if (i.size === 'u64' || !['add', 'and', 'or', 'xor'].includes(i.aop)) mark(i.src);
      if (i.aop === 'cmpxchg') mark(0);
      return;
    default: {
      // neg/be read their destination (which they also define); loads their base; calls r1–r5
      const us = uses(i);
      for (let j = 0; j < us.length; j++) mark(us[j]);
    }
  }
}

function termReadsWide(t: Term, mark: (r: VReg) => void): void {
  if (t.op === 'jcc' && t.w === 64) {
    mark(t.a);
    if (t.b.r !== undefined) mark(t.b.r);
  } else if (t.op === 'exit') mark(0);
}
