/** `readelf --sections`: the section header table as llvm-readelf (LLVM 14, GNU style) prints it. */
import * as E from '../elf/constants.js';
import type { ElfFile, ElfSection } from '../elf/types.js';
import { columns, hexPad, rjust } from './readelf-columns.js';

const TYPE_NAMES: Record<number, string> = {
  0: 'NULL', 1: 'PROGBITS', 2: 'SYMTAB', 3: 'STRTAB', 4: 'RELA', 5: 'HASH', 6: 'DYNAMIC', 7: 'NOTE',
  8: 'NOBITS', 9: 'REL', 10: 'SHLIB', 11: 'DYNSYM', 14: 'INIT_ARRAY', 15: 'FINI_ARRAY',
  16: 'PREINIT_ARRAY', 17: 'GROUP', 18: 'SYMTAB SECTION INDICES', 19: 'RELR',
  0x60000001: 'ANDROID_REL', 0x60000002: 'ANDROID_RELA', 0x6fffff00: 'ANDROID_RELR',
  0x6fff4c00: 'LLVM_ODRTAB', 0x6fff4c01: 'LLVM_LINKER_OPTIONS', 0x6fff4c03: 'LLVM_ADDRSIG',
  0x6fff4c04: 'LLVM_DEPENDENT_LIBRARIES', 0x6fff4c05: 'LLVM_SYMPART', 0x6fff4c06: 'LLVM_PART_EHDR',
  0x6fff4c07: 'LLVM_PART_PHDR', 0x6fff4c08: 'LLVM_BB_ADDR_MAP', 0x6fff4c09: 'LLVM_CALL_GRAPH_PROFILE',
  0x6ffffff5: 'ATTRIBUTES', 0x6ffffff6: 'GNU_HASH', 0x6ffffffd: 'VERDEF', 0x6ffffffe: 'VERNEED', 0x6fffffff: 'VERSYM',
};

export function sectionTypeName(type: number): string {
  const known = TYPE_NAMES[type];
  if (known) return known;
  const up = (n: number): string => n.toString(16).toUpperCase();
  if (type >= 0x70000000 && type <= 0x7fffffff) return `LOPROC+0x${up(type - 0x70000000)}`;
  if (type >= 0x60000000 && type <= 0x6fffffff) return `LOOS+0x${up(type - 0x60000000)}`;
  if (type >= 0x80000000 && type <= 0xffffffff) return `LOUSER+0x${up(type - 0x80000000)}`;
  return `0x${up(type)}: <unknown>`;
}

/** Letters of known flags in bit order; one unknown OS / processor bit swallows the rest of its range. */
const FLAG_LETTERS = new Map<bigint, string>([
  [0x1n, 'W'], [0x2n, 'A'], [0x4n, 'X'], [0x10n, 'M'], [0x20n, 'S'], [0x40n, 'I'], [0x80n, 'L'],
  [0x100n, 'O'], [0x200n, 'G'], [0x400n, 'T'], [0x800n, 'C'], [0x200000n, 'R'], [0x80000000n, 'E'],
]);
const MASKOS = 0x0ff00000n;
const MASKPROC = 0xf0000000n;

export function sectionFlagLetters(flags: bigint): string {
  let out = '';
  let os = false, proc = false, unknown = false;
  let rest = flags;
  while (rest !== 0n) {
    const bit = rest & -rest;
    rest -= bit;
    const letter = FLAG_LETTERS.get(bit);
    if (letter) out += letter;
    else if (bit & MASKOS) { os = true; rest &= ~MASKOS; }
    else if (bit & MASKPROC) { proc = true; rest &= ~MASKPROC; }
    else unknown = true;
  }
  return out + (os ? 'o' : '') + (proc ? 'p' : '') + (unknown ? 'x' : '');
}

const KEY = `Key to Flags:
  W (write), A (alloc), X (execute), M (merge), S (strings), I (info),
  L (link order), O (extra OS processing required), G (group), T (TLS),
  C (compressed), x (unknown), o (OS specific), E (exclude),
  R (retain), p (processor specific)
`;

function row(s: ElfSection, name: string): string {
  return columns([
    [2, `[${rjust(s.index, 2)}]`], [7, name], [25, sectionTypeName(s.type)], [41, hexPad(s.addr, 16)],
    [58, hexPad(s.offset, 6)], [65, hexPad(s.size, 6)], [72, hexPad(s.entsize, 2)],
    [75, rjust(sectionFlagLetters(s.flags64), 3)], [79, rjust(s.link, 2)], [82, rjust(s.info, 3)], [86, rjust(s.addralign, 2)],
  ]);
}

export function renderSections(elf: ElfFile): string {
  const noNames = elf.header.shstrndx === E.SHN_UNDEF;
  const lines = [
    `There are ${elf.sections.length} section headers, starting at offset 0x${elf.header.shoff.toString(16)}:`,
    '',
    'Section Headers:',
    '  [Nr] Name              Type            Address          Off    Size   ES Flg Lk Inf Al',
    ...elf.sections.map((s) => row(s, noNames ? '<no-strings>' : s.name)),
  ];
  return `${lines.join('\n')}\n${KEY}`;
}
