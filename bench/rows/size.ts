/**
 * Row 1 (issue 4): program size in instructions of each TypeScript example (tsbpf build) vs a
 * clang -O2 build of the same logic in C (bench/c/NAME.bpf.c). Whole object: every program plus
 * the sub-functions it calls. Examples that log are compared with C that writes the same log
 * records by hand (bench/c/tsbpf_log.h); the logging examples themselves are row 3's.
 */
import { readFileSync } from 'node:fs';
import { type BenchContext, type Row, reasonOf, row, unavailable } from '../harness.js';
import { clangBuild, countInsns, examplePairs, noCReason, tsbpfBuild } from '../lib/build.js';

export const SIZE_GROUP = '1. Program size (instructions)';
const GOAL = { text: '≤ 1.0×, never above 1.25× (issue 4)', max: 1.0 };

export async function sizeRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const ex of examplePairs(ctx.repoRoot)) {
    const base = { group: SIZE_GROUP, name: `examples/${ex.name}.bpf.ts`, unit: 'insns', anchorName: 'clang -O2', better: 'lower' as const, goal: GOAL };
    const noC = noCReason(ex);
    if (noC || !ex.c) {
      rows.push(unavailable(base, noC ?? 'no C equivalent'));
      continue;
    }
    let anchor: ReturnType<typeof countInsns> | null = null;
    try {
      anchor = countInsns(readFileSync(clangBuild(ctx, ex.c)));
      const ours = countInsns((await tsbpfBuild(ctx, ex.ts)).object);
      const r = row({ ...base, ours: ours.insns, anchor: anchor.insns, note: `slots ${ours.slots} vs ${anchor.slots}; tsbpf: ${ours.parts.join(', ')}; clang: ${anchor.parts.join(', ')}` });
      if (r.ratio !== null && r.ratio > 1.25) r.note += '; above the 1.25× ceiling';
      rows.push(r);
    } catch (e) {
      rows.push(unavailable({ ...base, anchor: anchor?.insns ?? null }, reasonOf(e)));
    }
  }
  return rows;
}
