/**
 * Programs and sub-functions: one per STT_FUNC symbol of each executable section (global
 * functions outside `.text` are programs; `.text` and static functions are sub-functions),
 * their relocations classified by target, and their func_info/line_info from .BTF.ext.
 * Lookups go through indexes so that large (or hostile) objects stay linear-ish.
 */
import type { BtfExt } from '../btf/ext.js';
import * as E from '../elf/constants.js';
import { hex } from '../elf/error.js';
import { sectionSymbolName } from '../elf/query.js';
import type { ElfFile, ElfRelocSection, ElfSection, ElfSymbol } from '../elf/types.js';
import { InsnError } from '../insn/errors.js';
import { decode, readSlot } from '../insn/decode.js';
import type { RawSlot } from '../insn/types.js';
import { ObjectError } from './error.js';
import type { BpfFunction, BpfMap, BpfProgram, ProgramReloc } from './model.js';
import { sectionProgramType } from './section-types.js';

const OP_LD_IMM64 = 0x18;
const OP_CALL = 0x85;

interface Placed { fn: BpfFunction; sec: ElfSection; isProgram: boolean }

/** Functions by section, sorted by offset. */
class FunctionIndex {
  private readonly bySec = new Map<number, Placed[]>();
  private readonly byName = new Map<string, Placed[]>();
  constructor(all: Placed[]) {
    for (const p of all) {
      const list = this.bySec.get(p.sec.index) ?? [];
      list.push(p);
      this.bySec.set(p.sec.index, list);
      if (!this.byName.has(p.sec.name)) this.byName.set(p.sec.name, list);
    }
  }
  /** The function of section `sec` containing byte `offset`. */
  at(sec: number, offset: number): Placed | undefined {
    return containing(this.bySec.get(sec), offset);
  }
  /** Same, by section name (as .BTF.ext names sections). */
  atNamed(sec: string, offset: number): Placed | undefined {
    return containing(this.byName.get(sec), offset);
  }
  /** The function starting exactly at `offset`. */
  startingAt(sec: number, offset: number): Placed | undefined {
    const p = this.at(sec, offset);
    return p && p.fn.offset === offset ? p : undefined;
  }
}

function containing(list: Placed[] | undefined, offset: number): Placed | undefined {
  if (!list) return undefined;
  let lo = 0, hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = list[mid]!;
    if (offset < p.fn.offset) hi = mid - 1;
    else if (offset >= p.fn.offset + p.fn.bytes.length) lo = mid + 1;
    else return p;
  }
  return undefined;
}

export function parseFunctions(elf: ElfFile, maps: BpfMap[], ext: BtfExt | undefined): { programs: BpfProgram[]; functions: BpfFunction[] } {
  const funcSyms = new Map<number, ElfSymbol[]>();
  for (const s of elf.symbols) {
    if (s.type !== E.STT_FUNC) continue;
    const list = funcSyms.get(s.shndx) ?? [];
    list.push(s);
    funcSyms.set(s.shndx, list);
  }
  const placed: Placed[] = [];
  for (const sec of elf.sections) {
    if (sec.type !== E.SHT_PROGBITS || !(sec.flags & E.SHF_EXECINSTR) || sec.size === 0) continue;
    if (sec.size % 8 !== 0) throw new ObjectError(`code section '${sec.name}' (offset ${hex(sec.offset)}) has size ${sec.size}, not a multiple of 8`);
    placed.push(...sectionFunctions(sec, funcSyms.get(sec.index) ?? []));
  }
  const index = new FunctionIndex(placed);
  const mapIndex = new Map(maps.map((m) => [`${m.section}\0${m.name}`, m]));
  const symByOffset = new Map<string, string>();
  for (const s of elf.symbols) if (s.type !== E.STT_SECTION && s.name) symByOffset.set(`${s.shndx}\0${s.value}`, s.name);
  for (const rs of elf.relocations) addRelocs(elf, rs, index, mapIndex, symByOffset);
  if (ext) attachExtInfo(ext, index);
  const programs: BpfProgram[] = placed.filter((p) => p.isProgram).map((p) => ({ ...p.fn, type: sectionProgramType(p.sec.name) }));
  const functions = placed.filter((p) => !p.isProgram).map((p) => p.fn);
  const names = new Set<string>();
  for (const f of [...programs, ...functions]) {
    if (names.has(f.name)) throw new ObjectError(`two functions are named '${f.name}'`);
    names.add(f.name);
  }
  return { programs, functions };
}

function sectionFunctions(sec: ElfSection, symbols: ElfSymbol[]): Placed[] {
  const syms = [...symbols].sort((a, b) => a.value - b.value);
  const isText = sec.name === '.text';
  if (syms.length === 0) {
    // Hand-written objects may have code without function symbols: the whole section is one program.
    return [{ fn: makeFn(sec.name, sec, 0, sec.size, true), sec, isProgram: !isText }];
  }
  const out: Placed[] = [];
  syms.forEach((s, i) => {
    const next = syms[i + 1];
    const size = s.size || (next ? next.value - s.value : sec.size - s.value);
    if (s.value % 8 !== 0 || size % 8 !== 0 || size === 0 || s.value + size > sec.size) {
      throw new ObjectError(`function '${s.name}' in '${sec.name}' (offset ${s.value}, size ${size}) is not a whole number of instructions inside the section (size ${sec.size})`);
    }
    if (next && s.value + size > next.value) throw new ObjectError(`functions '${s.name}' and '${next.name}' overlap in section '${sec.name}'`);
    const global = s.bind !== E.STB_LOCAL;
    out.push({ fn: makeFn(s.name, sec, s.value, size, global), sec, isProgram: !isText && global });
  });
  return out;
}

function makeFn(name: string, sec: ElfSection, offset: number, size: number, global: boolean): BpfFunction {
  const bytes = sec.data.subarray(offset, offset + size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots: RawSlot[] = [];
  for (let p = 0; p < bytes.length; p += 8) slots.push(readSlot(view, p));
  let insns;
  try {
    insns = decode(bytes);
  } catch (err) {
    if (err instanceof InsnError) throw new ObjectError(`function '${name}' in section '${sec.name}' (file offset ${hex(sec.offset + offset)}): ${err.message}`);
    throw err;
  }
  return { name, section: sec.name, offset, bytes, slots, insns, relocations: [], funcInfo: [], lineInfo: [], global };
}


function addRelocs(elf: ElfFile, rs: ElfRelocSection, index: FunctionIndex, maps: Map<string, BpfMap>, symByOffset: Map<string, string>): void {
  const sec = elf.sections[rs.target]!;
  if (!(sec.flags & E.SHF_EXECINSTR) || sec.type !== E.SHT_PROGBITS) return; // debug info, .BTF, .maps: not code
  for (const r of rs.entries) {
    const self = index.at(sec.index, r.offset);
    if (!self) throw new ObjectError(`relocation at ${hex(r.fileOffset)} (section '${sec.name}' offset ${hex(r.offset)}) is outside every function`);
    const fn = self.fn;
    const where = `relocation at ${hex(r.fileOffset)} (section '${sec.name}' offset ${hex(r.offset)}, function '${fn.name}')`;
    if ((r.offset - fn.offset) % 8 !== 0) throw new ObjectError(`${where} is not at an instruction boundary`);
    if (r.type !== E.R_BPF_64_64 && r.type !== E.R_BPF_64_32) throw new ObjectError(`${where} has type ${E.R_BPF_NAMES[r.type] ?? r.type}; code relocations must be R_BPF_64_64 or R_BPF_64_32`);
    if (r.symbol === 0) throw new ObjectError(`${where} refers to the null symbol`);
    const insn = (r.offset - fn.offset) / 8;
    fn.relocations.push(classify(elf, where, insn, fn.slots, elf.symbols[r.symbol]!, index, maps, symByOffset));
  }
}

function classify(elf: ElfFile, where: string, insn: number, slots: RawSlot[], sym: ElfSymbol,
  index: FunctionIndex, maps: Map<string, BpfMap>, symByOffset: Map<string, string>): ProgramReloc {
  const ins = slots[insn]!;
  const symName = sectionSymbolName(elf, sym);
  const target = sym.shndx !== E.SHN_UNDEF && sym.shndx < E.SHN_LORESERVE ? elf.sections[sym.shndx]! : undefined;
  if (ins.code === OP_CALL) {
    if (ins.src !== 1) throw new ObjectError(`${where}: the call at instruction ${insn} is not a bpf-to-bpf call (src_reg ${ins.src})`);
    if (!target) return { kind: 'extern', insn, name: symName, call: true };
    const dest = sym.value + (ins.imm + 1) * 8;
    const callee = index.startingAt(target.index, dest);
    if (!callee) throw new ObjectError(`${where}: call target '${symName}'+${ins.imm} (offset ${dest} of '${target.name}') is not the start of a function`);
    return { kind: 'call', insn, target: callee.fn.name };
  }
  if (ins.code !== OP_LD_IMM64) throw new ObjectError(`${where}: instruction ${insn} (opcode 0x${ins.code.toString(16)}) cannot be relocated; only ld_imm64 and call can`);
  if (insn + 1 >= slots.length) throw new ObjectError(`${where}: the ld_imm64 at instruction ${insn} is cut off by the end of the function`);
  if (!target) return { kind: 'extern', insn, name: symName, call: false };
  const isSecSym = sym.type === E.STT_SECTION;
  if (target.flags & E.SHF_EXECINSTR) {
    const dest = sym.value + ins.imm;
    const callee = index.startingAt(target.index, dest);
    if (!callee) throw new ObjectError(`${where}: function address '${symName}'+${ins.imm} is not the start of a function`);
    return { kind: 'func', insn, target: callee.fn.name };
  }
  if (target.name === '.maps' || target.name === 'maps') {
    const name = isSecSym ? symByOffset.get(`${target.index}\0${sym.value + ins.imm}`) : sym.name;
    const map = name !== undefined ? maps.get(`${target.name}\0${name}`) : undefined;
    if (!map) throw new ObjectError(`${where} refers to '${symName}' in '${target.name}', which is not a map`);
    return { kind: 'map', insn, map: map.name };
  }
  if (maps.get(`${target.name}\0${target.name}`)?.kind === 'data') {
    const reloc: ProgramReloc = { kind: 'data', insn, section: target.name, offset: sym.value + ins.imm };
    if (!isSecSym) reloc.symbol = sym.name;
    return reloc;
  }
  throw new ObjectError(`${where} refers to '${symName}' in section '${target.name}', which is neither code, a map nor global data`);
}

function attachExtInfo(ext: BtfExt, index: FunctionIndex): void {
  for (const s of ext.funcInfo) {
    for (const r of s.records) {
      const p = index.atNamed(s.section, r.insnOff);
      if (!p || p.fn.offset !== r.insnOff) throw new ObjectError(`.BTF.ext func_info for section '${s.section}' at byte offset ${r.insnOff} is not the start of a function`);
      p.fn.funcTypeId = r.typeId;
      p.fn.funcInfo.push({ insn: 0, typeId: r.typeId });
    }
  }
  for (const s of ext.lineInfo) {
    for (const r of s.records) {
      const p = index.atNamed(s.section, r.insnOff);
      if (!p || (r.insnOff - p.fn.offset) % 8 !== 0) throw new ObjectError(`.BTF.ext line_info for section '${s.section}' at byte offset ${r.insnOff} is not an instruction of any function`);
      p.fn.lineInfo.push({ insn: (r.insnOff - p.fn.offset) / 8, fileName: r.fileName, line: r.line, lineNum: r.lineNum, column: r.column, fileNameOff: r.fileNameOff, lineOff: r.lineOff });
    }
  }
}
