/**
 * Benchmark harness: each row is our figure beside an anchor's (clang, libbpf, bpftool, iproute2,
 * aya-log) measured in the same run, with their ratio and, where an issue names one, the goal and
 * whether it is met. A row that cannot be measured here says why (and how to fix it) instead of
 * guessing. Cleanups registered with `defer` run after each group and on SIGINT/SIGTERM, like the
 * tests' (namespaces, pins, child processes).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Row {
  group: string;
  name: string;
  unit: string;
  ours: number | null;
  anchorName: string;
  anchor: number | null;
  /** ours / anchor. */
  ratio: number | null;
  better: 'lower' | 'higher';
  /** The goal an issue sets for this ratio, e.g. `≤ 1.5×` (issue 3). */
  goal?: string;
  /** Whether the measured ratio meets the goal (absent when there is no goal or no ratio). */
  met?: boolean;
  note?: string;
  /** Set when the row could not be measured: the reason. */
  unavailable?: string;
}

export interface Machine {
  kernel: string;
  cpus: number;
  cpuModel: string;
  memGiB: number;
  node: string;
  /** 1-minute load average when the run started: other work on the machine skews timings. */
  loadAtStart: number;
}

export interface BenchContext {
  quick: boolean;
  /** Scratch directory for built objects and C anchors (removed at the end). */
  workDir: string;
  repoRoot: string;
  machine: Machine;
  /** Registers a cleanup (synchronous) run after the current group, also when it fails or on a signal. */
  defer(fn: () => void): void;
  /** Progress line on stderr. */
  log(msg: string): void;
}

export type RowGroup = (ctx: BenchContext) => Promise<Row[]>;

/** A goal on the ratio: `max` (lower is better) or `min` (higher is better), with its text. */
export interface Goal {
  text: string;
  max?: number;
  min?: number;
}

export interface RowInput {
  group: string;
  name: string;
  unit: string;
  ours: number | null;
  anchorName: string;
  anchor: number | null;
  better: 'lower' | 'higher';
  goal?: Goal;
  /** Overrides the goal check when the goal is not on the ratio (e.g. an absolute instruction budget). */
  goalMet?: boolean;
  note?: string;
}

export function row(r: RowInput): Row {
  const ratio = r.ours !== null && r.anchor !== null && r.anchor !== 0 ? r.ours / r.anchor : null;
  const out: Row = { group: r.group, name: r.name, unit: r.unit, ours: r.ours, anchorName: r.anchorName, anchor: r.anchor, ratio, better: r.better };
  if (r.goal) {
    out.goal = r.goal.text;
    if (r.goalMet !== undefined) out.met = r.goalMet;
    else if (ratio !== null) out.met = (r.goal.max === undefined || ratio <= r.goal.max) && (r.goal.min === undefined || ratio >= r.goal.min);
  }
  if (r.note) out.note = r.note;
  return out;
}

export function unavailable(r: Omit<RowInput, 'ours' | 'anchor'> & { ours?: number | null; anchor?: number | null }, reason: string): Row {
  const out = row({ ...r, ours: r.ours ?? null, anchor: r.anchor ?? null });
  out.unavailable = reason;
  return out;
}

/** Thrown by helpers when something a row needs is missing; the row becomes "unavailable: message". */
export class Unavailable extends Error {}

export function reasonOf(e: unknown): string {
  if (e instanceof Unavailable) return e.message;
  const msg = e instanceof Error ? e.message : String(e);
  return `failed: ${msg.split('\n').filter((l) => l.trim())[0] ?? msg}`;
}

export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Mean without the smallest and largest values (when there are at least 5). */
export function trimmedMean(xs: number[]): number {
  if (xs.length === 0) throw new Error('mean of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const kept = s.length >= 5 ? s.slice(1, -1) : s;
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** Median seconds of `runs` calls of `fn` (after `warmup` untimed calls). */
export async function timeIt(fn: () => unknown, runs: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowNs();
    await fn();
    times.push(Number(nowNs() - t0) / 1e9);
  }
  return median(times);
}

/** Runs a command to completion; a non-zero exit throws with its output. */
export function run(cmd: string, args: string[], opts: { allowFail?: boolean; input?: string } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  const out = { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (!opts.allowFail && out.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${out.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  }
  return out;
}

/**
 * Wall-clock seconds of a whole process (median over `runs`, timed around the spawn so both
 * sides pay their process start-up); `between` runs untimed after each run (e.g. removing a pin).
 */
export function timeProcess(cmd: string, args: string[], runs: number, between?: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowNs();
    run(cmd, args);
    times.push(Number(nowNs() - t0) / 1e9);
    between?.();
  }
  return median(times);
}

/** Peak resident memory of a whole process in MiB, from GNU time (median of `runs`). */
export function peakRssMiB(cmd: string, args: string[], runs: number): number {
  requireTools(['time']);
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = run('/usr/bin/time', ['-f', 'TSBPF_BENCH_MAXRSS=%M', cmd, ...args]);
    const m = /TSBPF_BENCH_MAXRSS=(\d+)/.exec(r.stderr);
    if (!m) throw new Error(`/usr/bin/time printed no peak memory for ${cmd}`);
    xs.push(Number(m[1]) / 1024);
  }
  return median(xs);
}

const INSTALL: Record<string, { test: () => boolean; how: string }> = {
  clang: { test: () => onPath('clang'), how: 'apt-get install clang' },
  gcc: { test: () => onPath('gcc'), how: 'apt-get install gcc' },
  bpftool: { test: () => onPath('bpftool'), how: 'apt-get install bpftool' },
  ip: { test: () => onPath('ip'), how: 'apt-get install iproute2' },
  'libbpf-dev': { test: libbpfDev, how: 'apt-get install libbpf-dev' },
  time: { test: () => existsSync('/usr/bin/time'), how: 'apt-get install time (GNU time, for peak memory)' },
};

function onPath(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name} >/dev/null || test -x /usr/sbin/${name} || test -x /sbin/${name}`]).status === 0;
}

/** libbpf's headers and a shared library to link with (-lbpf). */
function libbpfDev(): boolean {
  if (!existsSync('/usr/include/bpf/libbpf.h')) return false;
  const libs = ['/usr/lib/x86_64-linux-gnu/libbpf.so', '/usr/lib/aarch64-linux-gnu/libbpf.so', '/usr/lib64/libbpf.so', '/usr/lib/libbpf.so'];
  return libs.some(existsSync) || spawnSync('pkg-config', ['--exists', 'libbpf']).status === 0;
}

/** Throws Unavailable naming each missing tool and the command that installs it. */
export function requireTools(tools: string[]): void {
  const missing = tools.filter((t) => !(INSTALL[t] ? INSTALL[t].test() : onPath(t)));
  if (missing.length) {
    throw new Unavailable(missing.map((t) => `${t} is not installed (${INSTALL[t]?.how ?? `install ${t}`})`).join('; '));
  }
}

/** Throws Unavailable when the kernel side cannot run (not root, no bpf(2)). */
export function requireKernel(): void {
  if (process.platform !== 'linux') throw new Unavailable('needs Linux');
  if (process.getuid?.() !== 0) throw new Unavailable('needs root (BPF_PROG_LOAD, test runs, XDP attach): run `sudo npm run bench`');
}

export function machine(): Machine {
  const c = cpus();
  let model = c[0]?.model ?? 'unknown';
  if (model === 'unknown') {
    try {
      model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
    } catch {
      // keep 'unknown'
    }
  }
  return { kernel: release(), cpus: c.length, cpuModel: model.trim(), memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAtStart: loadavg()[0]! };
}
