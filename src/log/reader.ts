/**
 * LogReader: the ring buffer `tsbpf_logs` → LogRecord objects, filtered by TSBPF_LOG, with the
 * kernel's lost-record counter turned into `N log records lost` records (never silent).
 *
 * Losses happen only while the ring is full, i.e. while unread records are waiting; the reader
 * looks at the counter every time it has caught up with the producer (and when it is closed),
 * so every loss is reported after the records that were in the ring when it happened. The
 * counter is read through a read-only mapping of the object's `.bss` (no syscall).
 */
import type { LoadedObject } from '../loader/index.js';
import { RingBuffer, type MapSource } from '../maps/ringbuf.js';
import { readLogMeta, type LogLevelName, type LogMeta } from '../object/log-meta.js';
import { TsbpfError } from '../errors.js';
import { LogDecoder, lostNotice } from './decode.js';
import { logEnabled, parseLogFilter, type LogFilter } from './filter.js';
import { jsonValue, formatLine, type LogRecord } from './format.js';
import { lostCounter } from './setup.js';

export interface LogReaderOptions {
  /** A filter or TSBPF_LOG text; default `process.env.TSBPF_LOG` (unset → info). */
  filter?: LogFilter | string;
  /** Clock for record times (tests). */
  now?: () => Date;
}

/** What a reader reads: the table, the ring map, and the lost counter. */
export interface LogSource {
  meta: LogMeta;
  ring: MapSource;
  readLost: () => bigint;
  /** Releases what readLost uses. */
  release?: () => void;
}

export interface LogReaderStats {
  /** Records taken from the ring. */
  received: number;
  /** Records handed out (not counting the reader's own notices). */
  delivered: number;
  /** Records the filter dropped (when the load-time setting let more through than the filter). */
  filtered: number;
  /** Records that did not match the table. */
  invalid: number;
  /** Records the kernel reported lost so far. */
  lost: number;
}

/** pino, bunyan and the like: `logger.info(mergingObject, message)`. */
export interface ObjectLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  trace?(obj: object, msg: string): void;
}

const BATCH = 4096;

export class LogReader implements AsyncIterable<LogRecord> {
  readonly meta: LogMeta;
  readonly filter: LogFilter;
  readonly stats: LogReaderStats = { received: 0, delivered: 0, filtered: 0, invalid: 0, lost: 0 };
  private readonly rb: RingBuffer;
  private readonly decoder: LogDecoder;
  private readonly now: () => Date;
  private readonly src: LogSource;
  private queue: LogRecord[] = [];
  private head = 0;
  private lostSeen = 0n;
  private batchTime = 0;
  private closed = false;
  private sink?: (r: LogRecord) => void;

  constructor(src: LogSource, opts: LogReaderOptions = {}) {
    this.src = src;
    this.meta = src.meta;
    this.filter = typeof opts.filter === 'object' ? opts.filter : parseLogFilter(opts.filter ?? process.env.TSBPF_LOG);
    this.now = opts.now ?? (() => new Date());
    this.decoder = new LogDecoder(src.meta);
    this.rb = RingBuffer.open(src.ring);
  }

  /** A reader for a loaded object that logs (throws when it has no `.tsbpf.log`). */
  static open(obj: LoadedObject, opts: LogReaderOptions = {}): LogReader {
    const meta = readLogMeta(obj.model.elf);
    if (!meta) throw new TsbpfError('LOG', 'this object has no log calls (no .tsbpf.log section)');
    const lost = lostCounter(obj, meta.lost);
    try {
      return new LogReader({ meta, ring: obj.map(meta.ringbuf), readLost: lost.read, release: lost.close }, opts);
    } catch (e) {
      lost.close();
      throw e;
    }
  }

  /** The next record (or loss report) available now, else undefined. */
  next(): LogRecord | undefined {
    if (this.head === this.queue.length && !this.closed) this.fill();
    if (this.head === this.queue.length) return undefined;
    const r = this.queue[this.head++]!;
    if (this.head === this.queue.length) this.queue = [], this.head = 0;
    return r;
  }

  /** Takes up to BATCH records from the ring; when caught up, looks at the lost counter. */
  private fill(): void {
    this.batchTime = this.now().getTime(); // one clock read per batch: its records were all taken from the ring now
    const n = this.rb.consume((rec) => this.accept(rec), BATCH);
    if (n < BATCH) this.checkLost();
  }

  private accept(rec: Uint8Array): void {
    this.stats.received++;
    const r = this.decoder.decode(rec, new Date(this.batchTime));
    if (r.id === undefined) this.stats.invalid++;
    else if (!logEnabled(this.filter, r.level, r.target)) return void this.stats.filtered++;
    else this.stats.delivered++;
    this.queue.push(r);
  }

  /** Reads the counter now; queues `N log records lost` when it moved. Returns the new losses. */
  checkLost(): number {
    const v = this.src.readLost();
    if (v <= this.lostSeen) return 0;
    const n = Number(v - this.lostSeen);
    this.lostSeen = v;
    this.stats.lost += n;
    this.queue.push(lostNotice(this.now(), n));
    return n;
  }

  /** Resolves when records may be available (or the reader was closed). */
  wait(): Promise<void> {
    return this.closed ? Promise.resolve() : this.rb.wait();
  }

  /** Records as they arrive until close() (then those still pending, and the last loss report). */
  async *[Symbol.asyncIterator](): AsyncIterator<LogRecord> {
    for (;;) {
      const r = this.next();
      if (r) { yield r; continue; }
      if (this.closed) return;
      await this.wait();
    }
  }

  /**
   * Hands every record to `fn` as it arrives, in batches per wake-up. close() delivers what is
   * left. An error thrown by `fn` stops delivery and goes to `onError` (default: rethrown).
   */
  subscribe(fn: (r: LogRecord) => void, onError: (e: Error) => void = (e) => { throw e; }): void {
    if (this.sink) throw new TsbpfError('LOG', 'this log reader already has a subscriber');
    this.sink = fn;
    const pump = async (): Promise<void> => {
      while (!this.closed && this.sink === fn) {
        this.deliver();
        await this.wait();
      }
    };
    pump().catch((e: unknown) => {
      this.sink = undefined;
      onError(e instanceof Error ? e : new Error(String(e)));
    });
  }

  private deliver(): void {
    const fn = this.sink;
    if (!fn) return;
    for (let r = this.next(); r; r = this.next()) fn(r);
  }

  /** Sends records to a logger: pino-style (`logger.info({ target, file, line, args }, message)`) or `console` (formatted lines). */
  pipe(logger: ObjectLogger | Console, onError?: (e: Error) => void): void {
    this.subscribe(toLogger(logger), onError);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Takes what is still in the ring and the final loss count (delivered to the subscriber, or left
   * for the iterator), then unmaps the ring. The maps belong to the loaded object.
   */
  close(): void {
    if (this.closed) return;
    try {
      this.fill();
      while (this.rb.consume((rec) => this.accept(rec), BATCH) > 0) this.batchTime = this.now().getTime();
      this.checkLost();
      this.closed = true;
      this.deliver();
    } finally {
      this.closed = true;
      this.rb.close();
      this.src.release?.();
    }
  }
}

const CONSOLE_METHOD: Record<LogLevelName, 'error' | 'warn' | 'info' | 'debug'> = { error: 'error', warn: 'warn', info: 'info', debug: 'debug', trace: 'debug' };

/** A record handler for `logger`: console gets formatted lines, other loggers (obj, msg) calls. */
export function toLogger(logger: ObjectLogger | Console): (r: LogRecord) => void {
  if (logger === globalThis.console) {
    const c = logger as Console;
    return (r) => c[CONSOLE_METHOD[r.level]](formatLine(r));
  }
  const l = logger as ObjectLogger;
  return (r) => {
    const fields: Record<string, unknown> = { target: r.target, file: r.file, line: r.line, args: r.args.map(jsonValue) };
    if (r.lost !== undefined) fields.lost = r.lost;
    const method = (r.level === 'trace' ? (l.trace ?? l.debug) : l[r.level]).bind(l);
    method(fields, r.message);
  };
}
