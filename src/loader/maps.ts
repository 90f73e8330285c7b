/**
 * Creating an object's maps in the kernel: BTF-defined and legacy maps of every type, global data
 * maps (`.rodata` written with its initial value plus `constants`, then frozen; `.data`; `.bss`),
 * map-in-map inner templates, pinned-by-name maps reused or pinned.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BPF_F_NO_PREALLOC, bpf_map_type, mapTypeName } from '../abi/index.js';
import type { Btf } from '../btf/index.js';
import type { BpfMap as MapDef, BpfObject, DataVariable } from '../object/index.js';
import { mapCreate, mapFreeze, mapInfo, mapUpdateElem, objGet, objPin, possibleCpus, SysError, E, type Fd } from '../sys/bpf.js';
import { codecFromBtf, ensurePinDir, type Codec } from '../maps/index.js';
import { LoadError } from './errors.js';
import type { Resources } from './resources.js';

const T = bpf_map_type;

export interface CreatedMap {
  def: MapDef;
  fd: Fd;
  /** The kernel's name (truncated/sanitized). */
  kernelName: string;
  maxEntries: number;
  flags: number;
  /** Pinned at this path (by-name pinning), and whether we made the pin. */
  pinPath?: string;
}

export type ConstantValue = number | bigint | boolean | string | Uint8Array | unknown[] | Record<string, unknown>;

export interface MapLoadOptions {
  constants?: Record<string, ConstantValue>;
  /** Per-map overrides by object name. */
  mapOptions?: Record<string, { maxEntries?: number }>;
  /** Directory for maps declared with `__uint(pinning, LIBBPF_PIN_BY_NAME)` (default /sys/fs/bpf). */
  pinPath?: string;
  /** Object name used to prefix global-data map names, as bpftool shows them (`udp_drop.rodata`). */
  objectName: string;
}

/** A kernel map name: at most 15 bytes of [A-Za-z0-9_.]. */
export function kernelMapName(def: MapDef, objectName: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.]/g, '_');
  if (def.kind === 'data') {
    // Like libbpf: up to 8 characters of the object name, then the section name.
    const sec = clean(def.section);
    return (clean(objectName).slice(0, Math.max(0, 15 - sec.length)).slice(0, 8) + sec).slice(0, 15);
  }
  return clean(def.name).slice(0, 15);
}

export function createMaps(obj: BpfObject, btfFd: Fd | undefined, o: MapLoadOptions, res: Resources): Map<string, CreatedMap> {
  const out = new Map<string, CreatedMap>();
  const pending = new Map(Object.entries(o.constants ?? {}));
  for (const def of obj.maps) {
    const m = createOne(def, obj.btf, btfFd, o, res);
    out.set(def.name, m);
    if (def.kind === 'data') initData(m, obj.btf, pending);
  }
  if (pending.size) {
    const known = obj.maps.filter((m) => m.kind === 'data').flatMap((m) => (m.variables ?? []).map((v) => `${v.name} (${m.section})`));
    throw new LoadError(
      `constants: ${[...pending.keys()].map((k) => `'${k}'`).join(', ')} ${pending.size === 1 ? 'is' : 'are'} not a global variable of this object`,
      known.length ? `settable variables: ${known.join(', ')}` : 'this object has no global variables (declare `const volatile` ones for settings)',
    );
  }
  return out;
}

function createOne(def: MapDef, btf: Btf | undefined, btfFd: Fd | undefined, o: MapLoadOptions, res: Resources): CreatedMap {
  const kernelName = kernelMapName(def, o.objectName);
  let maxEntries = o.mapOptions?.[def.name]?.maxEntries ?? def.maxEntries;
  let flags = def.flags;
  let keySize = def.keySize;
  let valueSize = def.valueSize;
  switch (def.type) {
    case T.BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      if (maxEntries === 0) maxEntries = possibleCpus();
      keySize ||= 4;
      valueSize ||= 4;
      break;
    case T.BPF_MAP_TYPE_LPM_TRIE:
      flags |= BPF_F_NO_PREALLOC;
      break;
    case T.BPF_MAP_TYPE_RINGBUF:
      keySize = 0;
      valueSize = 0;
      break;
    default:
      break;
  }
  const pinPath = def.pinning === 1 ? join(o.pinPath ?? '/sys/fs/bpf', def.name) : undefined;
  if (pinPath && existsSync(pinPath)) {
    const fd = res.fd(objGet(pinPath));
    checkPinned(def, fd, pinPath, { keySize, valueSize, maxEntries });
    return { def, fd, kernelName, maxEntries, flags, pinPath };
  }
  let inner: Fd | undefined;
  if (def.inner) inner = createOne(def.inner, btf, btfFd, { ...o, mapOptions: {} }, res).fd;
  const base = { type: def.type, keySize, valueSize, maxEntries, flags, name: kernelName, numaNode: def.numaNode, mapExtra: def.mapExtra, innerMapFd: inner };
  let fd: Fd;
  const withBtf = btfFd && (def.keyTypeId || def.valueTypeId) && def.type !== T.BPF_MAP_TYPE_RINGBUF;
  try {
    fd = mapCreate(withBtf ? { ...base, btfFd, btfKeyTypeId: def.keyTypeId ?? 0, btfValueTypeId: def.valueTypeId ?? 0 } : base);
  } catch (e) {
    // Some map types refuse BTF key/value types (or this kernel does for them): retry without.
    if (!withBtf || !(e instanceof SysError) || (e.errno !== E.EINVAL && e.errno !== E.ENOTSUPP && e.errno !== E.EOPNOTSUPP)) throw e;
    fd = mapCreate(base);
  }
  res.fd(fd);
  if (inner) { inner.close(); } // the kernel keeps what it needs of the template
  if (pinPath) {
    ensurePinDir(pinPath);
    objPin(fd, pinPath);
    res.pinned(pinPath);
  }
  return { def, fd, kernelName, maxEntries, flags, pinPath };
}

function checkPinned(def: MapDef, fd: Fd, path: string, want: { keySize: number; valueSize: number; maxEntries: number }): void {
  const i = mapInfo(fd);
  const diff: string[] = [];
  if (i.type !== def.type) diff.push(`type ${mapTypeName(i.type)} (object: ${mapTypeName(def.type)})`);
  if (i.keySize !== want.keySize) diff.push(`key_size ${i.keySize} (object: ${want.keySize})`);
  if (i.valueSize !== want.valueSize) diff.push(`value_size ${i.valueSize} (object: ${want.valueSize})`);
  if (i.maxEntries !== want.maxEntries) diff.push(`max_entries ${i.maxEntries} (object: ${want.maxEntries})`);
  if (diff.length) {
    throw new LoadError(`map '${def.name}': the map pinned at ${path} does not match the object: ${diff.join(', ')}`, `remove the stale pin: rm ${path}`);
  }
}

/** Writes a data map's initial value (with `constants` applied) and freezes `.rodata`. */
function initData(m: CreatedMap, btf: Btf | undefined, pending: Map<string, ConstantValue>): void {
  const def = m.def;
  const value = new Uint8Array(def.valueSize);
  if (def.data) value.set(def.data.subarray(0, def.valueSize));
  for (const v of def.variables ?? []) {
    if (!pending.has(v.name)) continue;
    writeVariable(value, v, pending.get(v.name)!, btf, def.section);
    pending.delete(v.name);
  }
  // .bss starts zeroed in the kernel: only write it when a constant changed it.
  if (def.data || value.some((b) => b !== 0)) mapUpdateElem(m.fd, new Uint8Array(4), value, 0);
  if (def.readonly) mapFreeze(m.fd);
}

function writeVariable(into: Uint8Array, v: DataVariable, value: ConstantValue, btf: Btf | undefined, section: string): void {
  const where = `constant '${v.name}' (${section}, ${v.size} bytes)`;
  const slot = new Uint8Array(v.size);
  let codec: Codec<unknown> | undefined;
  if (btf && v.typeId !== undefined) codec = codecFromBtf(btf, v.typeId);
  try {
    if (codec && codec.size === v.size) codec.encode(value, slot, 0);
    else encodePlain(value, slot, where);
  } catch (e) {
    if (e instanceof LoadError) throw e;
    throw new LoadError(`${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
  into.set(slot, v.offset);
}

/** Without BTF: integers by the variable's size, bytes as they are. */
function encodePlain(value: ConstantValue, slot: Uint8Array, where: string): void {
  const v = new DataView(slot.buffer);
  if (value instanceof Uint8Array) {
    if (value.length > slot.length) throw new LoadError(`${where}: ${value.length} bytes do not fit`);
    slot.set(value);
    return;
  }
  if (typeof value === 'boolean') value = value ? 1 : 0;
  if (typeof value !== 'number' && typeof value !== 'bigint') throw new LoadError(`${where}: without BTF only integers and bytes can be set`);
  const big = BigInt(value);
  switch (slot.length) {
    case 1: v.setUint8(0, Number(BigInt.asUintN(8, big))); break;
    case 2: v.setUint16(0, Number(BigInt.asUintN(16, big)), true); break;
    case 4: v.setUint32(0, Number(BigInt.asUintN(32, big)), true); break;
    case 8: v.setBigUint64(0, BigInt.asUintN(64, big), true); break;
    default: throw new LoadError(`${where}: a ${slot.length}-byte variable needs a Uint8Array value`);
  }
}
