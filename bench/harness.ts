/**
 * Benchmark harness: each row is our figure beside an anchor's (clang, libbpf, bpftool, aya-log)
 * measured in the same run, with their ratio. A row whose anchor cannot be measured here says
 * why instead of guessing.
 */
import { spawnSync } from 'node:child_process';
import { cpus, release } from 'node:os';

export interface Row {
  group: string;
  name: string;
  unit: string;
  ours: number | null;
  anchorName: string;
  anchor: number | null;
  /** ours / anchor; for "higher is better" units the table says so in `better`. */
  ratio: number | null;
  better: 'lower' | 'higher';
  note?: string;
  /** Set when the row could not be measured: the reason. */
  unavailable?: string;
}

export interface BenchContext {
  quick: boolean;
  /** Scratch directory for built objects and C anchors. */
  workDir: string;
  repoRoot: string;
}

export type RowGroup = (ctx: BenchContext) => Promise<Row[]>;

export function row(r: Omit<Row, 'ratio'>): Row {
  const ratio = r.ours !== null && r.anchor !== null && r.anchor !== 0 ? r.ours / r.anchor : null;
  return { ...r, ratio };
}

export function unavailable(group: string, name: string, anchorName: string, unit: string, reason: string): Row {
  return { group, name, unit, ours: null, anchorName, anchor: null, ratio: null, better: 'lower', unavailable: reason };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Wall-clock seconds (median over `runs`, timed around the spawn so both sides pay the same
 * process start-up) and peak RSS in KiB (from /usr/bin/time when present, else null).
 */
export function timeProcess(cmd: string, args: string[], runs: number): { seconds: number; maxRssKiB: number | null } {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    const t1 = process.hrtime.bigint();
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    times.push(Number(t1 - t0) / 1e9);
  }
  let maxRssKiB: number | null = null;
  const t = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8' });
  if (t.status === 0) maxRssKiB = Number(t.stderr.trim().split('\n').pop());
  return { seconds: median(times), maxRssKiB };
}

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name} || test -x /usr/sbin/${name}`]).status === 0;
}

export function machine(): { kernel: string; cpus: number; cpuModel: string; node: string } {
  const c = cpus();
  return { kernel: release(), cpus: c.length, cpuModel: c[0]?.model ?? 'unknown', node: process.version };
}
