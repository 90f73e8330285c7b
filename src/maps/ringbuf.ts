/**
 * BPF ring buffer reader (BPF_MAP_TYPE_RINGBUF). Layout (uapi + kernel docs): page 0 holds the
 * consumer position and is mapped read-write; page 1 holds the producer position; the data pages
 * follow and the kernel maps them twice in a row, so a record that crosses the end of the ring is
 * still contiguous in our view — records never wrap, and every record is handed out zero-copy.
 * Each record has an 8-byte header: u32 length with BUSY (still being written) and DISCARD bits,
 * and u32 page offset; records are 8-byte aligned.
 *
 * The consumer position is committed in batches (when the reader has caught up, or after a
 * quarter of the ring), which is when the kernel may reuse the space: a record's view is valid
 * until the next record is requested or the callback returns. Copy it (`slice()`) to keep it.
 * Waiting happens on the process-wide epoll poller (src/sys/poll.ts): off the main thread, no
 * spinning. The ring never overwrites: when it is full the producer's bpf_ringbuf_reserve fails,
 * so losses are counted by the producer (see docs/architecture.md).
 */
import { bpf_map_type } from '../abi/index.js';
import { TsbpfError } from '../errors.js';
import { fdNum, mapInfo, type FdLike } from '../sys/bpf.js';
import { Mapping, PROT_READ, PROT_WRITE, pageSize } from '../sys/mmap.js';
import { Poller } from '../sys/poll.js';

const BUSY_BIT = 0x80000000;
const DISCARD_BIT = 0x40000000;
const HDR_SIZE = 8;

/** A map fd, or an object carrying one (a loaded map). */
export type MapSource = FdLike | { fd: FdLike; name?: string };

export function sourceFd(src: MapSource): { fd: FdLike; name?: string } {
  return typeof src === 'object' && src !== null && 'fd' in src ? src : { fd: src };
}

export interface RingBufferStats {
  /** Records delivered. */
  records: number;
  /** Payload bytes delivered. */
  bytes: number;
  /** Records the producer discarded (bpf_ringbuf_discard); skipped, not delivered. */
  discarded: number;
  /** Times the reader was woken by the kernel. */
  wakeups: number;
}

export interface RingBufferOptions {
  /** Commit the consumer position at least every this many bytes (default: a quarter of the ring). */
  commitBytes?: number;
}

export class RingBuffer implements AsyncIterable<Uint8Array> {
  readonly name: string;
  /** Ring size in bytes (the map's max_entries). */
  readonly size: number;
  readonly stats: RingBufferStats = { records: 0, bytes: 0, discarded: 0, wakeups: 0 };
  private readonly fd: number;
  private readonly consumerMap: Mapping;
  private readonly dataMap: Mapping;
  private readonly consumerPos: BigUint64Array;
  private readonly producerPos: BigUint64Array;
  private readonly headers: Int32Array;
  private readonly mask: number;
  private readonly commitBytes: number;
  /** Position after the last record handed out; committed to the kernel lazily. */
  private cursor: bigint;
  private committed: bigint;
  /** Set when commitBytes were handed out but not yet committed; applied on the next call. */
  private pendingCommit = false;
  private readonly poller = Poller.shared();
  private registered = false;
  private waiter?: () => void;
  private subscriber?: (data: Uint8Array) => void;
  private onError?: (err: Error) => void;
  private failure?: Error;
  private closed = false;

  private constructor(src: { fd: FdLike; name?: string }, opts: RingBufferOptions) {
    const info = mapInfo(src.fd);
    this.name = src.name ?? info.name;
    if (info.type !== bpf_map_type.BPF_MAP_TYPE_RINGBUF) {
      throw new TsbpfError('MAP', `map '${this.name}' is not a ring buffer (map type ${info.type})`, 'use PerfBuffer for BPF_MAP_TYPE_PERF_EVENT_ARRAY maps');
    }
    this.fd = fdNum(src.fd);
    this.size = info.maxEntries;
    this.mask = this.size - 1;
    this.commitBytes = Math.max(HDR_SIZE, Math.min(opts.commitBytes ?? this.size / 4, this.size / 2));
    const page = pageSize();
    this.consumerMap = Mapping.map(this.fd, page, PROT_READ | PROT_WRITE, 0, `ring buffer '${this.name}' consumer page`);
    try {
      this.dataMap = Mapping.map(this.fd, page + 2 * this.size, PROT_READ, page, `ring buffer '${this.name}' data pages`);
    } catch (e) {
      this.consumerMap.close();
      throw e;
    }
    this.consumerPos = new BigUint64Array(this.consumerMap.buffer, 0, 1);
    this.producerPos = new BigUint64Array(this.dataMap.buffer, 0, 1);
    // Headers are read through an Int32Array at page + offset: Atomics gives acquire ordering.
    this.headers = new Int32Array(this.dataMap.buffer, page, (2 * this.size) / 4);
    this.cursor = this.committed = Atomics.load(this.consumerPos, 0);
  }

  /** Maps the ring buffer map `src` (a map fd or a loaded map). */
  static open(src: MapSource, opts: RingBufferOptions = {}): RingBuffer {
    return new RingBuffer(sourceFd(src), opts);
  }

  /**
   * The next available record (a view into the ring), or undefined when the reader has caught up
   * with the producer or reached a record still being written.
   */
  next(): Uint8Array | undefined {
    if (this.closed) return undefined;
    for (;;) {
      const prod = Atomics.load(this.producerPos, 0);
      if (this.cursor >= prod) return undefined;
      const off = Number(this.cursor & BigInt(this.mask));
      const hdr = Atomics.load(this.headers, off / 4) >>> 0;
      if (hdr & BUSY_BIT) return undefined;
      const len = hdr & ~(BUSY_BIT | DISCARD_BIT);
      if (len > this.size - HDR_SIZE) {
        throw new TsbpfError('MAP', `ring buffer '${this.name}': record at position ${this.cursor} claims ${len} bytes, more than the ring holds`);
      }
      const total = (len + HDR_SIZE + 7) & ~7;
      this.cursor += BigInt(total);
      if (this.cursor - this.committed >= this.commitBytes) this.pendingCommit = true;
      if (hdr & DISCARD_BIT) {
        this.stats.discarded++;
        continue;
      }
      this.stats.records++;
      this.stats.bytes += len;
      return new Uint8Array(this.headers.buffer, this.headers.byteOffset + off + HDR_SIZE, len);
    }
  }

  /** Tells the kernel that everything handed out so far may be overwritten. */
  commit(): void {
    this.pendingCommit = false;
    if (this.cursor === this.committed || this.closed) return;
    Atomics.store(this.consumerPos, 0, this.cursor);
    this.committed = this.cursor;
  }

  /** Calls `fn` for each record available now (at most `limit`), commits, returns how many. */
  consume(fn: (data: Uint8Array) => void, limit = Infinity): number {
    let n = 0;
    try {
      while (n < limit) {
        if (this.pendingCommit) this.commit();
        const rec = this.next();
        if (!rec) break;
        n++;
        fn(rec);
      }
    } finally {
      this.commit();
    }
    return n;
  }

  /** Makes sure the next readiness of the ring is reported to ready() (one-shot). */
  private listen(): void {
    if (this.closed || this.failure) return;
    if (this.registered) {
      this.poller.rearm(this.fd);
      return;
    }
    this.registered = true;
    this.poller.add(this.fd, () => this.ready(), (e) => {
      this.failure = e;
      if (this.onError) this.onError(e);
      this.wake();
    });
  }

  private ready(): void {
    this.stats.wakeups++;
    if (this.subscriber && !this.failure) {
      this.consume(this.subscriber);
      this.listen();
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /**
   * Calls `fn` for every record as it arrives, until close(). An error thrown by `fn` (or by the
   * wait) goes to `onError` (default: thrown from the next wait()/iteration) and stops delivery.
   */
  subscribe(fn: (data: Uint8Array) => void, onError?: (err: Error) => void): void {
    if (this.subscriber) throw new TsbpfError('MAP', `ring buffer '${this.name}' already has a subscriber`);
    this.subscriber = fn;
    this.onError = onError;
    this.consume(fn);
    this.listen();
  }

  /** Resolves when records may be available (or the reader was closed). */
  async wait(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed) return;
    this.commit(); // an uncommitted consumer position would suppress the kernel's wakeups
    this.listen();
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
      // Records may have arrived between the caller's last next() and registering.
      if (Atomics.load(this.producerPos, 0) > this.cursor) this.wake();
    });
    if (this.failure) throw this.failure;
  }

  /** Records as they arrive, until close(). Each view is valid until the next one is requested. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    while (!this.closed) {
      if (this.pendingCommit) this.commit();
      const rec = this.next();
      if (rec) {
        yield rec;
        continue;
      }
      await this.wait();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops waiting, ends iterations, unmaps the ring. The map fd stays open (it belongs to the caller). */
  close(): void {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    if (this.registered) this.poller.remove(this.fd);
    this.consumerMap.close();
    this.dataMap.close();
    this.wake();
  }
}
