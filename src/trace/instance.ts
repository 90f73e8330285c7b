/**
 * A private tracefs instance (`instances/tsbpf-PID-N`) with only the bpf_trace_printk event on.
 * The kernel writes each bpf_printk record into every instance that has the event enabled, so a
 * reader of our own instance's trace_pipe neither steals lines from someone's
 * `cat trace_pipe` nor loses lines to it (reading a trace_pipe consumes what it returns).
 * Instances of processes that died without cleaning up (SIGKILL) are removed on the next create.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TsbpfError } from '../errors.js';
import { ensureTracefs } from '../sys/mount.js';

const PREFIX = 'tsbpf-';
let counter = 0;

export class TraceInstance {
  private removed = false;

  private constructor(
    readonly tracefs: string,
    /** The instance's directory. */
    readonly dir: string,
  ) {}

  /** Creates the instance (mounting tracefs if needed) and enables bpf_trace_printk in it. */
  static create(opts: { bufferSizeKb?: number } = {}): TraceInstance {
    const tracefs = ensureTracefs();
    const instances = join(tracefs, 'instances');
    if (!existsSync(instances)) {
      throw new TsbpfError('TRACE', `${instances} does not exist: this kernel has no tracing instances`, 'use `--global` to read the shared trace_pipe');
    }
    sweepStaleInstances(instances);
    const dir = join(instances, `${PREFIX}${process.pid}-${++counter}`);
    mkdirSync(dir);
    const inst = new TraceInstance(tracefs, dir);
    try {
      if (opts.bufferSizeKb) writeFileSync(join(dir, 'buffer_size_kb'), `${opts.bufferSizeKb}\n`);
      const enable = join(dir, 'events', 'bpf_trace', 'bpf_trace_printk', 'enable');
      if (!existsSync(enable)) {
        throw new TsbpfError('TRACE', `${enable} does not exist: this kernel has no bpf_trace_printk event`, 'use `--global` to read the shared trace_pipe');
      }
      writeFileSync(enable, '1\n');
    } catch (e) {
      inst.remove();
      throw e;
    }
    return inst;
  }

  get pipePath(): string {
    return join(this.dir, 'trace_pipe');
  }

  /** Records the kernel overwrote before we read them (sum of per-CPU `overrun` counters). */
  overruns(): number {
    if (this.removed) return 0;
    return sumOverruns(this.dir);
  }

  /** Deletes the instance (close its trace_pipe first: an open file keeps it busy). */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    try {
      rmdirSync(this.dir);
    } catch {
      // Busy or already gone; a later create() sweeps it once this process has exited.
    }
  }
}

/** Sum of `overrun:` in per_cpu/cpuN/stats of a tracefs (instance) directory. */
export function sumOverruns(dir: string): number {
  let total = 0;
  let cpus: string[] = [];
  try {
    cpus = readdirSync(join(dir, 'per_cpu'));
  } catch {
    return 0;
  }
  for (const cpu of cpus) {
    try {
      const m = /^overrun:\s*(\d+)/m.exec(readFileSync(join(dir, 'per_cpu', cpu, 'stats'), 'utf8'));
      if (m) total += Number(m[1]);
    } catch {
      // CPU went offline; skip.
    }
  }
  return total;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sweepStaleInstances(instances: string): void {
  for (const name of readdirSync(instances)) {
    const m = /^tsbpf-(\d+)-\d+$/.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      rmdirSync(join(instances, name));
    } catch {
      // Another process is sweeping it at the same time.
    }
  }
}
