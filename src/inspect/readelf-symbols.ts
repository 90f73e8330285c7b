/** `readelf --symbols`: the symbol table as llvm-readelf (LLVM 14, GNU style) prints it. */
import * as E from '../elf/constants.js';
import { sectionSymbolName } from '../elf/query.js';
import type { ElfFile, ElfSymbol } from '../elf/types.js';
import { columns, hexPad, rjust } from './readelf-columns.js';

const TYPES: Record<number, string> = { 0: 'NOTYPE', 1: 'OBJECT', 2: 'FUNC', 3: 'SECTION', 4: 'FILE', 5: 'COMMON', 6: 'TLS', 10: 'IFUNC' };
const BINDS: Record<number, string> = { 0: 'LOCAL', 1: 'GLOBAL', 2: 'WEAK', 10: 'UNIQUE' };
const VIS = ['DEFAULT', 'INTERNAL', 'HIDDEN', 'PROTECTED'];

export function symbolTypeName(t: number): string {
  if (TYPES[t]) return TYPES[t]!;
  if (t >= 10 && t <= 12) return `<OS specific>: ${t}`;
  if (t >= 13) return `<processor specific>: ${t}`;
  return `<unknown>: ${t}`;
}

export function symbolSectionIndex(shndx: number): string {
  if (shndx === E.SHN_UNDEF) return 'UND';
  if (shndx === E.SHN_ABS) return 'ABS';
  if (shndx === E.SHN_COMMON) return 'COM';
  const h = `0x${shndx.toString(16).padStart(4, '0')}`;
  if (shndx >= 0xff00 && shndx <= 0xff1f) return `PRC[${h}]`;
  if (shndx >= 0xff20 && shndx <= 0xff3f) return `OS[${h}]`;
  if (shndx >= 0xff00) return `RSV[${h}]`;
  return String(shndx);
}

function row(elf: ElfFile, s: ElfSymbol): string {
  return columns([
    [0, `${rjust(s.index, 6)}:`], [8, hexPad(s.value, 16)], [25, rjust(s.size, 5)], [31, symbolTypeName(s.type)],
    [39, BINDS[s.bind] ?? s.bind.toString(16)], [46, VIS[s.visibility]!], [56, rjust(symbolSectionIndex(s.shndx), 3)],
    [60, sectionSymbolName(elf, s)],
  ]);
}

export function renderSymbols(elf: ElfFile): string {
  if (elf.symtabIndex < 0) return '';
  const sec = elf.sections[elf.symtabIndex]!;
  const name = elf.header.shstrndx === E.SHN_UNDEF ? '<?>' : sec.name;
  const lines = [
    '',
    `Symbol table '${name}' contains ${elf.symbols.length} entries:`,
    '   Num:    Value          Size Type    Bind   Vis       Ndx Name',
    ...elf.symbols.map((s) => row(elf, s)),
  ];
  return `${lines.join('\n')}\n`;
}
