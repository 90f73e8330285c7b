/**
 * A loaded object: its programs and maps by name, global variables by name, and close() that
 * releases every fd it owns (programs stay in the kernel only while something else holds them:
 * an attached link, a pin, a prog array slot).
 */
import type { BpfObject as ObjectModel, DataVariable } from '../object/index.js';
import { BpfMap, ProgArray, QueueMap, codecFromBtf, type Codec } from '../maps/index.js';
import { mapLookupElem, mapUpdateElem, type Fd } from '../sys/bpf.js';
import type { LogFilter } from '../log/filter.js';
import { LogReader, type LogReaderOptions } from '../log/reader.js';
import { LoadError } from './errors.js';
import type { Program } from './program.js';

export class LoadedObject {
  /** Notes about the load (e.g. BTF refused by the kernel and dropped). */
  readonly warnings: string[];
  private closed = false;
  /** Log readers opened by logs(), closed (what is left delivered) before the maps. */
  private readonly readers = new Set<LogReader>();

  constructor(
    /** The object model the programs and maps came from. */
    readonly model: ObjectModel,
    readonly programs: ReadonlyMap<string, Program>,
    readonly maps: ReadonlyMap<string, BpfMap>,
    /** The object's BTF in the kernel, when it was loaded. */
    readonly btfFd: Fd | undefined,
    warnings: string[],
    /** The filter the log level setting came from (loadObject's `log` option); false: logging disabled at load. */
    readonly logFilter?: LogFilter | false,
  ) {
    this.warnings = warnings;
  }

  /**
   * A reader of the object's log records (it must have log calls), filtered by `opts.filter` or
   * else by the `log` option it was loaded with: `obj.logs().pipe(console)`, `for await (const r
   * of obj.logs())`. close() the reader when done; close() of the object closes it too.
   */
  logs(opts: LogReaderOptions = {}): LogReader {
    if (this.closed) throw new LoadError('this object was closed: its log ring buffer is gone');
    const reader = LogReader.open(this, opts);
    for (const r of this.readers) if (r.isClosed) this.readers.delete(r);
    this.readers.add(reader);
    return reader;
  }

  /** The program named `name`; the error lists the programs there are. */
  program(name: string): Program {
    const p = this.programs.get(name);
    if (!p) throw new LoadError(`no program '${name}' in this object`, this.programs.size ? `programs: ${[...this.programs.keys()].join(', ')}` : 'the object has no programs');
    return p;
  }

  /**
   * The map named `name` (object names: `drops`, `.rodata`, …). Give codecs to read keys/values
   * as something else than the BTF (or raw bytes); the view shares the object's fd.
   */
  map<K = unknown, V = unknown>(name: string, codecs?: { key?: Codec<K>; value?: Codec<V> }): BpfMap<K, V> {
    const m = this.maps.get(name);
    if (!m) throw new LoadError(`no map '${name}' in this object`, this.maps.size ? `maps: ${[...this.maps.keys()].join(', ')}` : 'the object has no maps');
    if (!codecs) return m as BpfMap<K, V>;
    const spec = { name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags };
    return new BpfMap<K, V>(m.fd, spec, codecs as { key?: Codec<unknown>; value?: Codec<unknown> });
  }

  /** A prog array map (tail-call table), to set slots: `obj.progArray('jump_table').set(0, obj.program('x'))`. */
  progArray(name: string): ProgArray {
    const m = this.map(name);
    if (!(m instanceof ProgArray)) throw new LoadError(`map '${name}' is a ${m.typeName}, not a prog_array`);
    return m;
  }

  /** A queue or stack map. */
  queue<V = unknown>(name: string): QueueMap<V> {
    const m = this.map(name);
    if (!(m instanceof QueueMap)) throw new LoadError(`map '${name}' is a ${m.typeName}, not a queue or stack`);
    return m as QueueMap<V>;
  }

  private variable(name: string): { map: BpfMap; v: DataVariable; section: string } {
    for (const def of this.model.maps) {
      if (def.kind !== 'data') continue;
      const v = def.variables?.find((x) => x.name === name);
      if (v) return { map: this.maps.get(def.name)!, v, section: def.section };
    }
    const all = this.model.maps.filter((d) => d.kind === 'data').flatMap((d) => (d.variables ?? []).map((x) => x.name));
    throw new LoadError(`no global variable '${name}' in this object`, all.length ? `variables: ${all.join(', ')}` : undefined);
  }

  private varCodec(v: DataVariable): Codec<unknown> | undefined {
    const btf = this.model.btf;
    if (!btf || v.typeId === undefined) return undefined;
    const c = codecFromBtf(btf, v.typeId);
    return c && c.size === v.size ? c : undefined;
  }

  /** Current value of a global variable (`.bss`, `.data`, `.rodata`), decoded from BTF (raw bytes without). */
  readGlobal(name: string): unknown {
    const { map, v } = this.variable(name);
    const value = new Uint8Array(map.valueSize);
    if (!mapLookupElem(map.fd, new Uint8Array(4), value)) throw new LoadError(`global data map of '${name}' has no element 0`);
    const c = this.varCodec(v);
    return c ? c.decode(value, v.offset) : value.slice(v.offset, v.offset + v.size);
  }

  /** Sets a global variable in `.data`/`.bss` (read-modify-write of its section; `.rodata` is frozen). */
  writeGlobal(name: string, value: unknown): void {
    const { map, v, section } = this.variable(name);
    const def = this.model.maps.find((d) => d.kind === 'data' && d.section === section)!;
    if (def.readonly) throw new LoadError(`'${name}' is in ${section}, which is read-only after load`, 'set it before load: loadObject(path, { constants: { ... } })');
    const bytes = new Uint8Array(map.valueSize);
    const key = new Uint8Array(4);
    mapLookupElem(map.fd, key, bytes);
    const slot = new Uint8Array(v.size);
    const c = this.varCodec(v);
    if (c) c.encode(value, slot, 0);
    else if (value instanceof Uint8Array && value.length <= v.size) slot.set(value);
    else throw new LoadError(`global '${name}': without BTF only a Uint8Array of up to ${v.size} bytes can be written`);
    bytes.set(slot, v.offset);
    mapUpdateElem(map.fd, key, bytes, 0);
  }

  /** Closes every program, map and BTF fd of the object. Pins and attached links keep their objects alive. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    let failure: unknown;
    for (const r of this.readers) {
      try {
        r.close(); // the last records and loss count go out first
      } catch (e) {
        failure ??= e; // a subscriber's error: the rest is still closed
      }
    }
    this.readers.clear();
    for (const p of this.programs.values()) p.close();
    for (const m of this.maps.values()) m.close();
    this.btfFd?.close();
    if (failure !== undefined) throw failure;
  }
}
