/**
 * loadObject: BPF object (ELF path or bytes) → programs and maps in the kernel. Order: BTF, maps
 * (global data initialised, .rodata frozen), programs (linked with their sub-functions, map and
 * data references relocated, func/line info attached), then prog-array slots. Anything created
 * before a failure is closed (and its pins removed) before the error is thrown.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, bpf_map_type, progTypeByName } from '../abi/index.js';
import { parseObject, knownSectionConventions, type BpfObject as ObjectModel, type BpfFunction } from '../object/index.js';
import { BpfMap, codecFromBtf, codecs, wrapMap, type Codec } from '../maps/index.js';
import { E, SysError, mapUpdateElem, progLoad } from '../sys/bpf.js';
import { loadObjectBtf, vmlinuxTypeId, type KernelBtf } from './btf.js';
import { LoadError } from './errors.js';
import { linkProgram, type LinkedProgram } from './link.js';
import { logSettings, type LogOption } from './log.js';
import { createMaps, type ConstantValue, type CreatedMap } from './maps.js';
import { LoadedObject } from './object.js';
import { Program } from './program.js';
import { applyRelocations } from './relocate.js';
import { Resources } from './resources.js';

export interface LoadOptions {
  /** Global variables set before load by name, typed by their BTF (`{ blocked_port: 8080 }`); mainly `const volatile` (.rodata) settings. */
  constants?: Record<string, ConstantValue>;
  /** Load only these programs (by name); default all. */
  programs?: string[];
  /** Program type by program name, for sections no naming convention covers (`{ my_prog: 'xdp' }`). */
  programTypes?: Record<string, string | number>;
  /** Prog-array slots to fill after load: map name → index → program name. */
  tailCalls?: Record<string, Record<number, string>>;
  /** Per-map overrides (`{ events: { maxEntries: 1 << 20 } }`). */
  mapOptions?: Record<string, { maxEntries?: number }>;
  /** Directory for maps declared LIBBPF_PIN_BY_NAME (default /sys/fs/bpf). */
  pinPath?: string;
  /** 'auto' (default): load BTF, sanitize or drop it if the kernel refuses; 'required': fail instead; 'off': never load it. */
  btf?: 'auto' | 'required' | 'off';
  /** Verifier log level for every program (1 or 2 keeps the log on success, `program.log`). */
  logLevel?: 0 | 1 | 2;
  /** Initial verifier log buffer size. */
  logSize?: number;
  /** Object name used in kernel map names of global data (`NAME.rodata`); default the file name. */
  name?: string;
  /**
   * For an object that logs (`log.info(ctx, …)`): which log calls stay enabled, as TSBPF_LOG text
   * (`'info'`, `'hello_world=debug,warn'`; blank = info) or a parsed filter — calls below it are
   * removed by the verifier — and the default filter of `obj.logs()`. `false`: every log call
   * disabled. Omitted: the object's built-in setting (info). Typical: `log: process.env.TSBPF_LOG`.
   * Ignored for objects without log calls.
   */
  log?: LogOption;
}

/** Loads an object file (path) or object bytes. */
export async function loadObject(pathOrBytes: string | Uint8Array, options: LoadOptions = {}): Promise<LoadedObject> {
  const bytes = typeof pathOrBytes === 'string' ? await readFile(pathOrBytes).catch((e) => { throw readError(pathOrBytes, e); }) : pathOrBytes;
  return loadModel(parseObject(bytes), { ...options, name: options.name ?? nameOf(pathOrBytes) });
}

/** loadObject without the asynchronous file read. */
export function loadObjectSync(pathOrBytes: string | Uint8Array, options: LoadOptions = {}): LoadedObject {
  let bytes: Uint8Array;
  try {
    bytes = typeof pathOrBytes === 'string' ? readFileSync(pathOrBytes) : pathOrBytes;
  } catch (e) {
    throw readError(pathOrBytes as string, e);
  }
  return loadModel(parseObject(bytes), { ...options, name: options.name ?? nameOf(pathOrBytes) });
}

function readError(path: string, e: unknown): LoadError {
  const code = (e as NodeJS.ErrnoException).code;
  return new LoadError(`cannot read object '${path}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
}

function nameOf(p: string | Uint8Array): string {
  return typeof p === 'string' ? basename(p).replace(/\.o$/, '').replace(/\.bpf$/, '') : 'obj';
}

/** Loads an already parsed object model (e.g. one the compiler just built). */
export function loadModel(obj: ObjectModel, options: LoadOptions = {}): LoadedObject {
  const res = new Resources();
  try {
    return loadInto(obj, options, res);
  } catch (e) {
    res.release();
    throw e;
  }
}

function loadInto(obj: ObjectModel, o: LoadOptions, res: Resources): LoadedObject {
  const selected = selectPrograms(obj, o);
  const warnings: string[] = [];
  const logs = logSettings(obj, o.log, o.constants); // a bad filter fails before anything is created
  let kbtf: KernelBtf | undefined;
  if ((o.btf ?? 'auto') !== 'off') {
    const r = loadObjectBtf(obj, { required: o.btf === 'required' });
    if (r.warning) warnings.push(r.warning);
    if (r.btf) kbtf = { ...r.btf, fd: res.fd(r.btf.fd) };
  }
  const created = createMaps(obj, kbtf?.fd, { constants: logs.constants, mapOptions: o.mapOptions, pinPath: o.pinPath, objectName: o.name ?? 'obj' }, res);
  const dataFds = new Map<string, number>();
  for (const m of created.values()) if (m.def.kind === 'data') dataFds.set(m.def.section, m.fd.value);

  const pool = new Map<string, BpfFunction>();
  for (const f of [...obj.functions, ...obj.programs]) pool.set(f.name, f);
  const programs = new Map<string, Program>();
  for (const p of selected) {
    const linked = linkProgram(p, pool);
    applyRelocations(linked, { mapFd: (n) => created.get(n)?.fd.value, dataFd: (s) => dataFds.get(s) });
    const prog = loadProgram(obj, p, linked, kbtf, o);
    res.fd(prog.fd);
    programs.set(p.name, prog);
  }

  const maps = new Map<string, BpfMap>();
  for (const [name, m] of created) maps.set(name, wrapMap(m.fd, specOf(m), codecsOf(obj, m)));
  fillSlots(obj, o, created, programs);
  return new LoadedObject(obj, programs, maps, kbtf?.fd, warnings, logs.filter);
}

function loadProgram(obj: ObjectModel, p: ObjectModel['programs'][number], linked: LinkedProgram, kbtf: KernelBtf | undefined, o: LoadOptions): Program {
  const st = p.type;
  const override = o.programTypes?.[p.name];
  let type = st?.progType;
  if (override !== undefined) {
    type = typeof override === 'number' ? override : progTypeByName(override);
    if (type === undefined) throw new LoadError(`programTypes: '${override}' (for '${p.name}') is not a program type`);
  }
  if (type === undefined) {
    throw new LoadError(
      `program '${p.name}' is in section '${p.section}', which names no program type`,
      `rename the section after a convention (${knownSectionConventions().slice(0, 8).join(', ')}, …) or pass programTypes: { ${p.name}: 'xdp' }`,
    );
  }
  let progFlags = 0;
  if (st?.sleepable) progFlags |= BPF_F_SLEEPABLE;
  if (st?.xdpFrags) progFlags |= BPF_F_XDP_HAS_FRAGS;
  let attachBtfId: number | undefined;
  if (st?.needsAttachBtf && override === undefined) attachBtfId = attachTargetId(p.name, st.convention, st.attachTarget);
  const ext = kbtf ? btfExtFor(linked, kbtf) : {};
  const base = {
    // PROG_LOAD keeps the first 15 bytes of the name; errors show it whole.
    type, insns: linked.insns, license: obj.license, name: p.name.replace(/[^A-Za-z0-9_.]/g, '_'), kernVersion: obj.kernelVersion,
    progFlags, attachBtfId, btfFd: kbtf?.fd, ...ext, logLevel: o.logLevel, logSize: o.logSize,
  };
  let expected = override === undefined ? st?.attachType : undefined;
  let loaded;
  try {
    loaded = progLoad({ ...base, expectedAttachType: expected });
  } catch (e) {
    // Old kernels reject some optional expected attach types; load without, as libbpf does.
    if (!(e instanceof SysError) || e.errno !== E.EINVAL || expected === undefined || !st?.attachTypeOptional) throw e;
    expected = undefined;
    loaded = progLoad(base);
  }
  return new Program(p.name, p.section, type, loaded.fd, expected, loaded.log, st?.attachTarget);
}

/** A kernel program name: at most 15 bytes of [A-Za-z0-9_.]. */
export function kernelProgName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

function attachTargetId(prog: string, convention: string, target: string | undefined): number {
  if (!target) throw new LoadError(`program '${prog}' (${convention}) names no attach target in its section (e.g. fentry/do_unlinkat)`);
  const base = convention.replace(/\.s\+$|\+$/, '');
  if (base === 'tp_btf') return vmlinuxTypeId(`btf_trace_${target}`, 'TYPEDEF');
  if (base === 'lsm' || base === 'lsm_cgroup') return vmlinuxTypeId(`bpf_lsm_${target}`, 'FUNC');
  if (base === 'iter') return vmlinuxTypeId(`bpf_iter_${target}`, 'FUNC');
  if (base === 'freplace') throw new LoadError(`program '${prog}': freplace programs need a target program; not supported yet`);
  return vmlinuxTypeId(target, 'FUNC');
}

/** func_info and line_info records for PROG_LOAD, in the linked program's instruction indexes. */
function btfExtFor(linked: LinkedProgram, kbtf: KernelBtf): { funcInfo?: Uint8Array; funcInfoRecSize?: number; lineInfo?: Uint8Array; lineInfoRecSize?: number } {
  const out: ReturnType<typeof btfExtFor> = {};
  if (linked.funcInfo.length) {
    const b = new Uint8Array(linked.funcInfo.length * 8);
    const v = new DataView(b.buffer);
    linked.funcInfo.forEach((f, i) => { v.setUint32(i * 8, f.insn, true); v.setUint32(i * 8 + 4, f.typeId, true); });
    out.funcInfo = b;
    out.funcInfoRecSize = 8;
  }
  if (linked.lineInfo.length && linked.funcInfo.length) {
    const b = new Uint8Array(linked.lineInfo.length * 16);
    const v = new DataView(b.buffer);
    linked.lineInfo.forEach((l, i) => {
      const [file, line] = kbtf.lineStrings(l);
      v.setUint32(i * 16, l.insn, true);
      v.setUint32(i * 16 + 4, file, true);
      v.setUint32(i * 16 + 8, line, true);
      v.setUint32(i * 16 + 12, ((l.lineNum << 10) | (l.column & 0x3ff)) >>> 0, true);
    });
    out.lineInfo = b;
    out.lineInfoRecSize = 16;
  }
  return out;
}

function selectPrograms(obj: ObjectModel, o: LoadOptions): ObjectModel['programs'] {
  if (!o.programs) return obj.programs;
  const byName = new Map(obj.programs.map((p) => [p.name, p]));
  return o.programs.map((n) => {
    const p = byName.get(n);
    if (!p) throw new LoadError(`no program '${n}' in this object`, `programs: ${obj.programs.map((x) => x.name).join(', ') || '(none)'}`);
    return p;
  });
}

function specOf(m: CreatedMap) {
  return { name: m.def.name, type: m.def.type, keySize: m.def.type === bpf_map_type.BPF_MAP_TYPE_RINGBUF ? 0 : m.def.keySize, valueSize: m.def.type === bpf_map_type.BPF_MAP_TYPE_RINGBUF ? 0 : m.def.valueSize, maxEntries: m.maxEntries, flags: m.flags };
}

function codecsOf(obj: ObjectModel, m: CreatedMap): { key?: Codec<unknown>; value?: Codec<unknown> } {
  const btf = obj.btf;
  // Global data: one element at key 0 holding the whole section (read variables with readGlobal).
  if (m.def.kind === 'data') return { key: codecs.u32 };
  if (!btf) return {};
  const pick = (id: number | undefined, size: number) => {
    if (!id) return undefined;
    const c = codecFromBtf(btf, id);
    return c && c.size === size ? c : undefined;
  };
  return { key: pick(m.def.keyTypeId, m.def.keySize), value: pick(m.def.valueTypeId, m.def.valueSize) };
}

/** Prog-array and map-in-map slots: from the object (`.values = { ... }`) and options.tailCalls. */
function fillSlots(obj: ObjectModel, o: LoadOptions, created: Map<string, CreatedMap>, programs: Map<string, Program>): void {
  const key = new Uint8Array(4);
  const val = new Uint8Array(4);
  const put = (map: CreatedMap, index: number, fd: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= map.maxEntries) throw new LoadError(`map '${map.def.name}': slot ${index} is outside 0..${map.maxEntries - 1}`);
    new DataView(key.buffer).setUint32(0, index, true);
    new DataView(val.buffer).setUint32(0, fd, true);
    mapUpdateElem(map.fd, key, val, 0);
  };
  const progFd = (map: string, target: string): number => {
    const p = programs.get(target);
    if (p) return p.fd.value;
    const exists = obj.programs.some((x) => x.name === target);
    throw new LoadError(`map '${map}': slot program '${target}' ${exists ? 'was not loaded (see options.programs)' : 'is not in this object'}`, `programs: ${[...programs.keys()].join(', ')}`);
  };
  for (const m of created.values()) {
    for (const s of m.def.initSlots ?? []) {
      if (m.def.type === bpf_map_type.BPF_MAP_TYPE_PROG_ARRAY) put(m, s.index, progFd(m.def.name, s.target));
      else {
        const inner = created.get(s.target);
        if (!inner) throw new LoadError(`map '${m.def.name}': slot map '${s.target}' is not in this object`);
        put(m, s.index, inner.fd.value);
      }
    }
  }
  for (const [mapName, slots] of Object.entries(o.tailCalls ?? {})) {
    const m = created.get(mapName);
    if (!m) throw new LoadError(`tailCalls: no map '${mapName}' in this object`, `maps: ${[...created.keys()].join(', ')}`);
    if (m.def.type !== bpf_map_type.BPF_MAP_TYPE_PROG_ARRAY) throw new LoadError(`tailCalls: map '${mapName}' is not a prog_array`);
    for (const [index, target] of Object.entries(slots)) put(m, Number(index), progFd(mapName, target));
  }
}

