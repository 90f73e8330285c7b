/**
 * Row 6's warm-process side: `node dist/bench/proc/warm-build.js FILE.bpf.ts OUT.o RUNS` compiles
 * the file RUNS times in one process (after 3 untimed builds that load and JIT the compiler),
 * writing the object each time as `tsbpf build` does, and prints the median build time and the
 * process's peak resident memory as one JSON line.
 */
import { writeFileSync } from 'node:fs';
import { compileFile } from '../../src/compiler/compile.js';

const [src, out, runsText] = process.argv.slice(2);
const runs = Number(runsText);
if (!src || !out || !(runs > 0)) {
  process.stderr.write('usage: warm-build FILE.bpf.ts OUT.o RUNS\n');
  process.exit(2);
}
const once = (): void => {
  const r = compileFile(src);
  if (!r.object) {
    const d = r.diagnostics[0];
    process.stderr.write(`warm-build: ${src} does not compile: ${d ? `${d.line}:${d.col}: ${d.message}` : 'no object'}\n`);
    process.exit(1);
  }
  writeFileSync(out, r.object);
};
for (let i = 0; i < 3; i++) once();
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  once();
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
times.sort((a, b) => a - b);
const mid = times.length >> 1;
const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
process.stdout.write(`${JSON.stringify({ seconds: median, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
