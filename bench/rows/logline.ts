/**
 * Row 3 (issue 5): what one log line costs in instructions, against aya-log's figures as
 * published — 176 in the seed tutorial's disassembly (the whole `info!(&ctx, "received a packet")`
 * program, instructions 0–176) and 252 in the Aya book. Those are quoted, not measured here (no
 * Rust toolchain is involved). Ours is measured: the same program in TypeScript
 * (examples/hello-log.bpf.ts), built by tsbpf; the figure is the program (section xdp, the
 * counterpart of aya's listing), with the object's one shared lost-record counter function in the
 * note. The note also gives the cost of the call itself (over `return XdpAction.PASS`) and of one
 * scalar argument, which issue 5 bounds at ≤ 12 and ≤ 4 more.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseObject } from '../../src/object/index.js';
import { type BenchContext, type Row, reasonOf, row, unavailable } from '../harness.js';
import { tsbpfBuild } from '../lib/build.js';

export const LOG_GROUP = '3. One log line (instructions)';

const HEAD = 'import { xdp, XdpAction, log } from "tsbpf/kernel";\n';
const SOURCES = {
  bare: 'import { xdp, XdpAction } from "tsbpf/kernel";\nexport const hello_world = xdp((ctx) => {\n  return XdpAction.PASS;\n});\n',
  // one scalar that exists before the call and is used after it in both variants: the difference is the argument
  noArg: `${HEAD}export const hello_world = xdp((ctx) => {\n  const n = ctx.ingressIfindex;\n  log.info(ctx, "received a packet");\n  return n > 5 ? XdpAction.PASS : XdpAction.DROP;\n});\n`,
  arg: `${HEAD}export const hello_world = xdp((ctx) => {\n  const n = ctx.ingressIfindex;\n  log.info(ctx, "received a packet on {}", n);\n  return n > 5 ? XdpAction.PASS : XdpAction.DROP;\n});\n`,
};

interface Count {
  /** Instructions of the program (an ld_imm64 counts once, as llvm-objdump lists it). */
  insns: number;
  slots: number;
  /** Instructions of the object's sub-functions (the shared lost-record counter). */
  shared: number;
}

function countProgram(object: Uint8Array): Count {
  const o = parseObject(object);
  const p = o.programs[0]!;
  return { insns: p.insns.length, slots: p.slots.length, shared: o.functions.reduce((n, f) => n + f.insns.length, 0) };
}

export async function logLineRows(ctx: BenchContext): Promise<Row[]> {
  const anchors = [
    { anchorName: 'aya-log, 176 as published in the seed tutorial (not measured here)', anchor: 176 },
    { anchorName: 'aya-log, 252 as published in the Aya book (not measured here)', anchor: 252 },
  ];
  const base = { group: LOG_GROUP, name: 'program with one `log.info(ctx, "received a packet")` + return (examples/hello-log.bpf.ts)', unit: 'insns', better: 'lower' as const, goal: { text: 'the call ≤ 12 instructions, a scalar argument ≤ 4 (issue 5)' } };
  try {
    const build = async (name: string, text: string): Promise<Count> => {
      const src = join(ctx.workDir, `${name}.bpf.ts`);
      writeFileSync(src, text);
      return countProgram((await tsbpfBuild(ctx, src)).object);
    };
    const line = await build('hello-log', readFileSync(join(ctx.repoRoot, 'examples', 'hello-log.bpf.ts'), 'utf8'));
    const bare = await build('log_bare', SOURCES.bare);
    const call = line.insns - bare.insns;
    let perArg = Number.NaN;
    let argNote = '';
    try {
      perArg = (await build('log_arg', SOURCES.arg)).insns - (await build('log_noarg', SOURCES.noArg)).insns;
      argNote = `; one scalar argument adds ${perArg} (goal ≤ 4)`;
    } catch (e) {
      argNote = `; a call with an argument: ${reasonOf(e)}`;
    }
    const note = `the program is ${line.insns} instructions (${line.slots} slots) = \`return XdpAction.PASS\` (${bare.insns}) + the call (${call})${argNote}; ` +
      `once per object, not per call: the shared lost-record counter, ${line.shared} instructions (in .text). Counted from our compiled object (the tests count the same with llvm-objdump)`;
    const goalMet = call <= 12 && perArg <= 4;
    return anchors.map((a) => row({ ...base, ...a, ours: line.insns, goalMet, note }));
  } catch (e) {
    const why = `needs structured logging (issue 5): ${reasonOf(e)}`;
    return anchors.map((a) => unavailable({ ...base, ...a }, why));
  }
}
