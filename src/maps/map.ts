/**
 * A map in the kernel seen from JavaScript: get/set/delete/has, iteration by key, batch
 * operations where the kernel supports them (falling back to one element at a time), per-CPU
 * values as arrays (one per possible CPU), pinning. Keys and values go through codecs (codec.ts).
 */
import { unlinkSync } from 'node:fs';
import { bpf_map_type, BPF_ANY, BPF_EXIST, BPF_NOEXIST, mapTypeName } from '../abi/index.js';
import {
  E, Fd, SysError, mapDeleteBatch, mapDeleteElem, mapFreeze, mapGetNextKey, mapInfo, mapLookupBatch,
  mapLookupElem, mapUpdateBatch, mapUpdateElem, objGet, objPin, possibleCpus, type MapInfo,
} from '../sys/bpf.js';
import { TsbpfError } from '../errors.js';
import { arrayCodec, bytesCodec, type Codec } from './codec.js';
import { ensurePinDir } from './pin.js';

const T = bpf_map_type;
const PER_CPU = new Set<number>([T.BPF_MAP_TYPE_PERCPU_ARRAY, T.BPF_MAP_TYPE_PERCPU_HASH, T.BPF_MAP_TYPE_LRU_PERCPU_HASH, T.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE]);
const ARRAYS = new Set<number>([T.BPF_MAP_TYPE_ARRAY, T.BPF_MAP_TYPE_PERCPU_ARRAY]);

export function isPerCpu(type: number): boolean {
  return PER_CPU.has(type);
}

/** What describes a map: from the loader (its definition) or from the kernel (a pinned map). */
export interface MapSpec {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface MapCodecs<K, V> {
  key?: Codec<K>;
  /** For per-CPU maps: the codec of one CPU's value (the map returns arrays of them). */
  value?: Codec<V>;
}

export type UpdateFlag = 'any' | 'noexist' | 'exist' | number;

function flagValue(f: UpdateFlag | undefined): number {
  if (f === undefined || f === 'any') return BPF_ANY;
  if (f === 'noexist') return BPF_NOEXIST;
  if (f === 'exist') return BPF_EXIST;
  return f;
}

export class MapError extends TsbpfError {
  constructor(message: string, hint?: string) {
    super('MAP', message, hint);
  }
}

/**
 * A loaded map. `K`/`V` are the decoded key and value types (unknown when not told; Uint8Array
 * for maps without BTF or codecs). For per-CPU maps `V` is an array with one entry per possible CPU.
 */
export class BpfMap<K = unknown, V = unknown> {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  /** Size of one value as the program sees it (one CPU's slot for per-CPU maps). */
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
  /** Path this map is pinned at by us (pin()), if any. */
  pinnedAt?: string;
  private batchOk: boolean | undefined;
  private readonly keyBuf: Uint8Array;
  private readonly valBuf: Uint8Array;

  constructor(readonly fd: Fd, spec: MapSpec, codecs: { key?: Codec<unknown>; value?: Codec<unknown> } = {}) {
    this.name = spec.name;
    this.type = spec.type;
    this.keySize = spec.keySize;
    this.valueSize = spec.valueSize;
    this.maxEntries = spec.maxEntries;
    this.flags = spec.flags;
    this.keyCodec = (codecs.key ?? bytesCodec(spec.keySize)) as Codec<K>;
    let value = codecs.value ?? bytesCodec(spec.valueSize);
    if (PER_CPU.has(spec.type)) value = arrayCodec(value, possibleCpus(), Math.ceil(spec.valueSize / 8) * 8);
    this.valueCodec = value as Codec<V>;
    if (this.keyCodec.size !== spec.keySize && spec.keySize !== 0) {
      throw new MapError(`map '${spec.name}': key codec ${this.keyCodec.typeName} is ${this.keyCodec.size} bytes but the map's keys are ${spec.keySize}`);
    }
    if (spec.valueSize !== 0 && (codecs.value?.size ?? spec.valueSize) !== spec.valueSize) {
      throw new MapError(`map '${spec.name}': value codec ${codecs.value!.typeName} is ${codecs.value!.size} bytes but the map's values are ${spec.valueSize}`);
    }
    this.keyBuf = new Uint8Array(Math.max(spec.keySize, 1));
    this.valBuf = new Uint8Array(Math.max(this.valueCodec.size, 1));
  }

  /** Opens a map pinned at `path` (its fd is owned by the returned object). */
  static fromPin<K = Uint8Array, V = Uint8Array>(path: string, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    const fd = objGet(path);
    try {
      const i = mapInfo(fd);
      const spec: MapSpec = { name: i.name, type: i.type, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries, flags: i.mapFlags };
      return new BpfMap<K, V>(fd, spec, codecs as { key?: Codec<unknown>; value?: Codec<unknown> });
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  /** `hash`, `percpu_array`, … as bpftool names map types. */
  get typeName(): string {
    return mapTypeName(this.type) ?? String(this.type);
  }

  get perCpu(): boolean {
    return PER_CPU.has(this.type);
  }

  encodeKey(key: K, into = this.keyBuf): Uint8Array {
    into.fill(0);
    this.keyCodec.encode(key, into, 0);
    return into;
  }

  encodeValue(value: V, into = this.valBuf): Uint8Array {
    into.fill(0);
    this.valueCodec.encode(value, into, 0);
    return into;
  }

  /** The value for `key`, or undefined when absent. */
  get(key: K): V | undefined {
    const k = this.encodeKey(key);
    if (!mapLookupElem(this.fd, k, this.valBuf)) return undefined;
    return this.valueCodec.decode(this.valBuf, 0);
  }

  has(key: K): boolean {
    return mapLookupElem(this.fd, this.encodeKey(key), this.valBuf);
  }

  /** Stores `value` at `key`; flags: 'any' (default), 'noexist', 'exist'. */
  set(key: K, value: V, flags?: UpdateFlag): this {
    const k = this.encodeKey(key);
    mapUpdateElem(this.fd, k, this.encodeValue(value), flagValue(flags));
    return this;
  }

  /** Deletes `key`; false when it was absent. Array maps cannot delete (EINVAL). */
  delete(key: K): boolean {
    if (ARRAYS.has(this.type)) throw new MapError(`map '${this.name}' is an ${this.typeName}: array elements cannot be deleted`, 'set the element to zero instead');
    return mapDeleteElem(this.fd, this.encodeKey(key));
  }

  /** Keys in kernel order. Deleting the current key while iterating restarts a hash map's walk. */
  *keys(): IterableIterator<K> {
    for (const raw of this.rawKeys()) yield this.keyCodec.decode(raw, 0);
  }

  /** Each key's bytes (a fresh copy per key). */
  *rawKeys(): IterableIterator<Uint8Array> {
    let cur: Uint8Array | null = null;
    for (let n = 0; ; n++) {
      const next = new Uint8Array(Math.max(this.keySize, 1));
      if (!mapGetNextKey(this.fd, cur, next)) return;
      cur = next;
      yield next;
      // Guard against a walk that never ends (a map being refilled while we read it).
      if (n > this.maxEntries * 4 + 16) throw new MapError(`map '${this.name}': iteration did not end after ${n} keys`, 'the map is being modified while it is read');
    }
  }

  /** [key, value] pairs (elements deleted between the key walk and the lookup are skipped). */
  *entries(): IterableIterator<[K, V]> {
    const val = new Uint8Array(this.valBuf.length);
    for (const raw of this.rawKeys()) {
      if (mapLookupElem(this.fd, raw, val)) yield [this.keyCodec.decode(raw, 0), this.valueCodec.decode(val, 0)];
    }
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /**
   * Every element, read with BPF_MAP_LOOKUP_BATCH `batchSize` at a time where the kernel supports
   * it for this map type, else element by element.
   */
  readAll(batchSize = 256): [K, V][] {
    if (this.batchOk !== false) {
      try {
        const r = this.batchRead(batchSize);
        this.batchOk = true;
        return r;
      } catch (e) {
        if (!(e instanceof SysError) || ![E.EINVAL, E.ENOTSUPP, E.EOPNOTSUPP].includes(e.errno as 22) || this.batchOk) throw e;
        this.batchOk = false;
      }
    }
    return [...this.entries()];
  }

  private batchRead(batchSize: number): [K, V][] {
    const out: [K, V][] = [];
    const ks = this.keySize, vs = this.valueCodec.size;
    let n = Math.max(1, batchSize);
    let inBatch: Uint8Array | null = null;
    const outBatch = new Uint8Array(Math.max(ks, 8));
    for (;;) {
      const keys = new Uint8Array(ks * n);
      const values = new Uint8Array(vs * n);
      let r;
      try {
        r = mapLookupBatch(this.fd, { inBatch, outBatch, keys, values, count: n });
      } catch (e) {
        // A hash bucket holds more elements than fit: ask again with room for more.
        if (e instanceof SysError && e.errno === E.ENOSPC && n < 1 << 20) { n *= 4; continue; }
        throw e;
      }
      for (let i = 0; i < r.count; i++) out.push([this.keyCodec.decode(keys, i * ks), this.valueCodec.decode(values, i * vs)]);
      if (r.done) return out;
      inBatch = Uint8Array.from(outBatch);
    }
  }

  /** Stores many elements (BPF_MAP_UPDATE_BATCH where supported); returns how many were stored. */
  setMany(entries: Iterable<[K, V]>, flags?: UpdateFlag): number {
    const list = [...entries];
    if (list.length === 0) return 0;
    const ks = this.keySize, vs = this.valueCodec.size;
    if (this.batchOk !== false) {
      const keys = new Uint8Array(ks * list.length);
      const values = new Uint8Array(vs * list.length);
      list.forEach(([k, v], i) => { this.keyCodec.encode(k, keys, i * ks); this.valueCodec.encode(v, values, i * vs); });
      try {
        return mapUpdateBatch(this.fd, keys, values, list.length, flagValue(flags));
      } catch (e) {
        if (!(e instanceof SysError) || ![E.EINVAL, E.ENOTSUPP, E.EOPNOTSUPP].includes(e.errno as 22) || this.batchOk) throw e;
        this.batchOk = false;
      }
    }
    for (const [k, v] of list) this.set(k, v, flags);
    return list.length;
  }

  /** Deletes many keys (BPF_MAP_DELETE_BATCH where supported); returns how many were deleted. */
  deleteMany(keysIn: Iterable<K>): number {
    const list = [...keysIn];
    if (list.length === 0) return 0;
    if (this.batchOk !== false && !ARRAYS.has(this.type)) {
      const ks = this.keySize;
      const keys = new Uint8Array(ks * list.length);
      list.forEach((k, i) => this.keyCodec.encode(k, keys, i * ks));
      try {
        const n = mapDeleteBatch(this.fd, keys, list.length);
        // The kernel stops at the first absent key; carry on one by one from there.
        let more = 0;
        for (const k of list.slice(n + 1)) if (this.delete(k)) more++;
        return n + more;
      } catch (e) {
        if (!(e instanceof SysError) || ![E.EINVAL, E.ENOTSUPP, E.EOPNOTSUPP].includes(e.errno as 22) || this.batchOk) throw e;
        this.batchOk = false;
      }
    }
    let n = 0;
    for (const k of list) if (this.delete(k)) n++;
    return n;
  }

  /** Deletes every element (arrays: sets every element to zero). */
  clear(): void {
    if (ARRAYS.has(this.type)) {
      const zero = new Uint8Array(this.valBuf.length);
      const key = new Uint8Array(4);
      for (let i = 0; i < this.maxEntries; i++) {
        new DataView(key.buffer).setUint32(0, i, true);
        mapUpdateElem(this.fd, key, zero, BPF_ANY);
      }
      return;
    }
    for (;;) {
      const keys = [...this.keys()];
      if (keys.length === 0) return;
      this.deleteMany(keys);
    }
  }

  /** BPF_MAP_FREEZE: no more changes from user space. */
  freeze(): void {
    mapFreeze(this.fd);
  }

  /** The kernel's view of the map (id, sizes, flags, BTF ids). */
  info(): MapInfo {
    return mapInfo(this.fd);
  }

  /** Pins the map at `path` (mounting bpffs at /sys/fs/bpf when needed). */
  pin(path: string): void {
    ensurePinDir(path);
    objPin(this.fd, path);
    this.pinnedAt = path;
  }

  /** Removes the pin made by pin() (or at `path`). The map lives on while fds or programs use it. */
  unpin(path = this.pinnedAt): void {
    if (!path) throw new MapError(`map '${this.name}' is not pinned`);
    unlinkSync(path);
    if (path === this.pinnedAt) this.pinnedAt = undefined;
  }

  close(): void {
    this.fd.close();
  }
}
