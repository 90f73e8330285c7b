/**
 * Memory-aware value reuse before register allocation, in one walk down the dominator tree
 * carrying what is known on entry to each block (a block with one predecessor sees the state at
 * its end; joins start afresh):
 *  - a load of the same (base, offset, size) as an earlier one reuses its register;
 *  - a stack store of the value the slot already holds is dropped: a map key stored for a lookup
 *    is still there for the update (or delete) that follows, as in clang's code, where the key is
 *    one C variable.
 * Copies (`a = b`) count as the same value. What may have changed memory in between:
 *  - a store or atomic through the frame pointer changes only the bytes it writes (and whatever a
 *    pointer that may point into the stack reads);
 *  - one through any other pointer may change any memory but the stack, unless that pointer may
 *    point into the stack (a copy of r10 + k, or a @noinline function's parameter);
 *  - a call changes what its helper may write (effects.ts).
 */
import type { Size } from '../insn/types.js';
import { callEffect } from './effects.js';
import { domTree } from './dominators.js';
import { type Block, FIRST_VREG, FP, type Func, type Inst, type VReg, defs } from './ir.js';
import { BYTES, stackPointers } from './mem-access.js';

interface Load {
  base: VReg;
  off: number;
  size: Size;
  dst: VReg;
  /** Base is r10: only stack stores can change it. */
  stack: boolean;
  /** Base may point into the stack (but is not r10). */
  mayStack: boolean;
}

interface Slot {
  off: number;
  size: number;
  /** The value stored: a register (its copy representative) or an immediate. */
  r?: VReg;
  imm?: number;
}

interface State {
  loads: Load[];
  slots: Slot[];
  /** Copy representative: `rep.get(a) === b` while a and b hold the same value. */
  rep: Map<VReg, VReg>;
}

export function reuseValues(f: Func): void {
  const t = domTree(f);
  const mayStack = stackPointers(f);
  const walk = (b: Block, entry: State): void => {
    const single = (t.preds.get(b)?.length ?? 0) === 1;
    const s: State = single ? { loads: entry.loads.slice(), slots: entry.slots.slice(), rep: new Map(entry.rep) } : { loads: [], slots: [], rep: new Map() };
    const repOf = (r: VReg): VReg => s.rep.get(r) ?? r;
    const out: Inst[] = [];
    for (let k = 0; k < b.insts.length; k++) {
      let i = b.insts[k];
      if (i.op === 'ld') {
        const ld = i;
        const base = repOf(ld.base);
        const hit = s.loads.find((l) => l.base === base && l.off === ld.off && l.size === ld.size);
        if (hit && hit.dst !== ld.dst) i = { op: 'mov', w: 64, dst: ld.dst, src: { r: hit.dst }, pos: ld.pos };
      } else if (i.op === 'st' && i.base === FP) {
        const st = i;
        const r = st.src.r !== undefined ? repOf(st.src.r) : undefined;
        const size = BYTES[st.size];
        if (s.slots.some((x) => x.off === st.off && x.size === size && (r !== undefined ? x.r === r : x.imm === st.src.imm))) continue;
        const overlaps = (off: number, n: number): boolean => off < st.off + size && st.off < off + n;
        s.slots = s.slots.filter((x) => !overlaps(x.off, x.size));
        s.loads = s.loads.filter((l) => !(l.stack ? overlaps(l.off, BYTES[l.size]) : l.mayStack));
        s.slots.push(r !== undefined ? { off: st.off, size, r } : { off: st.off, size, imm: st.src.imm });
      } else if (i.op === 'st' || i.op === 'atomic') {
        const any = mayStack.has(repOf(i.base)) || mayStack.has(i.base);
        s.loads = s.loads.filter((l) => l.stack && !any);
        if (any) s.slots = [];
      } else if (i.op === 'call' || i.op === 'callsub') {
        const e = callEffect(i);
        if (e === 'all') {
          s.loads = [];
          s.slots = [];
        } else if (e === 'nonstack') s.loads = s.loads.filter((l) => l.stack);
      }
      const ds = defs(i);
      for (let j = 0; j < ds.length; j++) kill(s, ds[j]);
      if (i.op === 'mov' && i.w === 64 && i.src.r !== undefined && i.src.r !== i.dst) {
        // r0–r5 are rewritten by every call: only values that stay put can stand for a copy
        const r = repOf(i.src.r);
        if (r >= FIRST_VREG || r === FP) s.rep.set(i.dst, r);
      }
      if (i.op === 'ld' && i.dst !== i.base) {
        const base = repOf(i.base);
        if (base !== i.dst) s.loads.push({ base, off: i.off, size: i.size, dst: i.dst, stack: base === FP, mayStack: base !== FP && mayStack.has(base) });
      }
      out.push(i);
    }
    b.insts = out;
    const kids = t.children.get(b) ?? [];
    for (let j = 0; j < kids.length; j++) walk(kids[j], s);
  };
  walk(f.blocks[0], { loads: [], slots: [], rep: new Map() });
}

/** `r` gets a new value: forget what was known through it. */
function kill(s: State, r: VReg): void {
  s.loads = s.loads.filter((l) => l.dst !== r && l.base !== r);
  s.slots = s.slots.filter((x) => x.r !== r);
  s.rep.delete(r);
  s.rep.forEach((v, k) => {
    if (v === r) s.rep.delete(k);
  });
}
