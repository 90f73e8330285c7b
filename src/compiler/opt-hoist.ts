/**
 * Constants and symbol addresses computed in several places are computed once, where every use
 * can see it: the nearest block dominating them all (before the first of them when that block
 * has one, else at its end, so the value lives no longer than needed). `if (n) n.value += 1;
 * else m.update(k, 1)` then sets the 1 once after the lookup, and two reads of one global share
 * its address. Values copied into r0–r5 (call arguments, results) are left where they are: a copy
 * costs as much as computing them again, and they would have to survive the call. When a hoisted
 * value cannot stay in a register, allocation computes it again at each use (regalloc.ts).
 */
import { commonDominator, domTree } from './dominators.js';
import { type Block, FIRST_VREG, type Func, type Inst, type VReg, defs, uses } from './ir.js';

/** The value a cheap definition gives, as a key, or undefined when it reads registers. */
export function constKey(i: Inst): string | undefined {
  if (i.op === 'mov' && i.src.imm !== undefined) {
    // the 64-bit value the register ends up holding: `w1 = 5` and `r1 = 5` agree
    const v = i.w === 32 ? BigInt(i.src.imm >>> 0) : BigInt(i.src.imm);
    return `k${v}`;
  }
  if (i.op === 'lddw') return `k${BigInt.asIntN(64, i.value)}`;
  if (i.op === 'ldsym') return `s${i.kind}:${i.symbol}:${i.section ?? ''}:${i.offset}`;
  return undefined;
}

export function hoistConstants(f: Func): void {
  const ndefs = new Uint32Array(f.nregs);
  const toPhys = new Uint8Array(f.nregs);
  for (const b of f.blocks) {
    for (let k = 0; k < b.insts.length; k++) {
      const i = b.insts[k];
      const ds = defs(i);
      for (let j = 0; j < ds.length; j++) ndefs[ds[j]]++;
      if (i.op === 'mov' && i.src.r !== undefined && i.dst < FIRST_VREG) toPhys[i.src.r] = 1;
    }
  }
  const groups = new Map<string, { block: Block; inst: Inst; dst: VReg }[]>();
  for (const b of f.blocks) {
    for (let k = 0; k < b.insts.length; k++) {
      const i = b.insts[k];
      if (i.op !== 'mov' && i.op !== 'lddw' && i.op !== 'ldsym') continue;
      if (i.dst < FIRST_VREG || ndefs[i.dst] !== 1 || toPhys[i.dst]) continue;
      const key = constKey(i);
      if (key === undefined) continue;
      (groups.get(key) ?? groups.set(key, []).get(key)!).push({ block: b, inst: i, dst: i.dst });
    }
  }
  let t: ReturnType<typeof domTree> | undefined;
  const rename = new Map<VReg, VReg>();
  groups.forEach((g) => {
    if (g.length < 2) return;
    t ??= domTree(f);
    const tree = t;
    const live = g.filter((x) => tree.depth.has(x.block)); // unreachable blocks are left alone
    if (live.length < 2) return;
    let at = live[0].block;
    for (let j = 1; j < live.length; j++) at = commonDominator(tree, at, live[j].block);
    const dst = f.nregs++;
    if (live.some((x) => f.pointers.has(x.dst))) f.pointers.add(dst);
    const def = { ...live[0].inst, dst } as Inst;
    const members = new Set(live.map((x) => x.inst));
    for (const x of live) rename.set(x.dst, dst);
    const first = at.insts.findIndex((i) => members.has(i));
    at.insts.splice(first < 0 ? at.insts.length : first, 0, def);
    for (const x of live) x.block.insts.splice(x.block.insts.indexOf(x.inst), 1);
  });
  if (rename.size) renameUses(f, rename);
}

/** Rewrites the registers instructions and branches read (not what they write). */
function renameUses(f: Func, m: Map<VReg, VReg>): void {
  const r = (v: VReg): VReg => m.get(v) ?? v;
  for (const b of f.blocks) {
    for (let k = 0; k < b.insts.length; k++) {
      const i = b.insts[k];
      if (uses(i).every((u) => !m.has(u))) continue;
      switch (i.op) {
        case 'mov':
          if (i.src.r !== undefined) i.src = { r: r(i.src.r) };
          break;
        case 'alu':
          // the renamed registers have one definition (theirs), so they are never an ALU's dst
          if (i.src.r !== undefined) i.src = { r: r(i.src.r) };
          break;
        case 'ld':
          i.base = r(i.base);
          break;
        case 'st':
          i.base = r(i.base);
          if (i.src.r !== undefined) i.src = { r: r(i.src.r) };
          break;
        case 'atomic':
          i.base = r(i.base);
          i.src = r(i.src);
          break;
        default:
          break;
      }
    }
    const term = b.term;
    if (term.op === 'jcc') {
      term.a = r(term.a);
      if (term.b.r !== undefined) term.b = { r: r(term.b.r) };
    }
  }
}
