/**
 * bpf(2) map commands: create (with a diagnosis of EINVAL), element lookup/update/delete/next
 * key, lookup-and-delete (queue/stack pop), freeze and the *_BATCH operations. Keys and values
 * are plain Uint8Arrays; they are copied through pinned scratch memory, so callers never need to
 * pin anything.
 */
import { attr as A } from '../abi/attr.gen.js';
import { BPF_F_NO_PREALLOC, bpf_map_type, enumName } from '../abi/index.js';
import { attrFor, bpf, bpfError, bpfRaw, scratch, type BpfCmd } from './bpf-attr.js';
import { E } from './errors.js';
import { Fd, fdNum, type FdLike } from './bpf-fd.js';

const T = bpf_map_type;

export interface MapCreateOptions {
  /** `bpf_map_type` value (BPF_MAP_TYPE_*). */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** Up to 15 characters of [A-Za-z0-9_.] (longer names are truncated). */
  name?: string;
  innerMapFd?: FdLike;
  numaNode?: number;
  ifindex?: number;
  btfFd?: FdLike;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
  mapExtra?: bigint;
}

/** BPF_MAP_CREATE → a new map fd owned by the caller. */
export function mapCreate(o: MapCreateOptions): Fd {
  const a = attrFor(A.map_create)
    .set('map_type', o.type)
    .set('key_size', o.keySize)
    .set('value_size', o.valueSize)
    .set('max_entries', o.maxEntries)
    .set('map_flags', o.flags ?? 0)
    .set('inner_map_fd', o.innerMapFd !== undefined ? fdNum(o.innerMapFd) : 0)
    .set('numa_node', o.numaNode ?? 0)
    .set('map_ifindex', o.ifindex ?? 0)
    .set('btf_fd', o.btfFd !== undefined ? fdNum(o.btfFd) : 0)
    .set('btf_key_type_id', o.btfKeyTypeId ?? 0)
    .set('btf_value_type_id', o.btfValueTypeId ?? 0)
    .set('btf_vmlinux_value_type_id', o.btfVmlinuxValueTypeId ?? 0)
    .set('map_extra', o.mapExtra ?? 0n);
  if (o.name) a.setName('map_name', o.name);
  const what = `map '${o.name ?? ''}'`;
  const r = bpfRaw('BPF_MAP_CREATE', a);
  if (r < 0) {
    const detail = -r === E.EINVAL ? suspectMapAttr(o) : undefined;
    throw bpfError('BPF_MAP_CREATE', -r, what, detail);
  }
  return new Fd(r, what);
}

const KEY4 = new Set<number>([T.BPF_MAP_TYPE_ARRAY, T.BPF_MAP_TYPE_PERCPU_ARRAY, T.BPF_MAP_TYPE_PROG_ARRAY,
  T.BPF_MAP_TYPE_PERF_EVENT_ARRAY, T.BPF_MAP_TYPE_DEVMAP, T.BPF_MAP_TYPE_CPUMAP, T.BPF_MAP_TYPE_XSKMAP,
  T.BPF_MAP_TYPE_ARRAY_OF_MAPS, T.BPF_MAP_TYPE_CGROUP_ARRAY]);
const VALUE4 = new Set<number>([T.BPF_MAP_TYPE_PROG_ARRAY, T.BPF_MAP_TYPE_PERF_EVENT_ARRAY, T.BPF_MAP_TYPE_XSKMAP,
  T.BPF_MAP_TYPE_ARRAY_OF_MAPS, T.BPF_MAP_TYPE_HASH_OF_MAPS, T.BPF_MAP_TYPE_CGROUP_ARRAY]);
const NO_KEY = new Set<number>([T.BPF_MAP_TYPE_QUEUE, T.BPF_MAP_TYPE_STACK, T.BPF_MAP_TYPE_RINGBUF, T.BPF_MAP_TYPE_BLOOM_FILTER]);

/** Which attribute most likely made the kernel answer EINVAL to BPF_MAP_CREATE. */
export function suspectMapAttr(o: MapCreateOptions): string {
  const type = enumName(bpf_map_type, o.type)?.slice('BPF_MAP_TYPE_'.length).toLowerCase();
  const pageSize = 4096;
  if (!type) return `map_type ${o.type} is not a map type this tsbpf knows`;
  if (o.name && !/^[A-Za-z0-9_.]*$/.test(o.name.slice(0, 15))) return `map_name '${o.name}' has characters other than [A-Za-z0-9_.]`;
  if (type === 'ringbuf' || type === 'user_ringbuf') {
    if (o.keySize !== 0 || o.valueSize !== 0) return `${type} needs key_size 0 and value_size 0 (got ${o.keySize}/${o.valueSize})`;
    const n = o.maxEntries;
    if (n < pageSize || (n & (n - 1)) !== 0) return `${type} max_entries (${n}) must be a power of 2 and a multiple of the page size (${pageSize})`;
  }
  if (NO_KEY.has(o.type) && o.keySize !== 0 && type !== 'ringbuf') return `${type} needs key_size 0 (got ${o.keySize})`;
  if (!NO_KEY.has(o.type) && o.keySize === 0) return `key_size is 0`;
  if (KEY4.has(o.type) && o.keySize !== 4) return `${type} needs key_size 4 (got ${o.keySize})`;
  if (VALUE4.has(o.type) && o.valueSize !== 4) return `${type} needs value_size 4 (got ${o.valueSize})`;
  if ((type === 'devmap' || type === 'devmap_hash' || type === 'cpumap') && o.valueSize !== 4 && o.valueSize !== 8) {
    return `${type} needs value_size 4 or 8 (got ${o.valueSize})`;
  }
  if (type === 'lpm_trie') {
    if (!((o.flags ?? 0) & BPF_F_NO_PREALLOC)) return 'lpm_trie needs map_flags BPF_F_NO_PREALLOC';
    if (o.keySize <= 4) return `lpm_trie key_size (${o.keySize}) must be 4 bytes of prefix length plus the data`;
  }
  if (o.valueSize === 0 && !NO_KEY.has(o.type)) return 'value_size is 0';
  if (o.maxEntries === 0) return 'max_entries is 0';
  if (o.btfFd !== undefined && (o.btfKeyTypeId || o.btfValueTypeId)) {
    return `the BTF key/value type ids (${o.btfKeyTypeId}/${o.btfValueTypeId}) do not match key_size/value_size, or map_flags 0x${(o.flags ?? 0).toString(16)} are not valid for ${type}`;
  }
  return `map_flags 0x${(o.flags ?? 0).toString(16)} are not valid for ${type}, or this kernel does not support it`;
}

function elem(cmd: BpfCmd, fd: FdLike, key: Uint8Array | null, valueAddr: bigint, flags: number | bigint) {
  const a = attrFor(A.map_elem)
    .set('map_fd', fdNum(fd))
    .set('key', key ? scratch.key.put(key) : 0n)
    .set('value', valueAddr)
    .set('flags', flags);
  return bpfRaw(cmd, a);
}

function copyOut(into: Uint8Array): void {
  into.set(scratch.value.space(into.byteLength).subarray(0, into.byteLength));
}

/** BPF_MAP_LOOKUP_ELEM into `value`; false when the key is absent (ENOENT). `key` null peeks a queue/stack. */
export function mapLookupElem(fd: FdLike, key: Uint8Array | null, value: Uint8Array, flags: number | bigint = 0): boolean {
  const r = elem('BPF_MAP_LOOKUP_ELEM', fd, key, scratch.value.addr(value.byteLength), flags);
  if (r === -E.ENOENT) return false;
  if (r < 0) throw bpfError('BPF_MAP_LOOKUP_ELEM', -r, describeFd(fd));
  copyOut(value);
  return true;
}

/** BPF_MAP_UPDATE_ELEM (flags BPF_ANY/BPF_NOEXIST/BPF_EXIST/BPF_F_LOCK). `key` null pushes to a queue/stack. */
export function mapUpdateElem(fd: FdLike, key: Uint8Array | null, value: Uint8Array, flags: number | bigint = 0): void {
  const r = elem('BPF_MAP_UPDATE_ELEM', fd, key, scratch.value.put(value), flags);
  if (r < 0) throw bpfError('BPF_MAP_UPDATE_ELEM', -r, describeFd(fd));
}

/** BPF_MAP_DELETE_ELEM; false when the key was absent. */
export function mapDeleteElem(fd: FdLike, key: Uint8Array): boolean {
  const r = elem('BPF_MAP_DELETE_ELEM', fd, key, 0n, 0);
  if (r === -E.ENOENT) return false;
  if (r < 0) throw bpfError('BPF_MAP_DELETE_ELEM', -r, describeFd(fd));
  return true;
}

/** BPF_MAP_GET_NEXT_KEY into `next`; `key` null gives the first key. False at the end. */
export function mapGetNextKey(fd: FdLike, key: Uint8Array | null, next: Uint8Array): boolean {
  const a = attrFor(A.map_elem)
    .set('map_fd', fdNum(fd))
    .set('key', key ? scratch.key.put(key) : 0n)
    .set('next_key', scratch.next.addr(next.byteLength));
  const r = bpfRaw('BPF_MAP_GET_NEXT_KEY', a);
  if (r === -E.ENOENT) return false;
  if (r < 0) throw bpfError('BPF_MAP_GET_NEXT_KEY', -r, describeFd(fd));
  next.set(scratch.next.space(next.byteLength).subarray(0, next.byteLength));
  return true;
}

/** BPF_MAP_LOOKUP_AND_DELETE_ELEM (`key` null pops a queue/stack); false when empty/absent. */
export function mapLookupAndDeleteElem(fd: FdLike, key: Uint8Array | null, value: Uint8Array, flags: number | bigint = 0): boolean {
  const r = elem('BPF_MAP_LOOKUP_AND_DELETE_ELEM', fd, key, scratch.value.addr(value.byteLength), flags);
  if (r === -E.ENOENT) return false;
  if (r < 0) throw bpfError('BPF_MAP_LOOKUP_AND_DELETE_ELEM', -r, describeFd(fd));
  copyOut(value);
  return true;
}

/** BPF_MAP_FREEZE: no more writes from user space (programs still may, unless BPF_F_RDONLY_PROG). */
export function mapFreeze(fd: FdLike): void {
  bpf('BPF_MAP_FREEZE', attrFor(A.map_elem).set('map_fd', fdNum(fd)), describeFd(fd));
}

export interface BatchLookup {
  /** Position to resume from (the previous call's outBatch), or null to start at the beginning. */
  inBatch: Uint8Array | null;
  /** Receives the resume position; at least max(key size, 4) bytes. */
  outBatch: Uint8Array;
  /** Room for `count` keys and values (per-CPU values: value size rounded to 8 × possible CPUs). */
  keys: Uint8Array;
  values: Uint8Array;
  count: number;
  elemFlags?: number | bigint;
  flags?: number | bigint;
}

export interface BatchResult {
  /** Elements filled (or processed). */
  count: number;
  /** True when the map has no more elements (the kernel answered ENOENT). */
  done: boolean;
}

function batchLookup(cmd: 'BPF_MAP_LOOKUP_BATCH' | 'BPF_MAP_LOOKUP_AND_DELETE_BATCH', fd: FdLike, o: BatchLookup): BatchResult {
  const a = attrFor(A.batch)
    .set('in_batch', o.inBatch ? scratch.next.put(o.inBatch) : 0n)
    .set('out_batch', scratch.aux.addr(o.outBatch.byteLength))
    .set('keys', scratch.key.addr(o.keys.byteLength))
    .set('values', scratch.value.addr(o.values.byteLength))
    .set('count', o.count)
    .set('map_fd', fdNum(fd))
    .set('elem_flags', o.elemFlags ?? 0)
    .set('flags', o.flags ?? 0);
  const r = bpfRaw(cmd, a);
  if (r < 0 && r !== -E.ENOENT) throw bpfError(cmd, -r, describeFd(fd));
  const count = a.get('count');
  o.keys.set(scratch.key.space(0).subarray(0, o.keys.byteLength));
  o.values.set(scratch.value.space(0).subarray(0, o.values.byteLength));
  o.outBatch.set(scratch.aux.space(0).subarray(0, o.outBatch.byteLength));
  return { count, done: r === -E.ENOENT };
}

/** BPF_MAP_LOOKUP_BATCH: up to `count` elements from `inBatch` on. */
export function mapLookupBatch(fd: FdLike, o: BatchLookup): BatchResult {
  return batchLookup('BPF_MAP_LOOKUP_BATCH', fd, o);
}

/** BPF_MAP_LOOKUP_AND_DELETE_BATCH (hash maps). */
export function mapLookupAndDeleteBatch(fd: FdLike, o: BatchLookup): BatchResult {
  return batchLookup('BPF_MAP_LOOKUP_AND_DELETE_BATCH', fd, o);
}

/** BPF_MAP_UPDATE_BATCH of `count` packed keys/values; returns how many the kernel stored. */
export function mapUpdateBatch(fd: FdLike, keys: Uint8Array, values: Uint8Array, count: number, elemFlags: number | bigint = 0): number {
  const a = attrFor(A.batch)
    .set('keys', scratch.key.put(keys))
    .set('values', scratch.value.put(values))
    .set('count', count)
    .set('map_fd', fdNum(fd))
    .set('elem_flags', elemFlags);
  const r = bpfRaw('BPF_MAP_UPDATE_BATCH', a);
  if (r < 0) throw bpfError('BPF_MAP_UPDATE_BATCH', -r, describeFd(fd), `${a.get('count')} of ${count} elements were stored`);
  return a.get('count');
}

/** BPF_MAP_DELETE_BATCH of `count` packed keys; returns how many were deleted (stops at a missing key). */
export function mapDeleteBatch(fd: FdLike, keys: Uint8Array, count: number, elemFlags: number | bigint = 0): number {
  const a = attrFor(A.batch)
    .set('keys', scratch.key.put(keys))
    .set('count', count)
    .set('map_fd', fdNum(fd))
    .set('elem_flags', elemFlags);
  const r = bpfRaw('BPF_MAP_DELETE_BATCH', a);
  if (r < 0 && r !== -E.ENOENT) throw bpfError('BPF_MAP_DELETE_BATCH', -r, describeFd(fd), `${a.get('count')} of ${count} elements were deleted`);
  return a.get('count');
}

function describeFd(fd: FdLike): string {
  return typeof fd === 'number' ? `map fd ${fd}` : fd.what;
}
