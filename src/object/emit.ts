/**
 * emitObject: programs, functions, maps and global data → a BPF ELF object in clang's layout
 * (one section per program section name, `.text` for sub-functions, `.maps` with BTF map
 * definitions, `.rodata`/`.data`/`.bss`, `license`, `.BTF`, `.BTF.ext`), with relocations
 * that parseObject, libbpf/bpftool and our loader resolve.
 */
import { BtfBuilder } from '../btf/builder.js';
import { encodeBtfExt, type ExtSection, type FuncInfo, type LineInfo } from '../btf/ext.js';
import { LINKAGE_GLOBAL } from '../btf/types.js';
import * as E from '../elf/constants.js';
import { writeElf, type ElfRelocSpec, type ElfSectionSpec, type ElfSymbolSpec } from '../elf/writer.js';
import { EmitTypes, type EmitMap } from './emit-btf.js';
import { ObjectError } from './error.js';
import type { LineInfoRecord, ProgramReloc } from './model.js';

export type { EmitMap } from './emit-btf.js';

export interface EmitFunction {
  name: string;
  /** ELF section: required for programs (`xdp`, `tracepoint/syscalls/sys_enter_write`); functions go to `.text`. */
  section?: string;
  /** Instruction bytes. Relocated immediates are rewritten the way clang writes them. */
  bytes: Uint8Array;
  relocations?: ProgramReloc[];
  /** BTF FUNC id in `btf`; a generic one is generated when absent. */
  funcTypeId?: number;
  lineInfo?: LineInfoRecord[];
  /** Sub-functions only: a global (separately verified) function; default static. */
  global?: boolean;
}

export interface EmitData {
  /** `.rodata`, `.data`, `.bss` or a `.rodata.NAME`-style section. */
  section: string;
  /** Contents (not for `.bss*`). */
  data?: Uint8Array;
  /** Size of a `.bss*` section. */
  size?: number;
  variables: { name: string; offset: number; size: number; typeId?: number }[];
}

export interface EmitInput {
  license: string;
  kernelVersion?: number;
  programs: EmitFunction[];
  functions?: EmitFunction[];
  maps?: EmitMap[];
  data?: EmitData[];
  /** Types referenced by typeIds; emitObject adds its own records to this builder. */
  btf?: BtfBuilder;
  /** Source file name for the STT_FILE symbol. */
  fileName?: string;
}

interface Laid { fn: EmitFunction; section: string; offset: number; program: boolean; bytes: Uint8Array }

const dataFlags = (name: string): number => (name.startsWith('.rodata') ? E.SHF_ALLOC : E.SHF_ALLOC | E.SHF_WRITE);

export function emitObject(input: EmitInput): Uint8Array {
  const b = input.btf ?? new BtfBuilder();
  const types = new EmitTypes(b);
  const sections: ElfSectionSpec[] = [];
  const symbols: ElfSymbolSpec[] = [];
  const relocations: ElfRelocSpec[] = [];

  // Code: program sections in first-use order, then .text.
  const laid: Laid[] = [];
  const codeSections = new Map<string, Laid[]>();
  const place = (fn: EmitFunction, program: boolean): void => {
    const section = program ? fn.section : (fn.section ?? '.text');
    if (!section) throw new ObjectError(`program '${fn.name}' has no section name`);
    if (fn.bytes.length === 0 || fn.bytes.length % 8 !== 0) throw new ObjectError(`function '${fn.name}' is ${fn.bytes.length} bytes, not a whole number of instructions`);
    const list = codeSections.get(section) ?? [];
    const offset = list.reduce((n, l) => n + l.bytes.length, 0);
    const l: Laid = { fn, section, offset, program, bytes: fn.bytes };
    list.push(l);
    codeSections.set(section, list);
    laid.push(l);
  };
  input.programs.forEach((p) => place(p, true));
  (input.functions ?? []).forEach((f) => place(f, false));
  const fnNames = new Set<string>();
  for (const l of laid) {
    if (fnNames.has(l.fn.name)) throw new ObjectError(`two functions are named '${l.fn.name}'`);
    fnNames.add(l.fn.name);
  }
  for (const [name, list] of codeSections) {
    const data = new Uint8Array(list.reduce((n, l) => n + l.bytes.length, 0));
    for (const l of list) {
      data.set(l.bytes, l.offset);
      l.bytes = data.subarray(l.offset, l.offset + l.bytes.length); // relocation patches land in the section
    }
    sections.push({ name, flags: E.SHF_ALLOC | E.SHF_EXECINSTR, data, addralign: 8 });
    for (const l of list) {
      symbols.push({ name: l.fn.name, section: name, value: l.offset, size: l.bytes.length, type: E.STT_FUNC, bind: l.program || l.fn.global ? E.STB_GLOBAL : E.STB_LOCAL });
    }
  }

  // Global data.
  const dataBySection = new Map<string, EmitData>();
  for (const d of input.data ?? []) {
    if (!/^\.(rodata|data|bss)(\.|$)/.test(d.section)) throw new ObjectError(`global data section '${d.section}' must be named .rodata*, .data* or .bss*`);
    if (dataBySection.has(d.section)) throw new ObjectError(`global data section '${d.section}' is given twice`);
    dataBySection.set(d.section, d);
    const bss = d.section.startsWith('.bss');
    const size = bss ? (d.size ?? 0) : (d.data?.length ?? 0);
    if (bss && d.data) throw new ObjectError(`'${d.section}' is zero-initialised; give its size, not data`);
    sections.push(bss ? { name: d.section, type: E.SHT_NOBITS, flags: dataFlags(d.section), size, addralign: 8 } : { name: d.section, flags: dataFlags(d.section), data: d.data ?? new Uint8Array(0), addralign: 8 });
    symbols.push({ name: '', section: d.section, type: E.STT_SECTION, bind: E.STB_LOCAL });
    const secinfo = d.variables.map((v) => {
      if (v.offset < 0 || v.offset + v.size > size) throw new ObjectError(`variable '${v.name}' (offset ${v.offset}, size ${v.size}) is outside '${d.section}' (size ${size})`);
      symbols.push({ name: v.name, section: d.section, value: v.offset, size: v.size, type: E.STT_OBJECT, bind: E.STB_GLOBAL });
      const varId = b.addVar(v.name, v.typeId ?? types.bytes(v.size), LINKAGE_GLOBAL);
      return { type: varId, offset: v.offset, size: v.size };
    });
    b.addDatasec(d.section, size, secinfo.sort((x, y) => x.offset - y.offset));
  }

  // BTF-defined maps.
  const maps = input.maps ?? [];
  if (maps.length > 0) {
    const secinfo: { type: number; offset: number; size: number }[] = [];
    let off = 0;
    const seen = new Set<string>();
    for (const m of maps) {
      if (seen.has(m.name)) throw new ObjectError(`two maps are named '${m.name}'`);
      seen.add(m.name);
      const def = types.mapDef(m);
      secinfo.push({ type: b.addVar(m.name, def.id, LINKAGE_GLOBAL), offset: off, size: def.size });
      symbols.push({ name: m.name, section: '.maps', value: off, size: def.size, type: E.STT_OBJECT, bind: E.STB_GLOBAL });
      off += def.size;
    }
    sections.push({ name: '.maps', flags: E.SHF_ALLOC | E.SHF_WRITE, data: new Uint8Array(off), addralign: 8 });
    b.addDatasec('.maps', off, secinfo);
  }

  // License (and the legacy kernel version).
  const lic = new TextEncoder().encode(`${input.license}\0`);
  sections.push({ name: 'license', flags: E.SHF_ALLOC | E.SHF_WRITE, data: lic });
  symbols.push({ name: 'LICENSE', section: 'license', size: lic.length, type: E.STT_OBJECT, bind: E.STB_GLOBAL });
  b.addDatasec('license', lic.length, [{ type: b.addVar('LICENSE', types.chars(lic.length), LINKAGE_GLOBAL), offset: 0, size: lic.length }]);
  if (input.kernelVersion !== undefined) {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, input.kernelVersion, true);
    sections.push({ name: 'version', flags: E.SHF_ALLOC | E.SHF_WRITE, data: v, addralign: 4 });
  }

  // Relocations (immediates rewritten as clang writes them) and extern symbols.
  const externs = new Set<string>();
  const mapNames = new Set(maps.map((m) => m.name));
  for (const l of laid) {
    const v = new DataView(l.bytes.buffer, l.bytes.byteOffset, l.bytes.byteLength);
    for (const r of l.fn.relocations ?? []) {
      const where = `function '${l.fn.name}' instruction ${r.insn}`;
      if (!Number.isInteger(r.insn) || r.insn < 0 || (r.insn + 1) * 8 > l.bytes.length) throw new ObjectError(`${where}: relocation is outside the function`);
      const at = r.insn * 8;
      const code = l.bytes[at]!;
      const isCall = code === 0x85;
      const isLd = code === 0x18 && at + 16 <= l.bytes.length;
      const offset = l.offset + at;
      const needLd = (): void => { if (!isLd) throw new ObjectError(`${where}: a ${r.kind} relocation needs an ld_imm64 instruction (opcode 0x18), found 0x${code.toString(16)}`); };
      const setImm = (imm: number): void => { v.setInt32(at + 4, imm, true); if (isLd) v.setInt32(at + 12, 0, true); };
      switch (r.kind) {
        case 'map':
          needLd();
          if (!mapNames.has(r.map)) throw new ObjectError(`${where}: map '${r.map}' is not defined`);
          setImm(0);
          relocations.push({ section: l.section, offset, type: E.R_BPF_64_64, symbol: r.map });
          break;
        case 'data': {
          needLd();
          const d = dataBySection.get(r.section);
          if (!d) throw new ObjectError(`${where}: global data section '${r.section}' is not defined`);
          const named = r.symbol !== undefined ? d.variables.find((x) => x.name === r.symbol) : d.variables.find((x) => x.offset === r.offset);
          if (r.symbol !== undefined && !named) throw new ObjectError(`${where}: variable '${r.symbol}' is not in '${r.section}'`);
          if (named) {
            setImm(r.offset - named.offset);
            relocations.push({ section: l.section, offset, type: E.R_BPF_64_64, symbol: named.name });
          } else {
            setImm(r.offset);
            relocations.push({ section: l.section, offset, type: E.R_BPF_64_64, symbol: r.section });
          }
          break;
        }
        case 'call':
        case 'func': {
          if (!fnNames.has(r.target)) throw new ObjectError(`${where}: function '${r.target}' is not defined`);
          if (r.kind === 'call') {
            if (!isCall || l.bytes[at + 1]! >> 4 !== 1) throw new ObjectError(`${where}: a call relocation needs a bpf-to-bpf call (opcode 0x85, src_reg 1)`);
            setImm(-1);
          } else {
            needLd();
            setImm(0);
          }
          relocations.push({ section: l.section, offset, type: r.kind === 'call' ? E.R_BPF_64_32 : E.R_BPF_64_64, symbol: r.target });
          break;
        }
        case 'extern':
          if (r.call ? !isCall : !isLd) throw new ObjectError(`${where}: extern '${r.name}' relocation does not match the instruction (opcode 0x${code.toString(16)})`);
          setImm(r.call ? -1 : 0);
          externs.add(r.name);
          relocations.push({ section: l.section, offset, type: r.call ? E.R_BPF_64_32 : E.R_BPF_64_64, symbol: r.name });
          break;
      }
    }
  }
  for (const name of externs) {
    if (fnNames.has(name) || mapNames.has(name)) throw new ObjectError(`extern '${name}' has the name of a function or map of this object`);
    symbols.push({ name, shndx: E.SHN_UNDEF, type: E.STT_NOTYPE, bind: E.STB_GLOBAL });
  }
  const globalNames = new Set<string>();
  for (const s of symbols) {
    if (s.type === E.STT_SECTION) continue;
    if (globalNames.has(s.name)) throw new ObjectError(`the name '${s.name}' is used by two symbols (functions, maps, variables and externs share one namespace)`);
    globalNames.add(s.name);
  }

  // BTF: FUNC records, func_info and line_info.
  const funcInfo: ExtSection<FuncInfo>[] = [];
  const lineInfo: ExtSection<LineInfo>[] = [];
  for (const [name, list] of codeSections) {
    const fi: FuncInfo[] = [];
    const li: LineInfo[] = [];
    for (const l of list) {
      fi.push({ insnOff: l.offset, typeId: l.fn.funcTypeId ?? types.defaultFunc(l.fn.name, l.program, l.program || !!l.fn.global) });
      for (const r of l.fn.lineInfo ?? []) {
        if (r.insn < 0 || r.insn * 8 >= l.bytes.length) throw new ObjectError(`function '${l.fn.name}': line info for instruction ${r.insn} is outside the function`);
        li.push({ insnOff: l.offset + r.insn * 8, fileName: r.fileName, line: r.line, lineNum: r.lineNum, column: r.column });
      }
    }
    funcInfo.push({ section: name, records: fi });
    if (li.length) lineInfo.push({ section: name, records: li.sort((x, y) => x.insnOff - y.insnOff) });
  }
  const ext = encodeBtfExt({ funcInfo, lineInfo }, b);
  sections.push({ name: '.BTF', data: b.encode(), addralign: 4 });
  sections.push({ name: '.BTF.ext', data: ext, addralign: 4 });
  return writeElf({ sections, symbols, relocations, fileName: input.fileName });
}
