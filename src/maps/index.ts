/** Typed maps: the right class for a map's type, codecs, pinning. */
import { bpf_map_type } from '../abi/index.js';
import type { Fd } from '../sys/bpf.js';
import { codecs as ready, type Codec } from './codec.js';
import { BpfMap, type MapSpec } from './map.js';
import { ProgArray } from './prog-array.js';
import { QueueMap } from './queue.js';

export { BpfMap, MapError, isPerCpu, type MapSpec, type MapCodecs, type UpdateFlag } from './map.js';
export { QueueMap } from './queue.js';
export { ProgArray, type ProgRef } from './prog-array.js';
export { codecs, codecFromBtf, intCodec, bytesCodec, stringCodec, arrayCodec, CodecError, type Codec } from './codec.js';
export { ensurePinDir } from './pin.js';

const T = bpf_map_type;
const u32Codec = ready.u32 as Codec<unknown>;
/** Map types whose keys are indexes: without BTF their keys still read as numbers. */
const INDEXED = new Set<number>([T.BPF_MAP_TYPE_ARRAY, T.BPF_MAP_TYPE_PERCPU_ARRAY, T.BPF_MAP_TYPE_PROG_ARRAY, T.BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  T.BPF_MAP_TYPE_DEVMAP, T.BPF_MAP_TYPE_CPUMAP, T.BPF_MAP_TYPE_XSKMAP, T.BPF_MAP_TYPE_ARRAY_OF_MAPS, T.BPF_MAP_TYPE_CGROUP_ARRAY]);

/**
 * Wraps a map fd in the class for its type (queue/stack → QueueMap, prog array → ProgArray).
 * Without a key codec, index-keyed maps (arrays, fd arrays) get u32 keys; other keys and values
 * stay raw bytes.
 */
export function wrapMap(fd: Fd, spec: MapSpec, codecs: { key?: Codec<unknown>; value?: Codec<unknown> } = {}): BpfMap {
  if (!codecs.key && INDEXED.has(spec.type) && spec.keySize === 4) codecs = { ...codecs, key: u32Codec };
  switch (spec.type) {
    case bpf_map_type.BPF_MAP_TYPE_QUEUE:
    case bpf_map_type.BPF_MAP_TYPE_STACK:
      return new QueueMap(fd, spec, codecs) as BpfMap;
    case bpf_map_type.BPF_MAP_TYPE_PROG_ARRAY:
      return new ProgArray(fd, spec) as unknown as BpfMap;
    default:
      return new BpfMap(fd, spec, codecs);
  }
}

/** Opens a map pinned at `path` as the class for its type. */
export function openPinnedMap<K = Uint8Array, V = Uint8Array>(path: string, codecs: { key?: Codec<K>; value?: Codec<V> } = {}): BpfMap<K, V> {
  const m = BpfMap.fromPin(path, codecs);
  if (m.type === bpf_map_type.BPF_MAP_TYPE_QUEUE || m.type === bpf_map_type.BPF_MAP_TYPE_STACK || m.type === bpf_map_type.BPF_MAP_TYPE_PROG_ARRAY) {
    const spec: MapSpec = { name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags };
    return wrapMap(m.fd, spec, codecs as { key?: Codec<unknown>; value?: Codec<unknown> }) as BpfMap<K, V>;
  }
  return m;
}

// The ring and perf buffer readers (another helper's files), re-exported so `maps` is one import.
export { RingBuffer, type RingBufferOptions, type RingBufferStats, type RawRecordHandler } from './ringbuf.js';
export { PerfBuffer, type PerfEvent, type PerfBufferOptions, type PerfBufferStats, type RawSampleHandler } from './perfbuf.js';
