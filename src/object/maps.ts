/**
 * Map definitions: BTF-defined maps in `.maps` (the struct-of-pointers convention of
 * bpf_helpers.h: `__uint(type, T)` is `int (*type)[T]`, `__type(key, K)` is `K *key`,
 * `__array(values, V)` is `V *values[]`), legacy `struct bpf_map_def` in `maps`, and global
 * data sections (`.rodata*`, `.data*`, `.bss*`) which become array maps of one element.
 */
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, bpf_map_type } from '../abi/index.js';
import type { Btf } from '../btf/btf.js';
import { BtfError } from '../btf/error.js';
import * as E from '../elf/constants.js';
import { hex } from '../elf/error.js';
import type { ElfFile, ElfSection, ElfSymbol } from '../elf/types.js';
import { ObjectError } from './error.js';
import type { BpfMap, DataVariable } from './model.js';

/** Largest global-data section we accept (the kernel's own limit on array values is lower). */
const MAX_DATA_SIZE = 1 << 30;

const symbolIndex = new WeakMap<ElfFile, Map<number, ElfSymbol[]>>();

/** Symbols that name objects in a section (not the section symbol, not files), by offset. */
export function objectSymbols(elf: ElfFile, sec: ElfSection): ElfSymbol[] {
  let index = symbolIndex.get(elf);
  if (!index) {
    index = new Map();
    for (const s of elf.symbols) {
      if (s.type === E.STT_SECTION || s.type === E.STT_FILE || s.name === '') continue;
      const list = index.get(s.shndx) ?? [];
      list.push(s);
      index.set(s.shndx, list);
    }
    for (const list of index.values()) list.sort((a, b) => a.value - b.value);
    symbolIndex.set(elf, index);
  }
  return index.get(sec.index) ?? [];
}

/** The first object symbol of each name in a section. */
export function symbolsByName(syms: ElfSymbol[]): Map<string, ElfSymbol> {
  const m = new Map<string, ElfSymbol>();
  for (const s of syms) if (!m.has(s.name)) m.set(s.name, s);
  return m;
}

export function isDataSection(sec: ElfSection): boolean {
  if (!(sec.flags & E.SHF_ALLOC) || sec.flags & E.SHF_EXECINSTR) return false;
  if (sec.type !== E.SHT_PROGBITS && sec.type !== E.SHT_NOBITS) return false;
  return /^\.(rodata|data|bss)(\.|$)/.test(sec.name);
}

export function parseMaps(elf: ElfFile, btf: Btf | undefined): BpfMap[] {
  const maps: BpfMap[] = [];
  const btfSec = elf.sections.find((s) => s.name === '.maps');
  if (btfSec && btfSec.size > 0) maps.push(...parseBtfMaps(elf, btfSec, btf));
  const legacy = elf.sections.find((s) => s.name === 'maps');
  if (legacy && legacy.size > 0) maps.push(...parseLegacyMaps(elf, legacy));
  for (const sec of elf.sections) {
    if (isDataSection(sec) && sec.size > 0) maps.push(dataMap(elf, sec, btf));
  }
  const seen = new Set<string>();
  for (const m of maps) {
    if (seen.has(m.name)) throw new ObjectError(`two maps are named '${m.name}'`);
    seen.add(m.name);
  }
  return maps;
}

function parseBtfMaps(elf: ElfFile, sec: ElfSection, btf: Btf | undefined): BpfMap[] {
  if (!btf) throw new ObjectError(`section '.maps' (offset ${hex(sec.offset)}) defines BTF maps but the object has no .BTF section`, 'build with -g so clang emits BTF');
  const datasec = btf.find('.maps', 'DATASEC');
  if (!datasec || datasec.kind !== 'DATASEC') throw new ObjectError(`.BTF has no DATASEC '.maps' describing the maps of section '.maps'`);
  const vars = new Map<string, number>();
  for (const v of datasec.vars) {
    const t = btf.type(v.type);
    if (t.kind === 'VAR') vars.set(t.name, t.type);
  }
  const out: BpfMap[] = [];
  for (const sym of objectSymbols(elf, sec)) {
    const typeId = vars.get(sym.name);
    if (typeId === undefined) throw new ObjectError(`map '${sym.name}' in '.maps' has no VAR in the '.maps' DATASEC of .BTF`);
    if (sym.value + sym.size > sec.size) throw new ObjectError(`map '${sym.name}' (offset ${sym.value}, size ${sym.size}) extends past the end of '.maps' (size ${sec.size})`);
    const map = withBtf(() => mapFromBtf(btf, sym.name, typeId, 0), sym.name);
    map.section = '.maps';
    out.push(map);
  }
  const relocs = elf.relocations.find((r) => r.target === sec.index);
  if (relocs) addInitSlots(elf, sec, relocs.entries, out, btf, vars);
  return out;
}

function withBtf<T>(fn: () => T, name: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BtfError) throw new ObjectError(`map '${name}': ${err.message}`);
    throw err;
  }
}

/** The value N of a `int (*name)[N]` member (or of a `__ulong` enum member). */
function uintMember(btf: Btf, map: string, member: string, typeId: number): number | bigint {
  const t = btf.type(btf.resolve(typeId));
  if (t.kind === 'PTR') {
    const arr = btf.type(btf.resolve(t.type));
    if (arr.kind === 'ARRAY') return arr.nelems;
  }
  if ((t.kind === 'ENUM' || t.kind === 'ENUM64') && t.values.length > 0) return t.values[0]!.value;
  throw new ObjectError(`map '${map}': field '${member}' is not a __uint(...) (a pointer to an array)`);
}

function mapFromBtf(btf: Btf, name: string, typeId: number, depth: number): BpfMap {
  const def = btf.type(btf.resolve(typeId));
  if (def.kind !== 'STRUCT') throw new ObjectError(`map '${name}': definition is a ${def.kind}, expected a struct`);
  const m: BpfMap = { name, kind: 'btf', section: '.maps', type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: 0 };
  let keySizeField: number | undefined, valueSizeField: number | undefined;
  let hasValues = false;
  for (const mem of def.members) {
    const num = (): number => Number(uintMember(btf, name, mem.name, mem.type));
    switch (mem.name) {
      case 'type': m.type = num(); break;
      case 'max_entries': m.maxEntries = num(); break;
      case 'map_flags': m.flags = num(); break;
      case 'numa_node': m.numaNode = num(); break;
      case 'pinning': m.pinning = num(); break;
      case 'key_size': keySizeField = num(); break;
      case 'value_size': valueSizeField = num(); break;
      case 'map_extra': m.mapExtra = BigInt(uintMember(btf, name, mem.name, mem.type)); break;
      case 'key': case 'value': {
        const p = btf.type(btf.resolve(mem.type));
        if (p.kind !== 'PTR') throw new ObjectError(`map '${name}': field '${mem.name}' is not a __type(...) (a pointer)`);
        const size = btf.sizeof(p.type);
        if (mem.name === 'key') { m.keyTypeId = p.type; m.keySize = size; } else { m.valueTypeId = p.type; m.valueSize = size; }
        break;
      }
      case 'values': {
        const arr = btf.type(btf.resolve(mem.type));
        hasValues = true;
        if (arr.kind !== 'ARRAY') throw new ObjectError(`map '${name}': field 'values' is not an __array(...)`);
        const p = btf.type(btf.resolve(arr.type));
        if (p.kind !== 'PTR') throw new ObjectError(`map '${name}': field 'values' is not an array of pointers`);
        const inner = btf.type(btf.resolve(p.type));
        if (inner.kind === 'STRUCT') {
          if (depth > 0) throw new ObjectError(`map '${name}': nested map-in-map definitions are not supported`);
          m.inner = mapFromBtf(btf, `${name}.inner`, p.type, depth + 1);
        } else if (inner.kind !== 'FUNC_PROTO') {
          throw new ObjectError(`map '${name}': field 'values' points to a ${inner.kind}, expected a map definition or a function prototype`);
        }
        break;
      }
      default:
        throw new ObjectError(`map '${name}': unknown field '${mem.name}' in the map definition`);
    }
  }
  for (const [field, given, fromType] of [['key_size', keySizeField, m.keyTypeId !== undefined ? m.keySize : undefined], ['value_size', valueSizeField, m.valueTypeId !== undefined ? m.valueSize : undefined]] as const) {
    if (given !== undefined && fromType !== undefined && given !== fromType) {
      throw new ObjectError(`map '${name}': ${field} ${given} disagrees with the size of its type (${fromType})`);
    }
  }
  if (keySizeField !== undefined && m.keyTypeId === undefined) m.keySize = keySizeField;
  if (valueSizeField !== undefined && m.valueTypeId === undefined) m.valueSize = valueSizeField;
  if (hasValues && m.valueSize === 0) m.valueSize = 4; // map-in-map and prog-array values are fds
  return m;
}

/** `.values = { [i] = &prog_or_map }` in `.maps` becomes relocations inside the map's `values` array. */
function addInitSlots(elf: ElfFile, sec: ElfSection, entries: { offset: number; symbol: number; fileOffset: number }[], maps: BpfMap[], btf: Btf, vars: Map<string, number>): void {
  const syms = objectSymbols(elf, sec);
  const byName = new Map(maps.map((m) => [m.name, m]));
  for (const r of entries) {
    const owner = syms.find((s) => r.offset >= s.value && r.offset < s.value + s.size);
    const map = owner && byName.get(owner.name);
    const target = elf.symbols[r.symbol]!;
    if (!owner || !map) throw new ObjectError(`relocation at ${hex(r.fileOffset)} points into '.maps' offset ${r.offset}, outside every map`);
    const def = btf.type(btf.resolve(vars.get(owner.name)!));
    const values = def.kind === 'STRUCT' ? def.members.find((x) => x.name === 'values') : undefined;
    if (!values) throw new ObjectError(`relocation at ${hex(r.fileOffset)} initialises map '${map.name}', which has no 'values' field`);
    const rel = r.offset - owner.value - values.bitOffset / 8;
    if (rel < 0 || rel % 8 !== 0) throw new ObjectError(`relocation at ${hex(r.fileOffset)} is not at a slot of map '${map.name}' values`);
    (map.initSlots ??= []).push({ index: rel / 8, target: target.name });
  }
}

function parseLegacyMaps(elf: ElfFile, sec: ElfSection): BpfMap[] {
  const syms = objectSymbols(elf, sec);
  if (syms.length === 0) throw new ObjectError(`section 'maps' (offset ${hex(sec.offset)}) has data but no map symbols`);
  const defSize = Math.floor(sec.size / syms.length);
  if (defSize < 20 || sec.size % syms.length !== 0) {
    throw new ObjectError(`section 'maps' (size ${sec.size}) does not hold ${syms.length} map definitions of equal size of at least 20 bytes`);
  }
  const v = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  return syms.map((s) => {
    if (s.value % defSize !== 0 || s.value + defSize > sec.size) throw new ObjectError(`legacy map '${s.name}' at offset ${s.value} of 'maps' is not at a definition boundary (${defSize} bytes each)`);
    const u = (i: number): number => v.getUint32(s.value + i * 4, true);
    return { name: s.name, kind: 'legacy', section: 'maps', type: u(0), keySize: u(1), valueSize: u(2), maxEntries: u(3), flags: u(4), pinning: 0 } satisfies BpfMap;
  });
}

function dataMap(elf: ElfFile, sec: ElfSection, btf: Btf | undefined): BpfMap {
  if (sec.size > MAX_DATA_SIZE) throw new ObjectError(`data section '${sec.name}' is ${sec.size} bytes (header at ${hex(sec.headerOffset)}); the limit is ${MAX_DATA_SIZE}`);
  const readonly = sec.name.startsWith('.rodata');
  const variables: DataVariable[] = [];
  const datasec = btf?.find(sec.name, 'DATASEC');
  const syms = objectSymbols(elf, sec);
  if (btf && datasec && datasec.kind === 'DATASEC') {
    const named = symbolsByName(syms);
    for (const vi of datasec.vars) {
      const vt = btf.type(vi.type);
      if (vt.kind !== 'VAR') continue;
      const sym = named.get(vt.name);
      const offset = sym ? sym.value : vi.offset;
      variables.push({ name: vt.name, offset, size: vi.size, typeId: vt.type, linkage: vt.linkage });
    }
  } else {
    for (const s of syms) if (s.type === E.STT_OBJECT) variables.push({ name: s.name, offset: s.value, size: s.size });
  }
  variables.sort((a, b) => a.offset - b.offset);
  for (const x of variables) {
    if (x.offset + x.size > sec.size) throw new ObjectError(`variable '${x.name}' (offset ${x.offset}, size ${x.size}) extends past the end of '${sec.name}' (size ${sec.size})`);
  }
  return {
    name: sec.name, kind: 'data', section: sec.name, type: bpf_map_type.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: sec.size,
    maxEntries: 1, flags: (readonly ? BPF_F_RDONLY_PROG : 0) | BPF_F_MMAPABLE, pinning: 0,
    valueTypeId: datasec?.id, data: sec.type === E.SHT_NOBITS ? undefined : sec.data, readonly, variables,
  };
}
