/**
 * Perf event array reader (BPF_MAP_TYPE_PERF_EVENT_ARRAY, written by bpf_perf_event_output):
 * one PERF_COUNT_SW_BPF_OUTPUT event per online CPU, its fd stored in the map at that CPU's index,
 * each with its own mmapped ring (a metadata page with data_head/data_tail, then 2^n data pages).
 *
 * Records: PERF_RECORD_SAMPLE carries the program's bytes (u32 size, then the data, padded by the
 * kernel to keep records 8-byte aligned: up to 7 trailing bytes); PERF_RECORD_LOST says how many
 * samples the kernel dropped on that CPU because the ring was full — reported as a `lost` event
 * (or to `onLost`) and counted per CPU, never silently. The kernel publishes data_head after the
 * records below it are complete, so one acquire load of data_head covers all of them.
 *
 * Fast path: `consumeRaw(fn)` calls `fn(view, offset, length, cpu)` with the ring's DataView,
 * nothing allocated per sample; a record that runs past the end of the ring (not mapped twice,
 * unlike BPF ring buffers) is first copied into a reused scratch buffer and `view` is that
 * buffer's. The PerfEvent API (`next`, `consume`, `subscribe`, async iterator) hands out a
 * Uint8Array view per sample, valid until the next one is requested. Positions are 32-bit
 * numbers with modular arithmetic (ringbuf-pos.ts); data_tail is written every `commitBytes`,
 * at the end of a consume call and when a ring is caught up. Waiting, subscriptions, the async
 * iterator, the re-entry guard and close() are BufferReader's (reader-base.ts), one fd per CPU.
 */
import { bpf_map_type } from '../abi/index.js';
import { TsbpfError } from '../errors.js';
import { Fd, fdNum, mapDeleteElem, mapInfo, mapUpdateElem, type FdLike } from '../sys/bpf.js';
import { Mapping, PROT_READ, PROT_WRITE, pageSize } from '../sys/mmap.js';
import { onlineCpus, openBpfOutputEvent, perfEventDisable, perfEventEnable } from '../sys/perf.js';
import { BufferReader, sourceFd, type MapSource } from './reader-base.js';
import { LO, OwnPos } from './ringbuf-pos.js';

const PERF_RECORD_LOST = 2;
const PERF_RECORD_SAMPLE = 9;
const HEAD_OFFSET = 1024; // perf_event_mmap_page.data_head
const TAIL_OFFSET = 1032;
const DATA_OFFSET = 1040;
const DATA_SIZE = 1048;
const DEFAULT_COMMIT_BYTES = 16 * 1024;

export type PerfEvent =
  | { type: 'sample'; cpu: number; data: Uint8Array }
  | { type: 'lost'; cpu: number; count: number };

/** Receives one sample without allocation: its bytes are `view` at `offset`, `length` long (see consumeRaw). */
export type RawSampleHandler = (view: DataView, offset: number, length: number, cpu: number) => void;

export interface PerfBufferOptions {
  /** Data pages per CPU ring, a power of two (default 8). */
  pageCount?: number;
  /** CPUs to read (default: every online CPU the map has a slot for). */
  cpus?: number[];
  /** Wake the reader after this many samples per CPU (default 1). */
  wakeupEvents?: number;
  /** Write data_tail at least every this many bytes while reading (default 16 KiB, at most 1/8 of a ring). */
  commitBytes?: number;
}

export interface PerfBufferStats {
  samples: number;
  bytes: number;
  /** Samples the kernel dropped (sum over CPUs; per CPU in `lostByCpu`). */
  lost: number;
  wakeups: number;
}

interface CpuRing {
  cpu: number;
  fd: Fd;
  map: Mapping;
  /** data_head as two 32-bit words (written by the kernel). */
  head: Uint32Array;
  /** data_tail (written by us). */
  tail: OwnPos;
  view: DataView;
  size: number;
  /** Low word of the position after the last record handed out (written to data_tail lazily). */
  cursor: number;
}

export class PerfBuffer extends BufferReader<PerfEvent> {
  readonly name: string;
  protected readonly kind = 'perf buffer';
  protected override readonly callbacks = 'callbacks';
  readonly stats: PerfBufferStats = { samples: 0, bytes: 0, lost: 0, wakeups: 0 };
  /** Lost samples per CPU. */
  readonly lostByCpu = new Map<number, number>();
  private readonly mapFd: number;
  private readonly rings: CpuRing[] = [];
  private readonly commitBytes: number;
  /** Where the next read starts (rings are visited in turn). */
  private next_ = 0;
  private scratch = new DataView(new ArrayBuffer(256));

  private constructor(src: { fd: FdLike; name?: string }, opts: PerfBufferOptions) {
    super();
    const info = mapInfo(src.fd);
    this.name = src.name ?? info.name;
    if (info.type !== bpf_map_type.BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
      throw new TsbpfError('MAP', `map '${this.name}' is not a perf event array (map type ${info.type})`, 'use RingBuffer for BPF_MAP_TYPE_RINGBUF maps');
    }
    this.mapFd = fdNum(src.fd);
    const pages = opts.pageCount ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0 || pages > 1 << 16) {
      throw new TsbpfError('MAP', `perf buffer '${this.name}': pageCount ${pages} is not a power of two between 1 and 65536`);
    }
    const step = opts.commitBytes ?? Math.min(DEFAULT_COMMIT_BYTES, (pages * pageSize()) / 8);
    if (!(step > 0)) throw new TsbpfError('MAP', `perf buffer '${this.name}': commitBytes ${step} is not a positive number`);
    this.commitBytes = Math.max(8, Math.floor(step));
    const cpus = (opts.cpus ?? onlineCpus()).filter((c) => c < info.maxEntries);
    if (cpus.length === 0) throw new TsbpfError('MAP', `perf buffer '${this.name}': no CPU to read (map has ${info.maxEntries} slots)`);
    try {
      for (const cpu of cpus) this.rings.push(this.openCpu(cpu, pages, opts.wakeupEvents));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private openCpu(cpu: number, pages: number, wakeupEvents?: number): CpuRing {
    const fd = new Fd(openBpfOutputEvent(cpu, { wakeupEvents }), `perf event (cpu ${cpu})`);
    let map: Mapping | undefined;
    try {
      const page = pageSize();
      map = Mapping.map(fd.value, page * (pages + 1), PROT_READ | PROT_WRITE, 0, `perf buffer '${this.name}' cpu ${cpu}`);
      const dv = new DataView(map.buffer);
      const dataOff = Number(dv.getBigUint64(DATA_OFFSET, true)) || page;
      const size = Number(dv.getBigUint64(DATA_SIZE, true)) || page * pages;
      const tail = new OwnPos(map.buffer, TAIL_OFFSET);
      const ring: CpuRing = { cpu, fd, map, head: new Uint32Array(map.buffer, HEAD_OFFSET, 2), tail, view: new DataView(map.buffer, dataOff, size), size, cursor: tail.lo };
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, cpu, true);
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, fd.value, true);
      // Enabled before it is published in the map, so that a failure leaves no entry behind.
      perfEventEnable(fd.value);
      mapUpdateElem(this.mapFd, key, value);
      return ring;
    } catch (e) {
      map?.close();
      fd.close();
      throw e;
    }
  }

  /** Opens one ring per CPU and stores their fds in the perf event array `src`. */
  static open(src: MapSource, opts: PerfBufferOptions = {}): PerfBuffer {
    return new PerfBuffer(sourceFd(src), opts);
  }

  /** The CPUs being read. */
  get cpus(): number[] {
    return this.rings.map((r) => r.cpu);
  }

  /**
   * Calls `fn(view, offset, length, cpu)` for each sample available now (at most `limit`, ring by
   * ring, starting with the ring after the one the previous call ended on), allocating nothing per
   * sample; losses go to `onLost(cpu, count)` and are counted in `stats.lost`/`lostByCpu`. `length`
   * is the size the kernel recorded (the program's bytes plus up to 7 padding bytes). Returns how
   * many samples were delivered. `fn` may call close(), but not consume/next/commit of this reader.
   */
  consumeRaw(fn: RawSampleHandler, limit = Infinity, onLost?: (cpu: number, count: number) => void): number {
    if (this.closed) return 0;
    this.enter();
    let n = 0;
    try {
      const rings = this.rings;
      const start = this.next_;
      for (let i = 0; i < rings.length && n < limit && !this.closed; i++) {
        const k = (start + i) % rings.length;
        n += this.drainRing(rings[k]!, fn, limit - n, onLost);
        this.next_ = (k + 1) % rings.length;
      }
    } finally {
      this.inCallback = false;
      if (this.closed) this.finishClose(); // close() was called by fn or onLost
    }
    return n;
  }

  /**
   * Reads ring `r` up to `limit` samples. `single` (for next()): stop after the first sample or
   * loss and leave data_tail before it, so that its bytes stay valid until the next call.
   */
  private drainRing(r: CpuRing, fn: RawSampleHandler, limit: number, onLost?: (cpu: number, count: number) => void, single = false): number {
    const view = r.view;
    const size = r.size;
    const mask = size - 1;
    const step = this.commitBytes;
    const cpu = r.cpu;
    let cursor = r.cursor | 0;
    let committed = r.tail.lo | 0;
    let head = cursor;
    let n = 0;
    let nbytes = 0;
    let keep = -1; // single: where data_tail must stay
    try {
      while (n < limit) {
        let avail = (head - cursor) | 0;
        if (avail === 0) {
          head = Atomics.load(r.head, LO) | 0;
          avail = (head - cursor) | 0;
          if (avail === 0) break;
          if (avail < 0 || avail > size) this.corrupt(r, cursor, `data_head is ${avail >>> 0} bytes past the reader`);
        }
        const off = cursor & mask;
        // Header fields never straddle the end (records are 8-byte aligned); the body may.
        const type = view.getUint32(off, true);
        const recSize = view.getUint16(off + 6, true);
        if (recSize < 8 || recSize > avail) this.corrupt(r, cursor, `record header claims ${recSize} bytes`);
        if (((cursor - committed) | 0) >= step) {
          r.tail.store(cursor >>> 0);
          committed = cursor;
        }
        if (single) keep = cursor;
        cursor = (cursor + recSize) | 0;
        r.cursor = cursor >>> 0;
        let v = view;
        let at = off;
        if (off + recSize > size) {
          v = this.unwrap(r, off, recSize);
          at = 0;
        }
        if (type === PERF_RECORD_SAMPLE && recSize >= 12) {
          const len = Math.min(v.getUint32(at + 8, true), recSize - 12);
          n++;
          nbytes += len;
          fn(v, at + 12, len, cpu);
          if (this.closed || single) break;
        } else if (type === PERF_RECORD_LOST && recSize >= 24) {
          const count = v.getUint32(at + 16, true) + v.getUint32(at + 20, true) * 2 ** 32;
          this.stats.lost += count;
          this.lostByCpu.set(cpu, (this.lostByCpu.get(cpu) ?? 0) + count);
          if (onLost) {
            onLost(cpu, count);
            if (this.closed || single) break;
          }
        }
        // Other record types (none expected for BPF output events) are skipped.
        keep = -1;
      }
    } finally {
      this.stats.samples += n;
      this.stats.bytes += nbytes;
      if (!this.closed) r.tail.store(keep !== -1 ? keep >>> 0 : r.cursor); // positions are 8-aligned: -1 is never one
    }
    return n;
  }

  /** A record crossing the end of the ring, copied into the scratch buffer (grown as needed). */
  private unwrap(r: CpuRing, off: number, size: number): DataView {
    if (this.scratch.byteLength < size) this.scratch = new DataView(new ArrayBuffer(Math.max(size, 2 * this.scratch.byteLength)));
    const out = new Uint8Array(this.scratch.buffer, 0, size);
    const src = new Uint8Array(r.view.buffer, r.view.byteOffset, r.size);
    const first = r.size - off;
    out.set(src.subarray(off, r.size), 0);
    out.set(src.subarray(0, size - first), first);
    return this.scratch;
  }

  private corrupt(r: CpuRing, cursor: number, what: string): never {
    throw new TsbpfError('MAP', `perf buffer '${this.name}' cpu ${r.cpu}: ${what} at position ${r.tail.full(cursor >>> 0)}`);
  }

  /** Calls `fn` for each sample and loss available now (at most `limit` samples), commits, returns how many samples. */
  consume(fn: (e: PerfEvent) => void, limit = Infinity): number {
    return this.consumeRaw((v, off, len, cpu) => fn({ type: 'sample', cpu, data: new Uint8Array(v.buffer, v.byteOffset + off, len) }), limit, (cpu, count) => fn({ type: 'lost', cpu, count }));
  }

  /**
   * The next record from any CPU, or undefined when every ring is caught up. A sample's view is
   * valid until the next record is requested (that releases its space).
   */
  next(): PerfEvent | undefined {
    if (this.closed) return undefined;
    let out: PerfEvent | undefined;
    const take = (v: DataView, off: number, len: number, cpu: number): void => {
      // Copy only if it lives in the scratch buffer, which the next wrapped record reuses.
      const data = v === this.scratch ? new Uint8Array(v.buffer.slice(off, off + len)) : new Uint8Array(v.buffer, v.byteOffset + off, len);
      out = { type: 'sample', cpu, data };
    };
    const lost = (cpu: number, count: number): void => {
      out = { type: 'lost', cpu, count };
    };
    // One record at a time: each call ends with data_tail at the records already returned, and
    // the one handed out now is released by the next call (its ring's tail moves past it then).
    const start = this.next_;
    for (let i = 0; i < this.rings.length && !out; i++) {
      const r = this.rings[(start + i) % this.rings.length]!;
      this.enter();
      try {
        this.drainRing(r, take, 1, lost, true);
      } finally {
        this.inCallback = false;
      }
      if (out) this.next_ = (start + i) % this.rings.length;
    }
    return out;
  }

  /** Releases the space of every record handed out so far to the kernel. */
  commit(): void {
    if (this.closed) return;
    if (this.inCallback) throw this.reentered('commit');
    for (const r of this.rings) r.tail.store(r.cursor);
  }

  /** Calls `fn` for every sample and loss as they arrive, until close(). Errors go to `onError`. */
  subscribe(fn: (e: PerfEvent) => void, onError?: (err: Error) => void): void {
    this.startSubscription(() => this.consume(fn), onError);
  }

  /** subscribe() with a raw handler (see consumeRaw); losses go to `onLost` and the counters. */
  subscribeRaw(fn: RawSampleHandler, onLost?: (cpu: number, count: number) => void, onError?: (err: Error) => void): void {
    this.startSubscription(() => this.consumeRaw(fn, Infinity, onLost), onError);
  }

  protected pollFds(): number[] {
    return this.rings.map((r) => r.fd.value);
  }

  protected hasPending(): boolean {
    return this.rings.some((r) => ((Atomics.load(r.head, LO) - r.cursor) | 0) !== 0);
  }

  /** Per ring: data_tail written, the event disabled, its map entry deleted, the ring unmapped, the event closed. */
  protected release(): void {
    for (const r of this.rings) {
      if (!r.map.isClosed) r.tail.store(r.cursor);
      try {
        perfEventDisable(r.fd.value);
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, r.cpu, true);
        mapDeleteElem(this.mapFd, key);
      } catch {
        // The map is gone already (its owner closed it): nothing to clean there.
      }
      r.map.close();
      r.fd.close();
    }
  }
}
