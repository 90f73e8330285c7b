/**
 * Streams a trace_pipe: bpf_printk output, as raw lines or parsed `TraceLine`s. The pipe is opened
 * non-blocking and waited on through the process-wide epoll poller (src/sys/poll.ts), so nothing
 * blocks the main thread or a pool thread per reader, and closing never hangs on a pending read.
 *
 * By default the reader gets a private tracefs instance (see instance.ts); `global: true` reads the
 * shared top-level trace_pipe instead (everything written there, consumed by whoever reads first).
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { SysError } from '../sys/errors.js';
import { ensureTracefs } from '../sys/mount.js';
import { Poller } from '../sys/poll.js';
import { TraceInstance, sumOverruns } from './instance.js';
import { parseTraceLine, type TraceLine } from './trace-line.js';

export interface TracePipeOptions {
  /** Read the shared top-level trace_pipe instead of a private instance. */
  global?: boolean;
  /** Only lines containing this text (anywhere in the line). */
  filter?: string;
  /** Per-CPU buffer size of the private instance, in KiB (kernel default when absent). */
  bufferSizeKb?: number;
}

/** Lines queued before we stop reading and let the kernel's buffer hold the rest. */
const HIGH_WATER = 10_000;
const CHUNK = 64 * 1024;

export class TracePipe implements AsyncIterable<TraceLine> {
  private readonly fd: number;
  private readonly instance?: TraceInstance;
  /** The tracefs directory read from: the private instance's, or the tracefs root with `global`. */
  readonly dir: string;
  private readonly decoder = new TextDecoder();
  private readonly chunk = Buffer.allocUnsafe(CHUNK);
  private partial = '';
  private queue: string[] = [];
  private head = 0;
  private waiter?: () => void;
  private failure?: Error;
  private watching = false;
  private closed = false;
  private finalOverruns = 0;
  /** Overruns counted before we opened (the global buffer's history). */
  private baseOverruns = 0;
  private readonly filter?: string;
  private readonly poller = Poller.shared();

  private constructor(opts: TracePipeOptions) {
    this.filter = opts.filter;
    if (opts.global) {
      this.dir = ensureTracefs();
    } else {
      this.instance = TraceInstance.create({ bufferSizeKb: opts.bufferSizeKb });
      this.dir = this.instance.dir;
    }
    if (!this.instance) this.baseOverruns = sumOverruns(this.dir);
    const path = join(this.dir, 'trace_pipe');
    try {
      this.fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      this.instance?.remove();
      const err = e as NodeJS.ErrnoException;
      throw new SysError(`open(${path})`, -(err.errno ?? -5));
    }
  }

  /** Opens the pipe; lines are read only while someone iterates (or a callback is attached). */
  static open(opts: TracePipeOptions = {}): TracePipe {
    return new TracePipe(opts);
  }

  /** Asks for one readiness notification (the poller is one-shot). */
  private watch(): void {
    if (this.watching || this.closed || this.failure) return;
    this.watching = true;
    if (this.poller.has(this.fd)) this.poller.rearm(this.fd);
    else this.poller.add(this.fd, () => this.ready(), (e) => this.fail(e));
  }

  private ready(): void {
    this.watching = false;
    this.drain();
    // Keep pulling lines out of the kernel's buffer while our queue has room.
    if (this.pending < HIGH_WATER) this.watch();
  }

  private fail(e: Error): void {
    this.failure = e;
    this.wakeup();
  }

  private wakeup(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private get pending(): number {
    return this.queue.length - this.head;
  }

  /** Reads everything available now into the queue. */
  private drain(): void {
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.chunk, 0, CHUNK, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') break;
        if (code === 'EINTR') continue;
        this.fail(new SysError(`read(${join(this.dir, 'trace_pipe')})`, -((e as NodeJS.ErrnoException).errno ?? -5)));
        return;
      }
      if (n <= 0) break;
      const text = this.partial + this.decoder.decode(this.chunk.subarray(0, n), { stream: true });
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) if (l && (!this.filter || l.includes(this.filter))) this.queue.push(l);
    }
    if (this.pending) this.wakeup();
  }

  /** The next raw line, or undefined once closed. */
  async nextLine(): Promise<string | undefined> {
    for (;;) {
      if (this.pending) {
        const line = this.queue[this.head++];
        if (this.head === this.queue.length) {
          this.queue = [];
          this.head = 0;
        }
        if (this.pending < HIGH_WATER / 2) this.watch();
        return line;
      }
      if (this.failure) throw this.failure;
      if (this.closed) return undefined;
      this.watch();
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Raw lines exactly as the kernel wrote them. */
  async *lines(): AsyncIterableIterator<string> {
    for (;;) {
      const l = await this.nextLine();
      if (l === undefined) return;
      yield l;
    }
  }

  /** Parsed lines (lines in another shape are skipped; use lines() to see everything). */
  async *[Symbol.asyncIterator](): AsyncIterator<TraceLine> {
    for await (const raw of this.lines()) {
      const l = parseTraceLine(raw);
      if (l) yield l;
    }
  }

  /** Records the kernel overwrote since we opened because nobody read them in time. */
  overruns(): number {
    if (this.closed) return this.finalOverruns;
    return (this.instance ? this.instance.overruns() : sumOverruns(this.dir)) - this.baseOverruns;
  }

  /** Stops reading, closes the pipe and removes the private instance. Pending iterations end. */
  close(): void {
    if (this.closed) return;
    this.finalOverruns = this.overruns();
    this.closed = true;
    this.watching = false;
    this.poller.remove(this.fd);
    closeSync(this.fd);
    this.instance?.remove();
    this.wakeup();
  }
}

/** Convenience: parsed bpf_printk lines until `signal` aborts. */
export async function* traceLines(opts: TracePipeOptions & { signal?: AbortSignal } = {}): AsyncIterableIterator<TraceLine> {
  const pipe = TracePipe.open(opts);
  const onAbort = (): void => pipe.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    yield* pipe;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    pipe.close();
  }
}
