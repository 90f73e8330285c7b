/**
 * ELF64 little-endian relocatable-object writer. Layout follows what clang emits for BPF:
 * header, section data (aligned), one `.strtab` shared by section and symbol names, `.symtab`
 * (locals first, sh_info = first global), `.rel<name>` sections, then the section header table.
 */
import * as C from './constants.js';
import { ElfError } from './error.js';

export interface ElfSectionSpec {
  name: string;
  /** SHT_* (default SHT_PROGBITS). */
  type?: number;
  /** SHF_* bits (default 0). */
  flags?: number;
  /** Contents; omit for SHT_NOBITS (use `size`). */
  data?: Uint8Array;
  /** Size of an SHT_NOBITS section. */
  size?: number;
  /** Default 1 (8 for executable sections). */
  addralign?: number;
  entsize?: number;
  /** A section index or name in this spec (after the writer's own .strtab/.symtab are added). */
  link?: number | string;
  info?: number;
}

export interface ElfSymbolSpec {
  name: string;
  /** Section name, a spec section index (0-based in `sections`), or SHN_ABS/SHN_UNDEF/SHN_COMMON via `shndx`. */
  section?: string;
  /** Raw st_shndx for special indices (SHN_UNDEF, SHN_ABS, SHN_COMMON) when `section` is omitted. */
  shndx?: number;
  value?: number;
  size?: number;
  /** STT_* (default STT_NOTYPE). */
  type?: number;
  /** STB_* (default STB_GLOBAL). */
  bind?: number;
  /** STV_* (default STV_DEFAULT). */
  visibility?: number;
}

export interface ElfRelocSpec {
  /** Name of the section the relocation applies to. */
  section: string;
  offset: number;
  /** R_BPF_* type. */
  type: number;
  /**
   * The symbol: an index into `symbols`, or a name. A name matches a non-section symbol first,
   * then the STT_SECTION symbol of the section with that name.
   */
  symbol: number | string;
}

export interface ElfSpec {
  sections: ElfSectionSpec[];
  symbols?: ElfSymbolSpec[];
  relocations?: ElfRelocSpec[];
  /** A STT_FILE symbol naming the source, as clang writes. */
  fileName?: string;
  machine?: number;
}

class StrtabBuilder {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private readonly index = new Map<string, number>([['', 0]]);
  private size = 1;
  add(s: string): number {
    const hit = this.index.get(s);
    if (hit !== undefined) return hit;
    const b = new TextEncoder().encode(s);
    if (b.includes(0)) throw new ElfError(`name ${JSON.stringify(s)} contains a NUL byte`);
    const off = this.size;
    this.parts.push(b, new Uint8Array(1));
    this.size += b.length + 1;
    this.index.set(s, off);
    return off;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let p = 0;
    for (const part of this.parts) { out.set(part, p); p += part.length; }
    return out;
  }
}

interface Placed { name: string; type: number; flags: number; data: Uint8Array; size: number; align: number; entsize: number; link: number; info: number; offset: number; nameOff: number }

const align = (n: number, a: number): number => (a > 1 ? Math.ceil(n / a) * a : n);

/** Builds the bytes of an ELF64 relocatable BPF object from sections, symbols and relocations. */
export function writeElf(spec: ElfSpec): Uint8Array {
  const user = spec.sections;
  const names = new Map<string, number>();
  user.forEach((s, i) => {
    if (names.has(s.name)) throw new ElfError(`duplicate section name '${s.name}'`);
    names.set(s.name, i);
  });
  const relocs = spec.relocations ?? [];
  const relocsBySection = new Map<string, ElfRelocSpec[]>();
  for (const r of relocs) {
    const list = relocsBySection.get(r.section) ?? [];
    list.push(r);
    relocsBySection.set(r.section, list);
  }
  for (const t of relocsBySection.keys()) if (!names.has(t)) throw new ElfError(`relocation for unknown section '${t}'`);

  // Final order: NULL, .strtab, user sections each followed by its .rel section, .symtab.
  const layout: ({ kind: 'user'; i: number } | { kind: 'rel'; target: string })[] = [];
  for (let i = 0; i < user.length; i++) {
    layout.push({ kind: 'user', i });
    if (relocsBySection.has(user[i]!.name)) layout.push({ kind: 'rel', target: user[i]!.name });
  }
  const STRTAB = 1;
  const indexOfUser = new Map<number, number>();
  const indexOfRel = new Map<string, number>();
  layout.forEach((e, k) => {
    if (e.kind === 'user') indexOfUser.set(e.i, k + 2);
    else indexOfRel.set(e.target, k + 2);
  });
  const SYMTAB = layout.length + 2;
  const secIndex = (ref: string | number, what: string): number => {
    if (typeof ref === 'number') {
      const idx = indexOfUser.get(ref);
      if (idx === undefined) throw new ElfError(`${what}: section index ${ref} is not in the spec`);
      return idx;
    }
    if (ref === '.symtab') return SYMTAB;
    if (ref === '.strtab') return STRTAB;
    const i = names.get(ref);
    if (i === undefined) throw new ElfError(`${what}: unknown section '${ref}'`);
    return indexOfUser.get(i)!;
  };

  // Symbols: null, optional FILE, then the spec's symbols with locals first (stable).
  const strtab = new StrtabBuilder();
  const syms = (spec.symbols ?? []).map((s, i) => ({ s, i }));
  const locals = syms.filter((x) => (x.s.bind ?? C.STB_GLOBAL) === C.STB_LOCAL);
  const globals = syms.filter((x) => (x.s.bind ?? C.STB_GLOBAL) !== C.STB_LOCAL);
  const sorted = [...locals, ...globals];
  const first = spec.fileName !== undefined ? 2 : 1;
  const symIndex = new Map<number, number>();
  sorted.forEach((x, k) => symIndex.set(x.i, k + first));
  const symRecords = new Uint8Array((sorted.length + first) * C.SYM_SIZE);
  const sv = new DataView(symRecords.buffer);
  if (spec.fileName !== undefined) {
    sv.setUint32(24, strtab.add(spec.fileName), true);
    sv.setUint8(24 + 4, (C.STB_LOCAL << 4) | C.STT_FILE);
    sv.setUint16(24 + 6, C.SHN_ABS, true);
  }
  sorted.forEach((x, k) => {
    const at = (k + first) * C.SYM_SIZE;
    const s = x.s;
    const type = s.type ?? C.STT_NOTYPE;
    const shndx = s.section !== undefined ? secIndex(s.section, `symbol '${s.name}'`) : (s.shndx ?? C.SHN_UNDEF);
    sv.setUint32(at, type === C.STT_SECTION ? 0 : strtab.add(s.name), true);
    sv.setUint8(at + 4, ((s.bind ?? C.STB_GLOBAL) << 4) | (type & 0xf));
    sv.setUint8(at + 5, (s.visibility ?? C.STV_DEFAULT) & 3);
    sv.setUint16(at + 6, shndx, true);
    sv.setBigUint64(at + 8, BigInt(s.value ?? 0), true);
    sv.setBigUint64(at + 16, BigInt(s.size ?? 0), true);
  });
  const byName = new Map<string, number>();
  const bySection = new Map<string, number>();
  for (const { s, i } of syms) {
    if ((s.type ?? C.STT_NOTYPE) === C.STT_SECTION) {
      if (typeof s.section === 'string' && !bySection.has(s.section)) bySection.set(s.section, i);
    } else if (!byName.has(s.name)) byName.set(s.name, i);
  }
  const symbolRef = (ref: number | string): number => {
    if (typeof ref === 'number') {
      const k = symIndex.get(ref);
      if (k === undefined) throw new ElfError(`relocation refers to symbol #${ref}, which is not in the spec`);
      return k;
    }
    const named = byName.get(ref);
    if (named !== undefined) return symIndex.get(named)!;
    const secSym = bySection.get(ref);
    if (secSym !== undefined) return symIndex.get(secSym)!;
    throw new ElfError(`relocation refers to unknown symbol '${ref}'`);
  };

  const placed: Placed[] = [];
  const nameOf = (n: string): number => strtab.add(n);
  for (const e of layout) {
    if (e.kind === 'user') {
      const s = user[e.i]!;
      const type = s.type ?? C.SHT_PROGBITS;
      const nobits = type === C.SHT_NOBITS;
      const data = nobits ? new Uint8Array(0) : (s.data ?? new Uint8Array(0));
      placed.push({
        name: s.name, type, flags: s.flags ?? 0, data, size: nobits ? (s.size ?? 0) : data.length,
        align: s.addralign ?? ((s.flags ?? 0) & C.SHF_EXECINSTR ? 8 : 1), entsize: s.entsize ?? 0,
        link: s.link === undefined ? 0 : secIndex(s.link, `section '${s.name}' sh_link`), info: s.info ?? 0, offset: 0, nameOff: nameOf(s.name),
      });
    } else {
      const list = relocsBySection.get(e.target)!;
      const data = new Uint8Array(list.length * C.REL_SIZE);
      const dv = new DataView(data.buffer);
      list.forEach((r, k) => {
        dv.setBigUint64(k * 16, BigInt(r.offset), true);
        dv.setBigUint64(k * 16 + 8, (BigInt(symbolRef(r.symbol)) << 32n) | BigInt(r.type >>> 0), true);
      });
      const relName = `.rel${e.target}`;
      placed.push({ name: relName, type: C.SHT_REL, flags: C.SHF_INFO_LINK, data, size: data.length, align: 8, entsize: C.REL_SIZE, link: SYMTAB, info: secIndex(e.target, relName), offset: 0, nameOff: nameOf(relName) });
    }
  }
  const symtabName = nameOf('.symtab');
  const strtabName = nameOf('.strtab');
  const strBytes = strtab.bytes();

  // File layout: header, user data, .strtab, .symtab, rel sections, section headers.
  let pos = C.EHDR_SIZE;
  const userPlaced = placed.filter((p) => p.type !== C.SHT_REL);
  const relPlaced = placed.filter((p) => p.type === C.SHT_REL);
  for (const p of userPlaced) {
    pos = align(pos, p.align);
    p.offset = pos;
    if (p.type !== C.SHT_NOBITS) pos += p.data.length;
  }
  const strOff = pos;
  pos += strBytes.length;
  pos = align(pos, 8);
  const symOff = pos;
  pos += symRecords.length;
  for (const p of relPlaced) {
    pos = align(pos, p.align);
    p.offset = pos;
    pos += p.data.length;
  }
  pos = align(pos, 8);
  const shoff = pos;
  const shnum = SYMTAB + 1;
  const out = new Uint8Array(shoff + shnum * C.SHDR_SIZE);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, C.ELFCLASS64, C.ELFDATA2LSB, C.EV_CURRENT], 0);
  v.setUint16(16, C.ET_REL, true);
  v.setUint16(18, spec.machine ?? C.EM_BPF, true);
  v.setUint32(20, C.EV_CURRENT, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, C.EHDR_SIZE, true);
  v.setUint16(58, C.SHDR_SIZE, true);
  v.setUint16(60, shnum, true);
  v.setUint16(62, STRTAB, true);
  for (const p of placed) if (p.type !== C.SHT_NOBITS) out.set(p.data, p.offset);
  out.set(strBytes, strOff);
  out.set(symRecords, symOff);

  const header = (idx: number, h: { nameOff: number; type: number; flags: number; offset: number; size: number; link: number; info: number; align: number; entsize: number }): void => {
    const at = shoff + idx * C.SHDR_SIZE;
    v.setUint32(at, h.nameOff, true);
    v.setUint32(at + 4, h.type, true);
    v.setBigUint64(at + 8, BigInt(h.flags >>> 0), true);
    v.setBigUint64(at + 24, BigInt(h.offset), true);
    v.setBigUint64(at + 32, BigInt(h.size), true);
    v.setUint32(at + 40, h.link, true);
    v.setUint32(at + 44, h.info, true);
    v.setBigUint64(at + 48, BigInt(h.align), true);
    v.setBigUint64(at + 56, BigInt(h.entsize), true);
  };
  header(STRTAB, { nameOff: strtabName, type: C.SHT_STRTAB, flags: 0, offset: strOff, size: strBytes.length, link: 0, info: 0, align: 1, entsize: 0 });
  placed.forEach((p, k) => header(k + 2, { nameOff: p.nameOff, type: p.type, flags: p.flags, offset: p.offset, size: p.size, link: p.link, info: p.info, align: p.align, entsize: p.entsize }));
  header(SYMTAB, { nameOff: symtabName, type: C.SHT_SYMTAB, flags: 0, offset: symOff, size: symRecords.length, link: STRTAB, info: locals.length + first, align: 8, entsize: C.SYM_SIZE });
  return out;
}
