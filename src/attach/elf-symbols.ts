/**
 * Function symbols of a host binary or shared library (ELF64 little-endian, any machine), for
 * uprobes: the probe is placed at a *file offset*, so a symbol's virtual address is mapped back
 * through the PT_LOAD segment that contains it. Reads .symtab and .dynsym; every offset and
 * size is checked against the file before use (a user may point us at anything).
 */
import { TsbpfError } from '../errors.js';

const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;

export interface HostSymbol {
  name: string;
  /** Virtual address (st_value). */
  address: bigint;
  size: bigint;
  /** Where a uprobe goes: the address mapped to its file offset. */
  fileOffset: bigint;
  ifunc: boolean;
}

export class HostElfError extends TsbpfError {
  constructor(message: string, hint?: string) {
    super('ELF', message, hint);
  }
}

interface Segment { vaddr: bigint; offset: bigint; filesz: bigint }

/** Parses the function symbols of `bytes` (the file at `path`, named in errors). */
export function hostFunctionSymbols(bytes: Uint8Array, path: string): HostSymbol[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new HostElfError(`'${path}' is not a usable ELF file: ${why}`, 'uprobes need an ELF64 little-endian executable or shared library');
  if (bytes.length < 64 || dv.getUint32(0, false) !== 0x7f454c46) throw bad('no ELF magic');
  if (bytes[4] !== 2 || bytes[5] !== 1) throw bad('not ELF64 little-endian');
  const u64 = (o: number) => dv.getBigUint64(o, true);
  const inFile = (off: bigint, size: bigint) => off >= 0n && size >= 0n && off + size <= BigInt(bytes.length);

  const phoff = u64(32), phentsize = dv.getUint16(54, true), phnum = dv.getUint16(56, true);
  const shoff = u64(40), shentsize = dv.getUint16(58, true), shnum = dv.getUint16(60, true);
  const segments: Segment[] = [];
  if (phnum && (phentsize < 56 || !inFile(phoff, BigInt(phnum * phentsize)))) throw bad('program headers lie outside the file');
  for (let i = 0; i < phnum; i++) {
    const o = Number(phoff) + i * phentsize;
    if (dv.getUint32(o, true) !== PT_LOAD) continue;
    segments.push({ offset: u64(o + 8), vaddr: u64(o + 16), filesz: u64(o + 32) });
  }
  if (shnum && (shentsize < 64 || !inFile(shoff, BigInt(shnum * shentsize)))) throw bad('section headers lie outside the file');
  const sec = (i: number) => {
    const o = Number(shoff) + i * shentsize;
    return { type: dv.getUint32(o + 4, true), offset: u64(o + 24), size: u64(o + 32), link: dv.getUint32(o + 40, true), entsize: u64(o + 56) };
  };
  const out: HostSymbol[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    if (s.type !== SHT_SYMTAB && s.type !== SHT_DYNSYM) continue;
    if (s.entsize < 24n || !inFile(s.offset, s.size) || s.link >= shnum) throw bad(`symbol table section ${i} is malformed`);
    const str = sec(s.link);
    if (!inFile(str.offset, str.size)) throw bad(`string table of section ${i} lies outside the file`);
    const strStart = Number(str.offset), strEnd = strStart + Number(str.size);
    const count = Number(s.size / s.entsize);
    for (let k = 1; k < count; k++) {
      const o = Number(s.offset) + k * Number(s.entsize);
      const info = bytes[o + 4]!;
      const type = info & 0xf;
      const shndx = dv.getUint16(o + 6, true);
      if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || shndx === 0) continue;
      const nameOff = strStart + dv.getUint32(o, true);
      if (nameOff >= strEnd) continue;
      let end = nameOff;
      while (end < strEnd && bytes[end] !== 0) end++;
      const name = Buffer.from(bytes.subarray(nameOff, end)).toString('utf8');
      const address = u64(o + 8);
      const seg = segments.find((g) => address >= g.vaddr && address < g.vaddr + g.filesz);
      if (!name || !seg) continue;
      out.push({ name, address, size: u64(o + 16), fileOffset: address - seg.vaddr + seg.offset, ifunc: type === STT_GNU_IFUNC });
    }
  }
  return out;
}
