/**
 * LogReader: the ring buffer `tsbpf_logs` → LogRecord objects, filtered by TSBPF_LOG, with the
 * kernel's lost-record counter turned into `N log records lost` records (never silent).
 *
 * Fast path: records are taken with RingBuffer.consumeRaw (no allocation per record by the ring
 * reader); the site id is read from the ring, a site the filter hides is skipped there (its
 * record is never decoded), and a shown one becomes a LogEntry holding only its argument words
 * (Int32Array loads for sites of 32/64-bit integers) — message, values and Date are made when
 * first asked for. The clock is read once per ring read, whose records share it (a Stamp).
 * Ring reads take at most 256 records: a batch subscriber's array keeps that many alive, and V8's
 * young-generation collections copy what is alive — with 4096 they took 0.5–8 ms, long enough
 * for a fast producer to fill the default ring, with 256 ~0.1–0.3 ms. Subscribers may ask for
 * reused record objects (`reuse`): nothing is allocated per record then.
 *
 * Losses happen only while the ring is full, i.e. while unread records are waiting; the reader
 * looks at the counter every time it has caught up with the producer (and when it is closed),
 * so every loss is reported after the records that were in the ring when it happened. The
 * counter is read through a read-only mapping of the object's `.bss` (no syscall).
 *
 * The log layer does not import the loader (the loader imports it: `loadObject(…, { log })`,
 * `obj.logs()`); it reads a loaded object through the structural `LogHost`.
 */
import type { BpfMap } from '../maps/index.js';
import { RingBuffer, type MapSource } from '../maps/ringbuf.js';
import type { BpfObject } from '../object/index.js';
import { readLogMeta, type LogLevelName, type LogMeta } from '../object/log-meta.js';
import { TsbpfError } from '../errors.js';
import { LogDecoder, invalidLength, lostNotice } from './decode.js';
import { parseLogFilter, type LogFilter } from './filter.js';
import { formatLine, type LogRecord } from './format.js';
import { LogEntry, Stamp } from './record.js';
import { readWords } from './site.js';
import { jsonValue } from './text.js';
import { lostCounter } from './setup.js';

export interface LogReaderOptions {
  /** A filter or TSBPF_LOG text; default the one the object was loaded with (`log` option), else `process.env.TSBPF_LOG` (unset → info). */
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

/** What LogReader.open needs of a loaded object (a LoadedObject has it). */
export interface LogHost {
  readonly model: BpfObject;
  readonly maps: ReadonlyMap<string, BpfMap>;
  readGlobal(name: string): unknown;
  /** The filter the object's log levels were set from at load; false: logging was disabled at load. */
  readonly logFilter?: LogFilter | false;
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

export interface SubscribeOptions {
  /**
   * Hand out reused record objects (no allocation per record): a record is valid until the
   * callback that received it returns. Default false: every record is a new object to keep.
   */
  reuse?: boolean;
}

/** pino, bunyan and the like: `logger.info(mergingObject, message)`. */
export interface ObjectLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  trace?(obj: object, msg: string): void;
}

/** Records taken per ring read (see the header): the loss check and batch delivery happen at least this often. */
const BATCH = 256;
const DENSE_IDS = 65536;

export class LogReader implements AsyncIterable<LogRecord> {
  readonly meta: LogMeta;
  readonly filter: LogFilter;
  readonly stats: LogReaderStats = { received: 0, delivered: 0, filtered: 0, invalid: 0, lost: 0 };
  private readonly rb: RingBuffer;
  private readonly decoder: LogDecoder;
  private readonly clock: () => number;
  private readonly src: LogSource;
  private queue: LogRecord[] = [];
  private head = 0;
  private lostSeen = 0n;
  /**
   * Records reused by a subscriber that asked for it (`reuse`): slot k of a ring read (batch
   * subscribers, `poolStep` 1) or always slot 0 (record subscribers, `poolStep` 0).
   */
  private pool?: LogEntry[];
  private poolN = 0;
  private poolStep = 0;
  /** When the current ring read started (shared by its records). */
  private stamp = new Stamp(0);
  private closed = false;
  /** close() was called from inside a record callback: finished when the ring read returns. */
  private closeWanted = false;
  private draining = false;
  private sink?: (r: LogRecord) => void;
  /** After each ring read (batch subscribers). */
  private flush?: () => void;
  /** Where records go: the queue (next/iterator) or the subscriber. */
  private emit: (r: LogRecord) => void;
  /** The raw-record handler given to the ring reader (bound once). */
  private readonly take: (view: DataView, off: number, len: number, bytes: Uint8Array) => void;

  constructor(src: LogSource, opts: LogReaderOptions = {}) {
    this.src = src;
    this.meta = src.meta;
    this.filter = typeof opts.filter === 'object' ? opts.filter : parseLogFilter(opts.filter ?? process.env.TSBPF_LOG);
    const now = opts.now;
    this.clock = now ? () => now().getTime() : Date.now;
    this.decoder = new LogDecoder(src.meta, this.filter);
    this.emit = (r) => void this.queue.push(r);
    const { dense, sparse } = this.decoder;
    const stats = this.stats;
    this.rb = RingBuffer.open(src.ring);
    // The ring's data area as int32, for `aligned` sites (consumeRaw hands out this view's offsets).
    const ring = this.rb.data;
    const h = new Int32Array(ring.buffer, ring.byteOffset, ring.byteLength >> 2);
    this.take = (view, off, len, bytes) => {
      stats.received++;
      const id = len >= 4 ? view.getUint32(off, true) : -1;
      const site = id < 0 ? undefined : id < DENSE_IDS ? dense[id] : sparse.get(id);
      if (site !== undefined && len >= site.size) {
        if (!site.enabled) return void stats.filtered++;
        stats.delivered++;
        const pool = this.pool;
        if (pool === undefined) {
          if (site.aligned && view === ring) return this.emit(new LogEntry(site, this.stamp, h, off >> 2));
          const e = new LogEntry(site, this.stamp);
          readWords(site, e, view, bytes, off);
          return this.emit(e);
        }
        const k = this.poolN;
        this.poolN = k + this.poolStep;
        const e = k < pool.length ? pool[k]! : (pool[k] = new LogEntry(site, this.stamp));
        if (site.aligned && view === ring) return this.emit(e.reset(site, this.stamp, h, off >> 2));
        readWords(site, e.reset(site, this.stamp), view, bytes, off);
        this.emit(e);
        return;
      }
      stats.invalid++;
      const ms = this.stamp.ms;
      this.emit(site ? invalidLength(site, len, ms) : this.decoder.read(view, bytes, off, len, ms));
    };
  }

  /**
   * A reader for a loaded object that logs (throws when it has no `.tsbpf.log`, or when it was
   * loaded with `log: false`). The filter defaults to the one it was loaded with.
   */
  static open(obj: LogHost, opts: LogReaderOptions = {}): LogReader {
    const meta = readLogMeta(obj.model.elf);
    if (!meta) throw new TsbpfError('LOG', 'this object has no log calls (no .tsbpf.log section)');
    if (obj.logFilter === false) throw new TsbpfError('LOG', 'logging was disabled when this object was loaded (log: false): its log calls were removed', 'load it with log: process.env.TSBPF_LOG (or a level) to read its records');
    const ringMap = obj.maps.get(meta.ringbuf);
    if (!ringMap) throw new TsbpfError('LOG', `the log ring buffer '${meta.ringbuf}' was not loaded`, 'the object is inconsistent: rebuild it');
    const lost = lostCounter(obj, meta.lost);
    try {
      return new LogReader({ meta, ring: ringMap, readLost: lost.read, release: lost.close }, { ...opts, filter: opts.filter ?? (obj.logFilter || undefined) });
    } catch (e) {
      lost.close();
      throw e;
    }
  }

  /** The next record (or loss report) available now, else undefined. */
  next(): LogRecord | undefined {
    if (this.head === this.queue.length && !this.closed && !this.sink) this.fill();
    if (this.head === this.queue.length) return undefined;
    const r = this.queue[this.head++]!;
    if (this.head === this.queue.length) this.queue = [], this.head = 0;
    return r;
  }

  /** One ring read of up to BATCH records; returns true when it caught up (and looked at the lost counter). */
  private fill(): boolean {
    this.stamp = new Stamp(this.clock()); // one clock read per batch: its records were all taken from the ring now
    this.poolN = 0;
    let n: number;
    // `draining` stays set while batches are handed out too: a close() from a batch callback is
    // deferred, so pooled records it holds are not refilled under it
    this.draining = true;
    try {
      try {
        n = this.rb.consumeRaw(this.take, BATCH);
      } finally {
        this.flush?.();
      }
      if (n < BATCH && !this.closeWanted) {
        this.checkLost();
        this.flush?.();
      }
    } finally {
      this.draining = false;
    }
    if (this.closeWanted) {
      this.closeWanted = false;
      this.close();
      return true;
    }
    return n < BATCH;
  }

  /** Everything available now (subscribers). */
  private drain(): void {
    while (!this.closed && !this.fill());
  }

  /** Reads the counter now; hands out `N log records lost` when it moved. Returns the new losses. */
  checkLost(): number {
    const v = this.src.readLost();
    if (v <= this.lostSeen) return 0;
    const n = Number(v - this.lostSeen);
    this.lostSeen = v;
    this.stats.lost += n;
    this.emit(lostNotice(new Date(this.clock()), n));
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
   * Hands every record to `fn` as it is taken from the ring (each wake-up drains the ring), until
   * close(), which delivers what is left. An error thrown by `fn` stops delivery and goes to
   * `onError` (default: rethrown). With `{ reuse: true }` the reader hands out the same record
   * object every time: a record is valid until `fn` returns (keep `record.toObject()` or the
   * fields you need) — no allocation per record, for consumers that format, count or forward.
   */
  subscribe(fn: (r: LogRecord) => void, onError: (e: Error) => void = (e) => { throw e; }, opts: SubscribeOptions = {}): this {
    this.start(fn, undefined, onError, opts.reuse ? 0 : undefined);
    return this;
  }

  /**
   * subscribe() a batch at a time: `fn` gets the records of each ring read (up to 256; loss
   * reports included) as one array — e.g. to write them with one call. With `{ reuse: true }`
   * the array and its records are reused for the next ring read: valid until `fn` returns.
   */
  subscribeBatch(fn: (records: LogRecord[]) => void, onError: (e: Error) => void = (e) => { throw e; }, opts: SubscribeOptions = {}): this {
    const reuse = opts.reuse === true;
    // Records are gathered by index into one array that stays allocated (pushing into a fresh
    // array per batch reallocates it ~6 times on the way to 256: ~25 bytes per record).
    const gathered: LogRecord[] = [];
    let n = 0;
    const flush = (): void => {
      if (n === 0) return;
      let b: LogRecord[];
      if (reuse) {
        if (gathered.length !== n) gathered.length = n;
        b = gathered;
      } else {
        b = gathered.slice(0, n);
        gathered.fill(undefined as unknown as LogRecord, 0, n); // not kept alive until overwritten
      }
      n = 0;
      fn(b);
    };
    this.start((r) => void (gathered[n++] = r), flush, onError, reuse ? 1 : undefined);
    return this;
  }

  /** `poolStep`: reuse records (0: one object, 1: one per record of a ring read), else allocate. */
  private start(fn: (r: LogRecord) => void, flush: (() => void) | undefined, onError: (e: Error) => void, poolStep: number | undefined): void {
    if (this.sink) throw new TsbpfError('LOG', 'this log reader already has a subscriber');
    this.sink = fn;
    this.flush = flush;
    this.emit = fn;
    const stop = (e: unknown): void => {
      if (this.sink === fn) this.sink = this.flush = this.pool = undefined;
      this.emit = (r) => void this.queue.push(r);
      onError(e instanceof Error ? e : new Error(String(e)));
    };
    try {
      // Records an iterator or next() left queued come first.
      while (this.head < this.queue.length) fn(this.queue[this.head++]!);
      this.queue = [];
      this.head = 0;
      flush?.();
    } catch (e) {
      stop(e);
      return;
    }
    if (poolStep !== undefined) {
      this.pool = [];
      this.poolStep = poolStep;
    }
    const pump = async (): Promise<void> => {
      while (!this.closed && this.sink === fn) {
        this.drain();
        await this.wait();
      }
    };
    pump().catch(stop);
  }

  /**
   * Sends records to a logger: pino-style (`logger.info({ target, file, line, args }, message)`) or
   * `console` (formatted lines). Returns the reader (close it to stop).
   */
  pipe(logger: ObjectLogger | Console, onError?: (e: Error) => void): this {
    // toLogger's handlers never keep the record (a line, or fields copied into a new object).
    return this.subscribe(toLogger(logger), onError, { reuse: true });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Takes what is still in the ring and the final loss count (delivered to the subscriber, or left
   * for the iterator), then unmaps the ring. The maps belong to the loaded object. Called from a
   * record callback, it finishes when the current batch has been handed out.
   */
  close(): void {
    if (this.closed) return;
    if (this.draining) {
      this.closeWanted = true;
      return;
    }
    try {
      while (!this.closed && !this.fill());
      if (this.closed) return; // a callback's close() during the last batches finished the job
      this.draining = true;
      try {
        this.checkLost();
        this.flush?.();
      } finally {
        this.draining = false;
        this.closeWanted = false; // closing already
      }
    } finally {
      if (!this.closed) {
        this.closed = true;
        this.rb.close();
        this.src.release?.();
      }
    }
  }
}

/**
 * Starts printing an object's log records: `startLogger(bpf)` sends them to `console` as
 * `[2024-06-08T04:24:21Z INFO  hello_world] received a packet` lines, or give a pino-style logger.
 * Returns the reader (close() it — or close the object — to print what is left and stop), or
 * undefined when the object has no log calls or was loaded with `log: false`.
 */
export function startLogger(obj: LogHost & { logs?: (o?: LogReaderOptions) => LogReader }, logger: ObjectLogger | Console = console, opts: LogReaderOptions = {}): LogReader | undefined {
  if (obj.logFilter === false || !readLogMeta(obj.model.elf)) return undefined;
  const reader = obj.logs ? obj.logs(opts) : LogReader.open(obj, opts);
  return reader.pipe(logger);
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
