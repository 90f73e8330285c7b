/**
 * Row 3 (issue 5): what one log line costs in instructions, against aya-log's figures as
 * published — 176 in the seed tutorial's disassembly (the whole `info!(&ctx, "received a packet")`
 * program, instructions 0–176) and 252 in the Aya book. Those are quoted, not measured here (no
 * Rust toolchain is involved). Ours is measured: the same program in TypeScript, built by tsbpf,
 * whole program; the note gives the cost of the call itself (over `return XdpAction.PASS`) and of
 * one scalar argument, which issue 5 bounds at ≤ 12 and ≤ 4 more.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchContext, type Row, reasonOf, row, unavailable } from '../harness.js';
import { countInsns, tsbpfBuild } from '../lib/build.js';

export const LOG_GROUP = '3. One log line (instructions)';

const HEAD = 'import { xdp, XdpAction, log } from "tsbpf/kernel";\n';
const SOURCES = {
  bare: 'import { xdp, XdpAction } from "tsbpf/kernel";\nexport const log_line = xdp((ctx) => {\n  return XdpAction.PASS;\n});\n',
  line: `${HEAD}export const log_line = xdp((ctx) => {\n  log.info(ctx, "received a packet");\n  return XdpAction.PASS;\n});\n`,
  arg: `${HEAD}export const log_line = xdp((ctx) => {\n  log.info(ctx, "received a packet of {} bytes", ctx.len);\n  return XdpAction.PASS;\n});\n`,
};

export async function logLineRows(ctx: BenchContext): Promise<Row[]> {
  const anchors = [
    { anchorName: 'aya-log, 176 as published in the seed tutorial (not measured here)', anchor: 176 },
    { anchorName: 'aya-log, 252 as published in the Aya book (not measured here)', anchor: 252 },
  ];
  const base = { group: LOG_GROUP, name: 'program with one `log.info(ctx, "received a packet")` + return', unit: 'insns', better: 'lower' as const, goal: { text: 'the call ≤ 12 instructions (issue 5)' } };
  try {
    const count = async (key: keyof typeof SOURCES): Promise<number> => {
      const src = join(ctx.workDir, `log_${key}.bpf.ts`);
      writeFileSync(src, SOURCES[key]);
      return countInsns((await tsbpfBuild(ctx, src)).object).insns;
    };
    const line = await count('line');
    const bare = await count('bare');
    const call = line - bare;
    let argNote = '';
    try {
      const perArg = (await count('arg')) - line;
      argNote = `; one scalar argument adds ${perArg} (goal ≤ 4: ${perArg <= 4 ? 'met' : 'not met'})`;
    } catch (e) {
      argNote = `; a call with an argument: ${reasonOf(e)}`;
    }
    const note = `the call costs ${call} instructions over \`return XdpAction.PASS\` (${bare})${argNote}`;
    return anchors.map((a) => row({ ...base, ...a, ours: line, goalMet: call <= 12, note }));
  } catch (e) {
    const why = `needs structured logging (issue 5): ${reasonOf(e)}`;
    return anchors.map((a) => unavailable({ ...base, ...a }, why));
  }
}
