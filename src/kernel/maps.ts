/**
 * BPF maps, declared as module-level constants:
 *   const drops = new HashMap<u32, u64>({ maxEntries: 1024 });
 * The compiler writes each as a BTF-defined map in `.maps` (libbpf style) named after the constant.
 * `lookup` gives a view of the value inside the map (writes go straight to the map), or null.
 * A struct value is viewed as the struct; an integer value as `Ref<V>` with a `value` field.
 */
import type { u32, u64, i64 } from './types.js';

/** A view of an integer stored in a map: read and write `.value`, or pass it to atomic_add. */
export interface Ref<V> {
  value: V;
}
export type MapValue<V> = V extends number ? Ref<V> : V;

export interface MapOptions {
  maxEntries: number;
  /** BPF_F_* map flags (e.g. BPF_F_NO_PREALLOC = 1). */
  flags?: number;
  /** Pin under /sys/fs/bpf by name on load. */
  pinning?: 'byName';
}

/** Flags of `update`: BPF_ANY (0), BPF_NOEXIST (1), BPF_EXIST (2). */
export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

declare class KeyedMap<K, V> {
  constructor(options: MapOptions);
  /** bpf_map_lookup_elem. */
  lookup(key: K): MapValue<V> | null;
  /** bpf_map_update_elem; 0 on success, a negative errno otherwise. */
  update(key: K, value: V, flags?: u64): i64;
  /** bpf_map_delete_elem; 0 on success, a negative errno otherwise. */
  delete(key: K): i64;
}

export declare class ArrayMap<V> extends KeyedMap<u32, V> {}
export declare class PerCpuArray<V> extends KeyedMap<u32, V> {}
export declare class HashMap<K, V> extends KeyedMap<K, V> {}
export declare class PerCpuHashMap<K, V> extends KeyedMap<K, V> {}
export declare class LruHashMap<K, V> extends KeyedMap<K, V> {}
/** Longest-prefix-match trie; K is a struct whose first field is `prefixlen: u32`. Needs flags: 1 (BPF_F_NO_PREALLOC). */
export declare class LpmTrie<K, V> extends KeyedMap<K, V> {}

/** Ring buffer of `maxEntries` bytes (a power of two, multiple of the page size). */
export declare class RingBuf {
  constructor(options: MapOptions);
  /** Reserves space for one T; submit or discard it on every path. */
  reserve<T extends object>(): T | null;
  submit(record: object, flags?: u64): void;
  discard(record: object, flags?: u64): void;
  /** Copies `record` (a struct variable or view) into the buffer; 0 on success. */
  output(record: object, flags?: u64): i64;
}

/** Programs for tail_call, indexed by u32. */
export declare class ProgArray {
  constructor(options: MapOptions);
}
/** Interfaces for redirect_map (values are ifindexes). */
export declare class DevMap {
  constructor(options: MapOptions);
}
/** CPUs for redirect_map (values are queue sizes). */
export declare class CpuMap {
  constructor(options: MapOptions);
}
