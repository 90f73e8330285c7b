/**
 * Hand-built objects for the ELF, readelf and fuzz tests: odd section types and flags, every
 * symbol kind, REL and RELA entries, and the emitted hello-world and hash-map programs.
 */
import { BtfBuilder } from '../../src/btf/index.js';
import * as E from '../../src/elf/constants.js';
import { writeElf, type ElfSectionSpec, type ElfSymbolSpec } from '../../src/elf/index.js';
import { encode } from '../../src/insn/index.js';
import { emitObject } from '../../src/object/index.js';

/**
 * Sections of every type name llvm-readelf knows (and some it does not), and flag combinations.
 * With `relocTypes`, also the packed-relocation types (RELR, ANDROID_*), which llvm-readelf's
 * --relocations tries to decode: use those only for --sections.
 */
export function oddSectionsObject(relocTypes = false): Uint8Array {
  const types = [0, 1, 3, 5, 6, 7, 8, 10, 12, 14, 15, 16, 17, 20, 0x60000000, ...(relocTypes ? [19, 0x60000001, 0x60000002, 0x6fffff00] : []),
    0x6fff4c00, 0x6fff4c01, 0x6fff4c02, 0x6fff4c03, 0x6fff4c04, 0x6fff4c05, 0x6fff4c06, 0x6fff4c07, 0x6fff4c08,
    0x6fff4c09, 0x6ffffff5, 0x6ffffff6, 0x6ffffff7, 0x6ffffffd, 0x6ffffffe, 0x6fffffff, 0x70000000, 0x7fffffff,
    0x80000000, 0xffffffff];
  const flags = [0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x100000, 0x200000,
    0x400000, 0x10000000, 0x80000000, 0x80000800, 0x80200000, 0x90000000, 0x7fffffff, 0xffffffff, 0x0ff00000, 0x300000];
  const sections: ElfSectionSpec[] = [];
  types.forEach((type, i) => sections.push({ name: `type${i}`, type, data: type === E.SHT_NOBITS ? undefined : new Uint8Array(i % 5), size: 0x123456 }));
  flags.forEach((f, i) => sections.push({ name: `flags${i}`, flags: f, data: new Uint8Array(3), addralign: 1 << (i % 13), entsize: i * 77 }));
  sections.push({ name: 'a_rather_long_section_name_that_overflows', data: new Uint8Array(1), info: 123456, link: 3 });
  for (let i = 0; i < 40; i++) sections.push({ name: `pad${i}`, type: E.SHT_NOBITS, flags: 3, size: 0x1000000 + i });
  return writeElf({ sections });
}

/** Symbols of every type, binding, visibility and special section index, with REL and RELA entries. */
export function oddSymbolsObject(): Uint8Array {
  const symbols: ElfSymbolSpec[] = [];
  [0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 15].forEach((type, i) => symbols.push({ name: `type${type}`, section: 's1', type, value: i * 0x1111, size: i * 99999 }));
  [0, 1, 2, 3, 10, 11, 13, 15].forEach((bind) => symbols.push({ name: `bind${bind}`, section: 's2', type: E.STT_OBJECT, bind }));
  [0, 1, 2, 3].forEach((visibility) => symbols.push({ name: `vis${visibility}`, section: 's2', type: E.STT_FUNC, visibility }));
  [0, 0xfff1, 0xfff2, 0xff00, 0xff1f, 0xff20, 0xff3f, 0xff40, 0xfffe].forEach((shndx) => symbols.push({ name: `ndx${shndx.toString(16)}`, shndx, type: E.STT_OBJECT }));
  symbols.push({ name: '', section: 's1', type: E.STT_SECTION, bind: E.STB_LOCAL });
  symbols.push({ name: '', section: 's2', type: E.STT_OBJECT, value: 0x40 });
  const rela = new Uint8Array(24 * 6);
  const dv = new DataView(rela.buffer);
  const rows: [number, bigint, bigint][] = [[0, 0n, 0n], [8, 1n, 0x1234n], [16, 2n, -0x10n], [24, (1n << 32n) | 1n, -1n], [32, (3n << 32n) | 10n, 0n], [40, (30n << 32n) | 2n, 7n]];
  rows.forEach(([o, info, a], k) => { dv.setBigUint64(k * 24, BigInt(o), true); dv.setBigUint64(k * 24 + 8, info, true); dv.setBigInt64(k * 24 + 16, a, true); });
  return writeElf({
    fileName: 'odd.c',
    sections: [
      { name: 's1', flags: E.SHF_ALLOC | E.SHF_EXECINSTR, data: new Uint8Array(64) },
      { name: 's2', flags: E.SHF_ALLOC | E.SHF_WRITE, data: new Uint8Array(128) },
      { name: '.rela.s2', type: E.SHT_RELA, flags: E.SHF_INFO_LINK, data: rela, entsize: 24, link: '.symtab', info: 3, addralign: 8 },
    ],
    symbols,
    relocations: [
      { section: 's1', offset: 0, type: E.R_BPF_64_64, symbol: 'type1' },
      { section: 's1', offset: 8, type: E.R_BPF_64_32, symbol: 's1' },
      { section: 's1', offset: 16, type: 77, symbol: 'bind1' },
      { section: 's1', offset: 24, type: E.R_BPF_64_NODYLD32, symbol: 17 },
      { section: 's2', offset: 0, type: E.R_BPF_64_ABS64, symbol: 'vis2' },
      { section: 's2', offset: 8, type: E.R_BPF_64_ABS32, symbol: 'ndxfff1' },
    ],
  });
}

/** The seed's hello world: `r1 = <.rodata string> ll; r2 = 18; call 6; r0 = 2; exit`. */
export function helloObject(): Uint8Array {
  const msg = new TextEncoder().encode('packet  received!\0');
  const bytes = encode([
    { kind: 'lddw', dst: 1, pseudo: 'none', imm: 0n },
    { kind: 'alu', width: 64, op: 'mov', dst: 2, imm: 18 },
    { kind: 'call', target: 'helper', imm: 6 },
    { kind: 'alu', width: 64, op: 'mov', dst: 0, imm: 2 },
    { kind: 'exit' },
  ]);
  return emitObject({
    license: 'GPL', fileName: 'hello.bpf.ts',
    programs: [{ name: 'hello_world', section: 'xdp', bytes, relocations: [{ kind: 'data', insn: 0, section: '.rodata', offset: 0 }],
      lineInfo: [{ insn: 0, fileName: 'hello.bpf.ts', line: '  bpf_printk("packet  received!");', lineNum: 4, column: 3 }, { insn: 4, fileName: 'hello.bpf.ts', line: '  return XDP_PASS;', lineNum: 5, column: 3 }] }],
    data: [{ section: '.rodata', data: msg, variables: [{ name: 'hello_msg', offset: 0, size: msg.length }] }],
  });
}

/** An XDP packet counter: a hash map u32 → u64 updated with an atomic add. */
export function hashMapObject(): Uint8Array {
  const b = new BtfBuilder();
  const u32 = b.addInt('unsigned int', 4);
  const u64 = b.addInt('unsigned long long', 8);
  const bytes = encode([
    { kind: 'alu', width: 64, op: 'mov', dst: 1, imm: 0 },
    { kind: 'stx', size: 'u32', dst: 10, src: 1, off: -4 },
    { kind: 'alu', width: 64, op: 'mov', dst: 2, src: 10 },
    { kind: 'alu', width: 64, op: 'add', dst: 2, imm: -4 },
    { kind: 'lddw', dst: 1, pseudo: 'none', imm: 0n },
    { kind: 'call', target: 'helper', imm: 1 },
    { kind: 'jmp', width: 64, op: 'eq', dst: 0, imm: 0, off: 2 },
    { kind: 'alu', width: 64, op: 'mov', dst: 1, imm: 1 },
    { kind: 'atomic', op: 'add', size: 'u64', dst: 0, src: 1, off: 0 },
    { kind: 'alu', width: 64, op: 'mov', dst: 0, imm: 2 },
    { kind: 'exit' },
  ]);
  return emitObject({
    license: 'GPL', btf: b,
    programs: [{ name: 'count_packets', section: 'xdp', bytes, relocations: [{ kind: 'map', insn: 4, map: 'counts' }] }],
    maps: [{ name: 'counts', type: 1, keySize: 4, valueSize: 8, maxEntries: 16, keyTypeId: u32, valueTypeId: u64 }],
  });
}

/** A program calling a static `.text` sub-function (bpf-to-bpf call, func_info for both). */
export function callsObject(): Uint8Array {
  return emitObject({
    license: 'GPL',
    programs: [{ name: 'caller', section: 'xdp', relocations: [{ kind: 'call', insn: 1, target: 'add_one' }], bytes: encode([
      { kind: 'alu', width: 64, op: 'mov', dst: 1, imm: 5 },
      { kind: 'call', target: 'func', imm: -1 },
      { kind: 'alu', width: 64, op: 'mov', dst: 0, imm: 2 },
      { kind: 'exit' },
    ]) }],
    functions: [{ name: 'add_one', bytes: encode([
      { kind: 'alu', width: 64, op: 'mov', dst: 0, src: 1 },
      { kind: 'alu', width: 64, op: 'add', dst: 0, imm: 1 },
      { kind: 'exit' },
    ]) }],
  });
}
