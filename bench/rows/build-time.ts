/**
 * Row 6 (issue 4): `tsbpf build` time and peak memory vs `clang -O2 -g -target bpf` on the same
 * programs (each TypeScript example and its C equivalent in bench/c/). Whole process: the CLI
 * (`node bin/tsbpf.js build X -o OUT`) vs clang, each timed around the spawn, median of runs;
 * peak memory from GNU time. Warm process: the median of repeated builds inside one process that
 * has already built a few times (bench/proc/warm-build.ts), and that process's peak memory.
 */
import { join } from 'node:path';
import { type BenchContext, type Row, Unavailable, median, peakRssMiB, reasonOf, row, run, timeProcess, unavailable } from '../harness.js';
import { CLANG_FLAGS, clangBuild, examplePairs, noCReason, tsbpfBuild } from '../lib/build.js';
import { LineChild } from '../lib/sandbox.js';

export const BUILD_GROUP = '6. Build time and peak memory';
const WHOLE_GOAL = { text: '≤ 3× (issue 4)', max: 3 };
const WARM_GOAL = { text: "≤ clang's whole process (issue 4)", max: 1 };

export async function buildRows(ctx: BenchContext): Promise<Row[]> {
  const runs = ctx.quick ? 5 : 9;
  const warmRuns = ctx.quick ? 10 : 40;
  const memRuns = ctx.quick ? 1 : 3;
  const rows: Row[] = [];
  const cli = join(ctx.repoRoot, 'bin', 'tsbpf.js');
  const warm = join(ctx.repoRoot, 'dist', 'bench', 'proc', 'warm-build.js');
  // The floor any Node CLI pays before running a line of its own: context for the whole-process rows.
  const nodeFloor = timeProcess(process.execPath, ['-e', '0'], runs);
  for (const ex of examplePairs(ctx.repoRoot)) {
    const anchorName = 'clang -O2 -g -target bpf (whole process)';
    const g = { group: BUILD_GROUP, anchorName };
    const wholeT = { ...g, name: `tsbpf build examples/${ex.name}.bpf.ts, whole process`, unit: 's', better: 'lower' as const, goal: WHOLE_GOAL };
    const warmT = { ...g, name: `examples/${ex.name}.bpf.ts built in a warm process`, unit: 's', better: 'lower' as const, goal: WARM_GOAL };
    const wholeM = { ...g, name: `peak memory, tsbpf build examples/${ex.name}.bpf.ts (whole process)`, unit: 'MiB', better: 'lower' as const };
    const warmM = { ...g, name: `peak memory of the warm build process (${ex.name})`, unit: 'MiB', better: 'lower' as const };
    const all = [wholeT, warmT, wholeM, warmM];
    if (!ex.c) {
      rows.push(...all.map((r) => unavailable(r, noCReason(ex)!)));
      continue;
    }
    let clangT: number | null = null;
    let clangM: number | null = null;
    try {
      clangBuild(ctx, ex.c); // checks clang and the source once, with a clear reason
      const cOut = join(ctx.workDir, `${ex.name}.timed.o`);
      const cArgs = [...CLANG_FLAGS, '-c', ex.c, '-o', cOut];
      await tsbpfBuild(ctx, ex.ts); // the compiler's exact error when it cannot build the example
      ctx.log(`build ${ex.name}`);
      const out = join(ctx.workDir, `${ex.name}.cli.o`);
      const args = [cli, 'build', ex.ts, '-o', out];
      run(process.execPath, args); // first run: page cache, compile cache if any
      run('clang', cArgs);
      // Alternate the two so load from elsewhere on the machine hits both alike.
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < runs; i++) {
        ours.push(timeProcess(process.execPath, args, 1));
        theirs.push(timeProcess('clang', cArgs, 1));
      }
      const oursT = median(ours);
      clangT = median(theirs);
      clangM = peakRssMiB('clang', cArgs, memRuns);
      const oursM = peakRssMiB(process.execPath, args, memRuns);
      const child = new LineChild(ctx, 'bench/proc/warm-build', process.execPath, [warm, ex.ts, join(ctx.workDir, `${ex.name}.warm.o`), String(warmRuns)]);
      const w = await child.json<{ seconds: number; maxRssKiB: number }>(120_000);
      await child.finish();
      const note = `median of ${runs} runs; a bare \`node -e 0\` takes ${(nodeFloor * 1000).toFixed(1)} ms here`;
      rows.push(row({ ...wholeT, ours: oursT, anchor: clangT, note }));
      rows.push(row({ ...warmT, ours: w.seconds, anchor: clangT, note: `median of ${warmRuns} builds after 3 warm-up builds` }));
      rows.push(row({ ...wholeM, ours: oursM, anchor: clangM, note: 'GNU time %M' }));
      rows.push(row({ ...warmM, ours: w.maxRssKiB / 1024, anchor: clangM, note: `after ${warmRuns + 3} builds; process.resourceUsage().maxRSS` }));
    } catch (e) {
      const why = e instanceof Unavailable ? e.message : reasonOf(e);
      rows.push(unavailable({ ...wholeT, anchor: clangT }, why), unavailable({ ...warmT, anchor: clangT }, why));
      rows.push(unavailable({ ...wholeM, anchor: clangM }, why), unavailable({ ...warmM, anchor: clangM }, why));
    }
  }
  return rows;
}
