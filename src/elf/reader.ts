/**
 * ELF64 little-endian reader for BPF objects. Every offset, size, index and count is checked
 * against the file before use, so a corrupt file yields an ElfError naming the file offset,
 * never an out-of-range read, a huge allocation or an unbounded loop.
 */
import * as C from './constants.js';
import { ElfError, hex } from './error.js';
import { StringTable } from './strings.js';
import type { ElfFile, ElfHeader, ElfRelocSection, ElfRelocation, ElfSection, ElfSymbol } from './types.js';

export interface ReadElfOptions {
  /** Accept any e_machine (the readelf renderer prints foreign objects too). Default false. */
  anyMachine?: boolean;
}

/** Parses an ELF64 little-endian object. Throws ElfError on anything malformed. */
export function readElf(bytes: Uint8Array, options: ReadElfOptions = {}): ElfFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(bytes, view, options);
  const sections = readSections(bytes, view, header);
  const symtabs = sections.filter((s) => s.type === C.SHT_SYMTAB);
  if (symtabs.length > 1) {
    throw new ElfError(`more than one SHT_SYMTAB section (sections ${symtabs[0]!.index} and ${symtabs[1]!.index}, header at ${hex(symtabs[1]!.headerOffset)})`, symtabs[1]!.headerOffset);
  }
  const symtab = symtabs[0];
  const symbols = symtab ? readSymbols(view, sections, symtab) : [];
  const relocations: ElfRelocSection[] = [];
  for (const s of sections) {
    if (s.type === C.SHT_REL || s.type === C.SHT_RELA) relocations.push(readRelocs(view, sections, s, symtab, symbols.length));
  }
  return { bytes, header, sections, symtabIndex: symtab ? symtab.index : -1, symbols, relocations };
}

function truncated(bytes: Uint8Array, need: number, what: string): never {
  throw new ElfError(`truncated file: ${what} needs ${need} bytes but the file has ${bytes.length} (offset ${hex(bytes.length)})`, bytes.length);
}

function readHeader(bytes: Uint8Array, v: DataView, options: ReadElfOptions): ElfHeader {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    const found = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ElfError(`not an ELF file: bad magic at offset 0x0 (found ${found || 'nothing'}, expected 7f 45 4c 46)`, 0);
  }
  if (bytes.length < 6) truncated(bytes, C.EHDR_SIZE, 'the ELF header');
  if (bytes[4] !== C.ELFCLASS64) {
    const what = bytes[4] === C.ELFCLASS32 ? 'a 32-bit ELF file (ELFCLASS32)' : `unknown ELF class ${bytes[4]}`;
    throw new ElfError(`${what} at offset 0x4: BPF objects are ELFCLASS64`, 4);
  }
  if (bytes[5] !== C.ELFDATA2LSB) {
    if (bytes[5] === C.ELFDATA2MSB) {
      throw new ElfError('big-endian ELF file (ELFDATA2MSB at offset 0x5): tsbpf reads little-endian BPF objects (clang -target bpfel)', 5);
    }
    throw new ElfError(`unknown ELF data encoding ${bytes[5]} at offset 0x5 (expected 1, little-endian)`, 5);
  }
  if (bytes.length < C.EHDR_SIZE) truncated(bytes, C.EHDR_SIZE, 'the ELF header');
  if (bytes[6] !== C.EV_CURRENT) throw new ElfError(`unsupported ELF version ${bytes[6]} at offset 0x6 (expected 1)`, 6);
  const machine = v.getUint16(18, true);
  if (machine !== C.EM_BPF && !options.anyMachine) {
    const name = C.MACHINE_NAMES[machine];
    throw new ElfError(`wrong machine: e_machine at offset 0x12 is ${machine}${name ? ` (${name})` : ''}, expected ${C.EM_BPF} (BPF); this is not a BPF object`, 0x12);
  }
  const ehsize = v.getUint16(52, true);
  if (ehsize !== C.EHDR_SIZE) throw new ElfError(`e_ehsize at offset 0x34 is ${ehsize}, expected ${C.EHDR_SIZE}`, 0x34);
  const phoff = v.getBigUint64(32, true);
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  if (phnum > 0) {
    if (phentsize !== C.PHDR_SIZE) throw new ElfError(`e_phentsize at offset 0x36 is ${phentsize}, expected ${C.PHDR_SIZE}`, 0x36);
    if (phoff + BigInt(phnum * C.PHDR_SIZE) > BigInt(bytes.length)) {
      throw new ElfError(`program headers (e_phoff ${hex(phoff)}, ${phnum} entries, at offset 0x20) extend past the end of the file (size ${hex(bytes.length)})`, 0x20);
    }
  }
  const shoffBig = v.getBigUint64(40, true);
  const shentsize = v.getUint16(58, true);
  let shnum = v.getUint16(60, true);
  let shstrndx = v.getUint16(62, true);
  if (shoffBig === 0n) {
    if (shnum !== 0) throw new ElfError(`e_shnum at offset 0x3c is ${shnum} but e_shoff is 0`, 0x3c);
  } else {
    if (shentsize !== C.SHDR_SIZE) throw new ElfError(`e_shentsize at offset 0x3a is ${shentsize}, expected ${C.SHDR_SIZE}`, 0x3a);
    if (shoffBig + BigInt(C.SHDR_SIZE) > BigInt(bytes.length)) {
      throw new ElfError(`section header table offset e_shoff ${hex(shoffBig)} (at offset 0x28) is past the end of the file (size ${hex(bytes.length)})`, 0x28);
    }
  }
  const shoff = Number(shoffBig);
  // Extended numbering: with 0xff00+ sections, the real count and name-table index live in section 0.
  if (shoff !== 0 && shnum === 0) {
    const n = v.getBigUint64(shoff + 32, true);
    if (n > BigInt(Math.floor((bytes.length - shoff) / C.SHDR_SIZE))) {
      throw new ElfError(`section count ${n} (sh_size of section 0, at offset ${hex(shoff + 32)}) does not fit in the file`, shoff + 32);
    }
    shnum = Number(n);
  }
  if (shstrndx === C.SHN_XINDEX && shoff !== 0) shstrndx = v.getUint32(shoff + 40, true);
  if (shoff !== 0 && shoff + shnum * C.SHDR_SIZE > bytes.length) {
    throw new ElfError(`section header table at offset ${hex(shoff)} (e_shoff, ${shnum} entries) extends past the end of the file (size ${hex(bytes.length)})`, shoff);
  }
  if (shstrndx !== C.SHN_UNDEF && shstrndx >= shnum) {
    throw new ElfError(`e_shstrndx at offset 0x3e is ${shstrndx} but there are only ${shnum} sections`, 0x3e);
  }
  return {
    osabi: bytes[7]!, abiVersion: bytes[8]!, type: v.getUint16(16, true), machine,
    version: v.getUint32(20, true), entry: v.getBigUint64(24, true), phoff, shoff,
    flags: v.getUint32(48, true), ehsize, phentsize, phnum, shentsize, shnum, shstrndx,
  };
}

function safe(n: bigint, what: string, at: number): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} ${hex(n)} at offset ${hex(at)} is too large`, at);
  return Number(n);
}

function readSections(bytes: Uint8Array, v: DataView, h: ElfHeader): ElfSection[] {
  const out: ElfSection[] = [];
  for (let i = 0; i < h.shnum; i++) {
    const at = h.shoff + i * C.SHDR_SIZE;
    const type = v.getUint32(at + 4, true);
    const flags64 = v.getBigUint64(at + 8, true);
    const offBig = v.getBigUint64(at + 24, true);
    const sizeBig = v.getBigUint64(at + 32, true);
    const size = safe(sizeBig, `section ${i}: sh_size`, at + 32);
    let offset = 0;
    let data = bytes.subarray(0, 0);
    if (type !== C.SHT_NOBITS && type !== C.SHT_NULL) {
      if (offBig + sizeBig > BigInt(bytes.length)) {
        throw new ElfError(`section ${i}: data at sh_offset ${hex(offBig)} with sh_size ${hex(sizeBig)} (header at ${hex(at)}) extends past the end of the file (size ${hex(bytes.length)})`, at + 24);
      }
      offset = Number(offBig);
      data = bytes.subarray(offset, offset + size);
    } else {
      offset = safe(offBig, `section ${i}: sh_offset`, at + 24);
    }
    out.push({
      index: i, name: '', nameOffset: v.getUint32(at, true), headerOffset: at, type,
      flags: Number(flags64 & 0xffffffffn), flags64, addr: v.getBigUint64(at + 16, true), offset, size,
      link: v.getUint32(at + 40, true), info: v.getUint32(at + 44, true),
      addralign: safe(v.getBigUint64(at + 48, true), `section ${i}: sh_addralign`, at + 48),
      entsize: safe(v.getBigUint64(at + 56, true), `section ${i}: sh_entsize`, at + 56), data,
    });
  }
  if (h.shstrndx !== C.SHN_UNDEF && out.length > 0) {
    const shstr = out[h.shstrndx]!;
    if (shstr.type !== C.SHT_STRTAB) {
      throw new ElfError(`section-name table (section ${h.shstrndx}, header at ${hex(shstr.headerOffset)}) has type ${hex(shstr.type)}, expected SHT_STRTAB`, shstr.headerOffset + 4);
    }
    const table = new StringTable(shstr.data, (off, why) => {
      throw new ElfError(`section-name table at ${hex(shstr.offset)}: ${why} (file offset ${hex(shstr.offset + Math.max(0, Math.min(off, shstr.size)))})`, shstr.offset + Math.max(0, Math.min(off, shstr.size)));
    });
    for (const s of out) {
      if (s.nameOffset >= table.size && !(s.index === 0 && s.nameOffset === 0)) {
        throw new ElfError(`section ${s.index}: sh_name ${s.nameOffset} (header at ${hex(s.headerOffset)}) is outside the section-name table (size ${table.size})`, s.headerOffset);
      }
      if (table.size > 0) s.name = table.get(s.nameOffset);
    }
  }
  return out;
}

function checkEntsize(s: ElfSection, expected: number, what: string): number {
  if (s.entsize !== expected) {
    throw new ElfError(`${what} section ${s.index} '${s.name}' (header at ${hex(s.headerOffset)}): sh_entsize is ${s.entsize}, expected ${expected}`, s.headerOffset + 56);
  }
  if (s.size % expected !== 0) {
    throw new ElfError(`${what} section ${s.index} '${s.name}' (header at ${hex(s.headerOffset)}): sh_size ${s.size} is not a multiple of ${expected}`, s.headerOffset + 32);
  }
  return s.size / expected;
}

function readSymbols(v: DataView, sections: ElfSection[], symtab: ElfSection): ElfSymbol[] {
  const count = checkEntsize(symtab, C.SYM_SIZE, 'symbol table');
  const strSec = sections[symtab.link];
  if (!strSec || strSec.type !== C.SHT_STRTAB) {
    throw new ElfError(`symbol table section ${symtab.index}: sh_link ${symtab.link} (at ${hex(symtab.headerOffset + 40)}) is not a string table`, symtab.headerOffset + 40);
  }
  if (symtab.info > count) {
    throw new ElfError(`symbol table section ${symtab.index}: sh_info ${symtab.info} (first global, at ${hex(symtab.headerOffset + 44)}) is beyond its ${count} symbols`, symtab.headerOffset + 44);
  }
  const out: ElfSymbol[] = [];
  let table: StringTable | undefined;
  let cur = 0;
  for (let i = 0; i < count; i++) {
    const at = symtab.offset + i * C.SYM_SIZE;
    cur = i;
    const nameOffset = v.getUint32(at, true);
    const info = v.getUint8(at + 4);
    const other = v.getUint8(at + 5);
    const shndx = v.getUint16(at + 6, true);
    if (shndx === C.SHN_XINDEX) {
      throw new ElfError(`symbol ${i} (at ${hex(at)}): st_shndx SHN_XINDEX (extended section indices) is not supported`, at + 6);
    }
    if (shndx !== C.SHN_UNDEF && shndx < C.SHN_LORESERVE && shndx >= sections.length) {
      throw new ElfError(`symbol ${i} (at ${hex(at)}): st_shndx ${shndx} is not a section (there are ${sections.length})`, at + 6);
    }
    let name = '';
    if (nameOffset !== 0) {
      table ??= new StringTable(strSec.data, (_off, why) => {
        const where = symtab.offset + cur * C.SYM_SIZE;
        throw new ElfError(`symbol ${cur} (at ${hex(where)}): st_name: ${why} of section ${strSec.index} '${strSec.name}'`, where);
      });
      name = table.get(nameOffset);
    }
    out.push({
      index: i, name, nameOffset, value: safe(v.getBigUint64(at + 8, true), `symbol ${i}: st_value`, at + 8),
      size: safe(v.getBigUint64(at + 16, true), `symbol ${i}: st_size`, at + 16),
      type: info & 0xf, bind: info >> 4, other, visibility: other & 3, shndx,
    });
  }
  return out;
}

function readRelocs(v: DataView, sections: ElfSection[], s: ElfSection, symtab: ElfSection | undefined, nsyms: number): ElfRelocSection {
  const rela = s.type === C.SHT_RELA;
  const what = rela ? 'RELA' : 'REL';
  const entsize = rela ? C.RELA_SIZE : C.REL_SIZE;
  const count = checkEntsize(s, entsize, what);
  if (!symtab || s.link !== symtab.index) {
    throw new ElfError(`${what} section ${s.index} '${s.name}': sh_link ${s.link} (at ${hex(s.headerOffset + 40)}) is not the symbol table${symtab ? ` (section ${symtab.index})` : ' (the file has none)'}`, s.headerOffset + 40);
  }
  if (s.info >= sections.length) {
    throw new ElfError(`${what} section ${s.index} '${s.name}': sh_info ${s.info} (at ${hex(s.headerOffset + 44)}) is not a section (there are ${sections.length})`, s.headerOffset + 44);
  }
  const entries: ElfRelocation[] = [];
  for (let i = 0; i < count; i++) {
    const at = s.offset + i * entsize;
    const info = v.getBigUint64(at + 8, true);
    const symbol = Number(info >> 32n);
    if (symbol >= nsyms) {
      throw new ElfError(`${what} section ${s.index} '${s.name}' entry ${i} (at ${hex(at)}): symbol index ${symbol} is beyond the ${nsyms} symbols of the symbol table`, at + 8);
    }
    let addend = 0;
    if (rela) {
      const a = v.getBigInt64(at + 16, true);
      if (a > BigInt(Number.MAX_SAFE_INTEGER) || a < -BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new ElfError(`${what} section ${s.index} entry ${i} (at ${hex(at)}): addend ${a} is too large`, at + 16);
      }
      addend = Number(a);
    }
    entries.push({ offset: safe(v.getBigUint64(at, true), `${what} section ${s.index} entry ${i}: r_offset`, at), type: Number(info & 0xffffffffn), symbol, addend, fileOffset: at });
  }
  return { index: s.index, target: s.info, symtab: s.link, rela, entries };
}
