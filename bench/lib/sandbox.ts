/**
 * What the kernel rows create, always removed afterwards (through ctx.defer, which also runs on
 * SIGINT): a pin directory under /sys/fs/bpf, network namespaces with a veth pair, and child
 * processes speaking a line protocol (consumers, test-run drivers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureBpffs } from '../../src/sys/mount.js';
import { type BenchContext, run } from '../harness.js';

let counter = 0;

function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** A fresh directory on bpffs for this run's pins; removed (with every pin in it) by the group's cleanup. */
export function pinDir(ctx: BenchContext): string {
  const root = ensureBpffs();
  const dir = join(root, unique('tsbpf-bench'));
  mkdirSync(dir, { mode: 0o700 });
  ctx.defer(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface BenchNetns {
  name: string;
  /** veth ends inside the namespace, both up. */
  veth: [string, string];
}

/** A network namespace with `lo` and a veth pair up; deleted by the group's cleanup. */
export function netns(ctx: BenchContext): BenchNetns {
  const name = unique('tsbpf-bench');
  run('ip', ['netns', 'add', name]);
  ctx.defer(() => void run('ip', ['netns', 'del', name], { allowFail: true }));
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  run('ip', ['-n', name, 'link', 'add', 'bva', 'type', 'veth', 'peer', 'name', 'bvb']);
  run('ip', ['-n', name, 'link', 'set', 'bva', 'up']);
  run('ip', ['-n', name, 'link', 'set', 'bvb', 'up']);
  return { name, veth: ['bva', 'bvb'] };
}

/** A child process whose stdout is read line by line. */
export class LineChild {
  private readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  private stderr = '';
  readonly exited: Promise<number>;
  private exitCode: number | null = null;
  private readonly proc: ChildProcess;

  constructor(ctx: BenchContext, readonly what: string, cmd: string, args: string[]) {
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // SIGTERM, not SIGKILL: the children clean up after themselves (ts-trace removes its tracefs instance).
    ctx.defer(() => {
      if (this.exitCode === null) this.proc.kill('SIGTERM');
    });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      this.lines.push(l);
      this.notify();
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : -1);
        this.notify();
        resolve(this.exitCode);
      });
      this.proc.on('error', (e) => {
        this.stderr += e.message;
        this.exitCode = -1;
        this.notify();
        resolve(-1);
      });
    });
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next stdout line (waiting up to `timeoutMs`); throws with the child's stderr if it exits first. */
  async line(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = this.lines.shift();
      if (l !== undefined) return l;
      if (this.exitCode !== null) throw new Error(`${this.what} exited (${this.exitCode}) before answering: ${this.stderr.trim().split('\n').slice(-2).join(' / ') || 'no output'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.what} gave no answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next stdout line parsed as JSON. */
  async json<T>(timeoutMs?: number): Promise<T> {
    const l = await this.line(timeoutMs);
    try {
      return JSON.parse(l) as T;
    } catch {
      throw new Error(`${this.what} printed '${l.slice(0, 80)}', not JSON`);
    }
  }

  async expect(text: string, timeoutMs?: number): Promise<void> {
    const l = await this.line(timeoutMs);
    if (l !== text) throw new Error(`${this.what} printed '${l.slice(0, 80)}', expected '${text}'`);
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exitCode === null) this.proc.kill(sig);
  }

  async finish(timeoutMs = 30_000): Promise<number> {
    this.proc.stdin!.end();
    const t = new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`${this.what} did not exit within ${timeoutMs} ms`)), timeoutMs).unref());
    const code = await Promise.race([this.exited, t]);
    if (code !== 0) throw new Error(`${this.what} exited ${code}: ${this.stderr.trim().split('\n').slice(-2).join(' / ')}`);
    return code;
  }
}

let rtOk: boolean | undefined;

/**
 * Whether consumers can run SCHED_FIFO (`chrt -f 10`, root). Producer and consumer each need a
 * CPU; on a 2-CPU machine with anything else running, a normal-priority consumer is starved at
 * random and the share it consumes swings from 10 % to 99 % between rounds. Real-time priority
 * (the same for the C and the TypeScript consumer) measures the reader instead of the scheduler.
 */
export function realtimeConsumers(): boolean {
  if (rtOk === undefined) rtOk = run('sh', ['-c', 'command -v chrt >/dev/null && chrt -f 10 true'], { allowFail: true }).status === 0;
  return rtOk;
}

/** A consumer process (`cmd args`), under SCHED_FIFO when realtimeConsumers(). */
export function consumerChild(ctx: BenchContext, what: string, cmd: string, args: string[]): LineChild {
  return realtimeConsumers() ? new LineChild(ctx, what, 'chrt', ['-f', '10', cmd, ...args]) : new LineChild(ctx, what, cmd, args);
}

/** `node dist/bench/proc/NAME.js ARGS` as a consumer process. */
export function nodeConsumer(ctx: BenchContext, name: string, args: string[]): LineChild {
  const script = join(ctx.repoRoot, 'dist', 'bench', 'proc', `${name}.js`);
  return consumerChild(ctx, `bench/proc/${name}`, process.execPath, [script, ...args]);
}

/** How consumers were scheduled, for the notes. */
export function schedulingNote(): string {
  return realtimeConsumers() ? 'consumers run SCHED_FIFO (chrt -f 10)' : 'consumers run at normal priority (chrt unavailable): sensitive to other load';
}
