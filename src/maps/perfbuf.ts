/**
 * Perf event array reader (BPF_MAP_TYPE_PERF_EVENT_ARRAY, written by bpf_perf_event_output):
 * one PERF_COUNT_SW_BPF_OUTPUT event per online CPU, its fd stored in the map at that CPU's index,
 * each with its own mmapped ring (a metadata page with data_head/data_tail, then 2^n data pages).
 *
 * Records: PERF_RECORD_SAMPLE carries the program's bytes (u32 size, then the data, padded by the
 * kernel to keep records 8-byte aligned: up to 7 trailing bytes); PERF_RECORD_LOST says how many
 * samples the kernel dropped on that CPU because the ring was full — reported as a `lost` event
 * and counted per CPU, never silently. A record that runs past the end of the ring is copied into
 * a fresh buffer; all others are handed out zero-copy, valid until the next one is requested.
 */
import { bpf_map_type } from '../abi/index.js';
import { TsbpfError } from '../errors.js';
import { Fd, fdNum, mapDeleteElem, mapInfo, mapUpdateElem, type FdLike } from '../sys/bpf.js';
import { Mapping, PROT_READ, PROT_WRITE, pageSize } from '../sys/mmap.js';
import { onlineCpus, openBpfOutputEvent, perfEventDisable, perfEventEnable } from '../sys/perf.js';
import { Poller } from '../sys/poll.js';
import { sourceFd, type MapSource } from './ringbuf.js';

const PERF_RECORD_LOST = 2;
const PERF_RECORD_SAMPLE = 9;
const HEAD_INDEX = 1024 / 8; // perf_event_mmap_page.data_head, as a u64 index
const TAIL_INDEX = 1032 / 8;
const DATA_OFFSET = 1040;
const DATA_SIZE = 1048;

export type PerfEvent =
  | { type: 'sample'; cpu: number; data: Uint8Array }
  | { type: 'lost'; cpu: number; count: number };

export interface PerfBufferOptions {
  /** Data pages per CPU ring, a power of two (default 8). */
  pageCount?: number;
  /** CPUs to read (default: every online CPU the map has a slot for). */
  cpus?: number[];
  /** Wake the reader after this many samples per CPU (default 1). */
  wakeupEvents?: number;
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
  meta: BigUint64Array;
  data: Uint8Array;
  view: DataView;
  size: number;
  /** Position after the last record handed out (committed to data_tail lazily). */
  cursor: bigint;
  committed: bigint;
}

export class PerfBuffer implements AsyncIterable<PerfEvent> {
  readonly name: string;
  readonly stats: PerfBufferStats = { samples: 0, bytes: 0, lost: 0, wakeups: 0 };
  /** Lost samples per CPU. */
  readonly lostByCpu = new Map<number, number>();
  private readonly mapFd: number;
  private readonly rings: CpuRing[] = [];
  private next_ = 0;
  private readonly poller = Poller.shared();
  private registered = false;
  private waiter?: () => void;
  private subscriber?: (e: PerfEvent) => void;
  private onError?: (err: Error) => void;
  private failure?: Error;
  private closed = false;

  private constructor(src: { fd: FdLike; name?: string }, opts: PerfBufferOptions) {
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
    try {
      const page = pageSize();
      const map = Mapping.map(fd.value, page * (pages + 1), PROT_READ | PROT_WRITE, 0, `perf buffer '${this.name}' cpu ${cpu}`);
      const meta = new BigUint64Array(map.buffer, 0, page / 8);
      const dv = new DataView(map.buffer);
      const dataOff = Number(dv.getBigUint64(DATA_OFFSET, true)) || page;
      const size = Number(dv.getBigUint64(DATA_SIZE, true)) || page * pages;
      const data = new Uint8Array(map.buffer, dataOff, size);
      const tail = Atomics.load(meta, TAIL_INDEX);
      const ring: CpuRing = { cpu, fd, map, meta, data, view: new DataView(map.buffer, dataOff, size), size, cursor: tail, committed: tail };
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, cpu, true);
      const value = new Uint8Array(4);
      new DataView(value.buffer).setUint32(0, fd.value, true);
      mapUpdateElem(this.mapFd, key, value);
      perfEventEnable(fd.value);
      return ring;
    } catch (e) {
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

  private readRing(r: CpuRing): PerfEvent | undefined {
    // Called only when the previous record is released: free space in batches of a quarter ring.
    if (r.cursor - r.committed >= BigInt(r.size >> 2)) this.commitRing(r);
    for (;;) {
      const head = Atomics.load(r.meta, HEAD_INDEX);
      if (r.cursor >= head) return undefined;
      const off = Number(r.cursor % BigInt(r.size));
      const type = r.view.getUint32(off, true);
      const size = r.view.getUint16(off + 6, true);
      if (size < 8 || size > r.size) throw new TsbpfError('MAP', `perf buffer '${this.name}' cpu ${r.cpu}: corrupt record header (size ${size}) at ${r.cursor}`);
      // Header fields never straddle the end (records are 8-byte aligned); the body may.
      const rec = off + size <= r.size ? r.data.subarray(off, off + size) : wrapped(r, off, size);
      r.cursor += BigInt(size);
      if (type === PERF_RECORD_SAMPLE && size >= 12) {
        const len = Math.min(new DataView(rec.buffer, rec.byteOffset + 8, 4).getUint32(0, true), size - 12);
        this.stats.samples++;
        this.stats.bytes += len;
        return { type: 'sample', cpu: r.cpu, data: rec.subarray(12, 12 + len) };
      }
      if (type === PERF_RECORD_LOST && size >= 24) {
        const count = Number(new DataView(rec.buffer, rec.byteOffset + 16, 8).getBigUint64(0, true));
        this.stats.lost += count;
        this.lostByCpu.set(r.cpu, (this.lostByCpu.get(r.cpu) ?? 0) + count);
        return { type: 'lost', cpu: r.cpu, count };
      }
      // Other record types (none expected for BPF output events) are skipped.
    }
  }

  /** The next record from any CPU (round-robin), or undefined when every ring is caught up. */
  next(): PerfEvent | undefined {
    if (this.closed) return undefined;
    for (let i = 0; i < this.rings.length; i++) {
      const r = this.rings[(this.next_ + i) % this.rings.length];
      const e = this.readRing(r);
      if (e) {
        this.next_ = (this.next_ + i) % this.rings.length;
        return e;
      }
      this.commitRing(r);
    }
    return undefined;
  }

  private commitRing(r: CpuRing): void {
    if (r.cursor === r.committed) return;
    Atomics.store(r.meta, TAIL_INDEX, r.cursor);
    r.committed = r.cursor;
  }

  /** Releases the space of every record handed out so far to the kernel. */
  commit(): void {
    if (this.closed) return;
    for (const r of this.rings) this.commitRing(r);
  }

  /** Calls `fn` for each record available now (at most `limit`), commits, returns how many. */
  consume(fn: (e: PerfEvent) => void, limit = Infinity): number {
    let n = 0;
    try {
      while (n < limit) {
        const e = this.next();
        if (!e) break;
        n++;
        fn(e);
      }
    } finally {
      this.commit();
    }
    return n;
  }

  /** Makes sure the next readiness of each ring is reported to ready() (one-shot per fd). */
  private listen(): void {
    if (this.closed || this.failure) return;
    if (this.registered) {
      for (const r of this.rings) this.poller.rearm(r.fd.value);
      return;
    }
    this.registered = true;
    for (const r of this.rings) {
      this.poller.add(r.fd.value, () => this.ready(r), (e) => {
        this.failure = e;
        if (this.onError) this.onError(e);
        this.wake();
      });
    }
  }

  private ready(r: CpuRing): void {
    this.stats.wakeups++;
    if (this.subscriber && !this.failure) {
      this.consume(this.subscriber);
      if (!this.closed) this.poller.rearm(r.fd.value);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Calls `fn` for every sample and loss as they arrive, until close(). Errors go to `onError`. */
  subscribe(fn: (e: PerfEvent) => void, onError?: (err: Error) => void): void {
    if (this.subscriber) throw new TsbpfError('MAP', `perf buffer '${this.name}' already has a subscriber`);
    this.subscriber = fn;
    this.onError = onError;
    this.consume(fn);
    this.listen();
  }

  /** Resolves when records may be available (or the reader was closed). */
  async wait(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed) return;
    this.commit();
    this.listen();
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
      if (this.rings.some((r) => Atomics.load(r.meta, HEAD_INDEX) > r.cursor)) this.wake();
    });
    if (this.failure) throw this.failure;
  }

  /** Samples and losses as they arrive, until close(). A sample's view is valid until the next is requested. */
  async *[Symbol.asyncIterator](): AsyncIterator<PerfEvent> {
    while (!this.closed) {
      const e = this.next();
      if (e) {
        yield e;
        continue;
      }
      await this.wait();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Disables the events, removes them from the map, unmaps and closes them. The map fd stays the caller's. */
  close(): void {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    for (const r of this.rings) {
      if (this.registered) this.poller.remove(r.fd.value);
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
    this.wake();
  }
}

/** A record crossing the end of the ring, copied out in one piece. */
function wrapped(r: CpuRing, off: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const first = r.size - off;
  out.set(r.data.subarray(off, r.size), 0);
  out.set(r.data.subarray(0, size - first), first);
  return out;
}
