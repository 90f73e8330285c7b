/**
 * BPF ring buffer reader (BPF_MAP_TYPE_RINGBUF). Layout (uapi + kernel docs): page 0 holds the
 * consumer position and is mapped read-write; page 1 holds the producer position; the data pages
 * follow and the kernel maps them twice in a row, so a record that crosses the end of the ring is
 * still contiguous in our view — records never wrap, and every record is handed out zero-copy.
 * Each record has an 8-byte header: u32 length with BUSY (still being written) and DISCARD bits,
 * and u32 page offset; records are 8-byte aligned.
 *
 * Fast path: `consumeRaw(fn)` / `subscribeRaw(fn)` call `fn(view, offset, length, bytes)` with a
 * DataView and a Uint8Array over the whole data area that live as long as the reader: nothing is
 * allocated per record. `consume`, `subscribe`, `next` and the async iterator hand out a
 * Uint8Array view per record. Positions are 32-bit numbers with modular arithmetic (see
 * ringbuf-pos.ts for why that is exact).
 *
 * The consumer position is committed — which is when the kernel may reuse the space — every
 * `commitBytes` while reading, when a consume call ends, and whenever the reader has caught up.
 * A record's bytes are therefore valid until the next record is requested or the callback returns:
 * copy them (`slice()`) to keep them. The kernel wakes a reader only when, at a producer's
 * commit, the committed consumer position equals that record's position (it had caught up), or
 * when the producer passes BPF_RB_FORCE_WAKEUP; BPF_RB_NO_WAKEUP records are seen at the next
 * wake-up or consume call. Waiting happens on the process-wide epoll poller (src/sys/poll.ts):
 * off the main thread, no spinning; its one-shot registration is re-armed with EPOLL_CTL_MOD after
 * the position is committed, and the kernel re-checks readiness then (prod ≠ cons → ready at
 * once), so a record committed while we were not armed is never missed. The ring never
 * overwrites: when it is full bpf_ringbuf_reserve fails, so losses are counted by the producer.
 */
import { bpf_map_type } from '../abi/index.js';
import { TsbpfError } from '../errors.js';
import { fdNum, mapInfo, type FdLike } from '../sys/bpf.js';
import { Mapping, PROT_READ, PROT_WRITE, pageSize } from '../sys/mmap.js';
import { BufferReader, sourceFd, type MapSource } from './reader-base.js';
import { LO, OwnPos, readU64 } from './ringbuf-pos.js';

export { sourceFd, type MapSource } from './reader-base.js';

const DISCARD_BIT = 0x40000000;
const LEN_MASK = 0x3fffffff;
const HDR_SIZE = 8;
/** BPF_F_RB_OVERWRITE (uapi, added after Linux 6.18, which refuses it): the producer overwrites unread records. */
const BPF_F_RB_OVERWRITE = 1 << 19;
/** Default commit step: the most a reader keeps unreleased while it reads (a smaller ring: 1/8 of it). */
const DEFAULT_COMMIT_BYTES = 16 * 1024;
/**
 * Whether plain loads of the record headers are ordered after the (atomic) load of the producer
 * position: on x86 (TSO) the hardware never reorders loads with older loads, and V8 keeps
 * typed-array loads in program order, so Atomics.load's ~6 ns per record buys nothing there. On
 * weakly ordered CPUs (arm64…) the header must be read with Atomics.load (an acquire load), or a
 * stale header from the previous lap could be seen before the producer's store.
 */
const ORDERED_LOADS = process.arch === 'x64' || process.arch === 'ia32';

/**
 * Receives one record without any allocation: its bytes are `bytes[offset … offset + length)`,
 * readable as well through `view` (e.g. `view.getUint32(offset, true)`). `view` and `bytes` are the
 * reader's `data` and `bytes` (the whole data area, mapped twice so a record never wraps); the
 * record may be overwritten once the callback returns.
 */
export type RawRecordHandler = (view: DataView, offset: number, length: number, bytes: Uint8Array) => void;

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
  /** Commit the consumer position at least every this many bytes while reading (default 16 KiB, at most 1/8 of the ring). */
  commitBytes?: number;
}

export class RingBuffer extends BufferReader<Uint8Array> {
  readonly name: string;
  protected readonly kind = 'ring buffer';
  /** Ring size in bytes (the map's max_entries). */
  readonly size: number;
  /** Counters; during a consume call they are updated when it returns. */
  readonly stats: RingBufferStats = { records: 0, bytes: 0, discarded: 0, wakeups: 0 };
  /** DataView over the data area (2 × size bytes: the ring mapped twice); offsets given to raw handlers index it. */
  readonly data: DataView;
  /** The same data area as bytes. */
  readonly bytes: Uint8Array;
  private readonly fd: number;
  private readonly consumerMap: Mapping;
  private readonly dataMap: Mapping;
  /** Producer position (u64) as two 32-bit words, read-only for us. */
  private readonly producer: Uint32Array;
  private readonly consumer: OwnPos;
  /** Record headers (u32 length + BUSY/DISCARD bits), read after the producer position (see ORDERED_LOADS). */
  private readonly headers: Int32Array;
  private readonly buffer: ArrayBuffer;
  private readonly base: number;
  private readonly mask: number;
  private readonly commitBytes: number;
  /** Low word of the position after the last record handed out (committed lazily). */
  private cons: number;

  private constructor(src: { fd: FdLike; name?: string }, opts: RingBufferOptions) {
    super();
    const info = mapInfo(src.fd);
    this.name = src.name ?? info.name;
    if (info.type !== bpf_map_type.BPF_MAP_TYPE_RINGBUF) {
      throw new TsbpfError('MAP', `map '${this.name}' is not a ring buffer (map type ${info.type})`, 'use PerfBuffer for BPF_MAP_TYPE_PERF_EVENT_ARRAY maps');
    }
    if (info.mapFlags & BPF_F_RB_OVERWRITE) {
      throw new TsbpfError('MAP', `ring buffer '${this.name}' is in overwrite mode (BPF_F_RB_OVERWRITE), which this reader does not support`, 'create the map without BPF_F_RB_OVERWRITE');
    }
    this.fd = fdNum(src.fd);
    this.size = info.maxEntries;
    this.mask = this.size - 1;
    const step = opts.commitBytes ?? Math.min(DEFAULT_COMMIT_BYTES, this.size / 8);
    if (!(step > 0)) throw new TsbpfError('MAP', `ring buffer '${this.name}': commitBytes ${step} is not a positive number`);
    this.commitBytes = Math.max(HDR_SIZE, Math.min(Math.floor(step), this.size / 2));
    const page = pageSize();
    this.consumerMap = Mapping.map(this.fd, page, PROT_READ | PROT_WRITE, 0, `ring buffer '${this.name}' consumer page`);
    try {
      this.dataMap = Mapping.map(this.fd, page + 2 * this.size, PROT_READ, page, `ring buffer '${this.name}' data pages`);
    } catch (e) {
      this.consumerMap.close();
      throw e;
    }
    this.consumer = new OwnPos(this.consumerMap.buffer, 0);
    this.producer = new Uint32Array(this.dataMap.buffer, 0, 2);
    this.buffer = this.dataMap.buffer;
    this.base = page;
    this.headers = new Int32Array(this.buffer, page, (2 * this.size) / 4);
    this.data = new DataView(this.buffer, page, 2 * this.size);
    this.bytes = new Uint8Array(this.buffer, page, 2 * this.size);
    this.cons = this.consumer.lo;
  }

  /** Maps the ring buffer map `src` (a map fd or a loaded map). */
  static open(src: MapSource, opts: RingBufferOptions = {}): RingBuffer {
    return new RingBuffer(sourceFd(src), opts);
  }

  /** Bytes written by the producer (including records still being written) that this reader has not taken yet. */
  get available(): number {
    return this.closed ? 0 : (Atomics.load(this.producer, LO) - this.cons) >>> 0;
  }

  /** The producer and consumer positions (bytes since the map was created; for diagnostics). */
  positions(): { producer: bigint; consumer: bigint } {
    if (this.closed) return { producer: 0n, consumer: 0n };
    return { producer: readU64(this.producer), consumer: this.consumer.full(this.cons) };
  }

  /**
   * Calls `fn(view, offset, length, bytes)` for each record available now (at most `limit`),
   * allocating nothing per record; commits every `commitBytes` and at the end; returns how many
   * records were delivered. An exception from `fn` ends the call (its record counts as consumed).
   * `fn` may call close(), but not consume/next/commit of the same reader.
   */
  consumeRaw(fn: RawRecordHandler, limit = Infinity): number {
    if (this.closed) return 0;
    this.enter();
    const headers = this.headers;
    const view = this.data;
    const bytes = this.bytes;
    const mask = this.mask;
    const step = this.commitBytes;
    // Positions as int32 low words: differences are taken with `| 0` and are never more than the
    // ring size apart (≤ 2^31 − 1 bytes ahead: the kernel keeps one byte free), see ringbuf-pos.ts.
    let cons = this.cons | 0;
    let committed = this.consumer.lo | 0;
    let prod = cons; // read below, on the first turn
    let n = 0;
    let nbytes = 0;
    let discarded = 0;
    try {
      while (n < limit) {
        let avail = (prod - cons) | 0;
        if (avail === 0) {
          prod = Atomics.load(this.producer, LO) | 0;
          avail = (prod - cons) | 0;
          if (avail === 0) break;
          if (avail < 0 || avail > mask) this.corrupt(cons, 0, avail);
        }
        const off = cons & mask;
        const hdr = ORDERED_LOADS ? headers[off >> 2]! : Atomics.load(headers, off >> 2);
        if (hdr < 0) break; // BUSY (bit 31): still being written; records stay in order, so stop here
        const len = hdr & LEN_MASK;
        const total = (len + HDR_SIZE + 7) & ~7;
        if (total > avail) this.corrupt(cons, len, avail);
        // Everything before `cons` was handed out and its callback returned: release it in steps.
        if (((cons - committed) | 0) >= step) {
          this.consumer.store(cons >>> 0);
          committed = cons;
        }
        cons = (cons + total) | 0;
        if (hdr & DISCARD_BIT) {
          discarded++;
          continue;
        }
        n++;
        nbytes += len;
        fn(view, off + HDR_SIZE, len, bytes);
        if (this.closed) break;
      }
    } finally {
      this.inCallback = false;
      this.cons = cons >>> 0;
      this.stats.records += n;
      this.stats.bytes += nbytes;
      this.stats.discarded += discarded;
      if (this.closed) this.finishClose(); // close() was called by fn
      else this.consumer.store(this.cons);
    }
    return n;
  }

  /** Calls `fn` with a Uint8Array view of each record available now (at most `limit`), commits, returns how many. */
  consume(fn: (data: Uint8Array) => void, limit = Infinity): number {
    const buffer = this.buffer;
    const base = this.base;
    return this.consumeRaw((_v, off, len) => fn(new Uint8Array(buffer, base + off, len)), limit);
  }

  /**
   * The next available record (a view into the ring), or undefined when the reader has caught up
   * with the producer or reached a record still being written. Requesting it releases the
   * previous one.
   */
  next(): Uint8Array | undefined {
    if (this.closed) return undefined;
    this.enter();
    try {
      for (;;) {
        const avail = (Atomics.load(this.producer, LO) - this.cons) | 0;
        if (avail === 0) break;
        const off = this.cons & this.mask;
        const hdr = Atomics.load(this.headers, off >> 2);
        if (hdr < 0) break;
        const len = hdr & LEN_MASK;
        const total = (len + HDR_SIZE + 7) & ~7;
        if (total > avail || avail < 0 || avail > this.mask) this.corrupt(this.cons, len, avail);
        if (((this.cons - this.consumer.lo) >>> 0) >= this.commitBytes) this.consumer.store(this.cons);
        this.cons = (this.cons + total) >>> 0;
        if (hdr & DISCARD_BIT) {
          this.stats.discarded++;
          continue;
        }
        this.stats.records++;
        this.stats.bytes += len;
        return new Uint8Array(this.buffer, this.base + off + HDR_SIZE, len);
      }
      this.consumer.store(this.cons); // caught up: release everything
      return undefined;
    } finally {
      this.inCallback = false;
    }
  }

  /** Tells the kernel that everything handed out so far may be overwritten. */
  commit(): void {
    if (this.closed) return;
    if (this.inCallback) throw this.reentered('commit');
    this.consumer.store(this.cons);
  }

  private corrupt(cons: number, len: number, avail: number): never {
    const at = this.consumer.full(cons >>> 0);
    if (avail < 0 || avail > this.mask) {
      throw new TsbpfError('MAP', `ring buffer '${this.name}': the producer position is ${avail >>> 0} bytes past this reader's position ${at}, more than the ring holds`, 'another consumer is probably reading the same ring buffer map');
    }
    throw new TsbpfError('MAP', `ring buffer '${this.name}': record at position ${at} claims ${len} bytes, more than the ${avail} bytes written`);
  }

  /** Whether a complete record (not one still being written) is waiting. */
  protected hasPending(): boolean {
    if (((Atomics.load(this.producer, LO) - this.cons) | 0) === 0) return false;
    return Atomics.load(this.headers, (this.cons & this.mask) >>> 2) >= 0;
  }

  protected pollFds(): number[] {
    return [this.fd];
  }

  /**
   * The kernel wakes us only if the committed position is where its next record lands; and
   * epoll reports the ring readable while producer ≠ committed consumer position.
   */
  protected override beforeArm(): void {
    this.consumer.store(this.cons);
  }

  /**
   * Calls `fn` for every record as it arrives (a Uint8Array view each), until close(). An error
   * thrown by `fn` (or by the wait) goes to `onError` (default: thrown from the next
   * wait()/iteration) and stops delivery.
   */
  subscribe(fn: (data: Uint8Array) => void, onError?: (err: Error) => void): void {
    this.startSubscription(() => this.consume(fn), onError);
  }

  /** subscribe() with a raw handler: `fn(view, offset, length, bytes)`, nothing allocated per record. */
  subscribeRaw(fn: RawRecordHandler, onError?: (err: Error) => void): void {
    this.startSubscription(() => this.consumeRaw(fn), onError);
  }

  protected release(): void {
    this.consumer.store(this.cons);
    this.consumerMap.close();
    this.dataMap.close();
  }
}
