/**
 * What a loader and a reader need around the log table: the load-time level setting as a
 * `constants` entry for loadObject, and a reader for the lost-record counter.
 */
import { codecFromBtf } from '../maps/index.js';
import type { BpfObject, DataVariable } from '../object/index.js';
import type { LogMeta } from '../object/log-meta.js';
import { TsbpfError } from '../errors.js';
import { fdNum } from '../sys/bpf.js';
import { Mapping, PROT_READ, pageSize } from '../sys/mmap.js';
import { loadTimeLevels, type LogFilter } from './filter.js';
import type { LogHost } from './reader.js';

function variable(model: BpfObject, name: string, what: string): { map: string; v: DataVariable; valueSize: number } {
  for (const m of model.maps) {
    if (m.kind !== 'data') continue;
    const v = m.variables?.find((x) => x.name === name);
    if (v) return { map: m.name, v, valueSize: m.valueSize };
  }
  throw new TsbpfError('LOG', `the log table names ${what} '${name}', which is not a global variable of the object`, 'the object is inconsistent: rebuild it');
}

/**
 * `{ tsbpf_log_levels: … }` for `loadObject(…, { constants })`: the filter's setting for each
 * target, in the form the variable's BTF codec takes (raw bytes without BTF).
 */
export function logLoadConstants(model: BpfObject, meta: LogMeta, filter: LogFilter): Record<string, unknown[] | Uint8Array> {
  const { v } = variable(model, meta.levels, 'level setting');
  if (v.size !== 4 * meta.targets.length) {
    throw new TsbpfError('LOG', `log level setting '${meta.levels}' is ${v.size} bytes; ${meta.targets.length} targets need ${4 * meta.targets.length}`, 'the object is inconsistent: rebuild it');
  }
  const bytes = new Uint8Array(v.size);
  const dv = new DataView(bytes.buffer);
  loadTimeLevels(meta, filter).forEach((l, i) => dv.setUint32(4 * i, l, true));
  if (model.btf && v.typeId !== undefined) {
    const c = codecFromBtf(model.btf, v.typeId);
    if (c && c.size === v.size) {
      const value = c.decode(bytes, 0);
      if (Array.isArray(value) || value instanceof Uint8Array) return { [meta.levels]: value };
    }
  }
  return { [meta.levels]: bytes };
}

/**
 * Reads the u64 lost counter: through a read-only mapping of its data map when the kernel allows
 * it (global data maps are BPF_F_MMAPABLE: a plain memory load per check), else by map lookup.
 */
export function lostCounter(obj: Pick<LogHost, 'model' | 'maps' | 'readGlobal'>, name: string): { read: () => bigint; close: () => void } {
  const { map, v, valueSize } = variable(obj.model, name, 'lost counter');
  if (v.size !== 8) throw new TsbpfError('LOG', `lost counter '${name}' is ${v.size} bytes, not a u64`, 'the object is inconsistent: rebuild it');
  const loaded = obj.maps.get(map);
  if (!loaded) throw new TsbpfError('LOG', `the data map '${map}' of lost counter '${name}' was not loaded`);
  let mapping: Mapping | undefined;
  try {
    const page = pageSize();
    mapping = Mapping.map(fdNum(loaded.fd), Math.ceil(valueSize / page) * page, PROT_READ, 0, `lost counter '${name}'`);
  } catch {
    mapping = undefined; // not mmapable (an object built elsewhere): fall back to lookups
  }
  if (mapping) {
    const m = mapping;
    if (v.offset % 8 === 0) {
      const cell = new BigUint64Array(m.buffer, v.offset, 1);
      return { read: () => Atomics.load(cell, 0), close: () => m.close() };
    }
    const dv = new DataView(m.buffer, v.offset, 8);
    return { read: () => dv.getBigUint64(0, true), close: () => m.close() };
  }
  return {
    read: () => {
      const x = obj.readGlobal(name);
      if (typeof x === 'bigint' || typeof x === 'number') return BigInt(x);
      if (x instanceof Uint8Array && x.length === 8) return new DataView(x.buffer, x.byteOffset, 8).getBigUint64(0, true);
      throw new TsbpfError('LOG', `lost counter '${name}' did not read as a u64`);
    },
    close: () => {},
  };
}
