/** `readelf --relocations`: every REL/RELA section as llvm-readelf (LLVM 14, GNU style) prints it. */
import { R_BPF_NAMES } from '../elf/constants.js';
import { sectionSymbolName } from '../elf/query.js';
import type { ElfFile, ElfRelocation, ElfRelocSection } from '../elf/types.js';
import { hexPad, ljust } from './readelf-columns.js';

const HEADER = "    Offset             Info             Type               Symbol's Value  Symbol's Name";

function row(elf: ElfFile, rs: ElfRelocSection, r: ElfRelocation): string {
  const info = (BigInt(r.symbol) << 32n) | BigInt(r.type);
  let line = `${hexPad(r.offset, 16)}  ${hexPad(info, 16)} ${ljust(R_BPF_NAMES[r.type] ?? 'Unknown', 22)}`;
  if (r.symbol === 0) {
    // No symbol: the value and name columns stay blank; a RELA addend is printed as 64-bit hex.
    line = line.padEnd(69, ' ');
    if (rs.rela) line += BigInt.asUintN(64, BigInt(r.addend)).toString(16);
    return line;
  }
  const sym = elf.symbols[r.symbol]!;
  const name = sectionSymbolName(elf, sym);
  line += ` ${hexPad(sym.value, 16)} ${name}`;
  if (rs.rela) {
    const a = BigInt(r.addend);
    if (name === '') line += BigInt.asUintN(64, a).toString(16);
    else line += `${a < 0n ? ' - ' : ' + '}${(a < 0n ? -a : a).toString(16)}`;
  }
  return line;
}

export function renderRelocations(elf: ElfFile): string {
  if (elf.relocations.length === 0) return '\nThere are no relocations in this file.\n';
  const out: string[] = [];
  for (const rs of elf.relocations) {
    const sec = elf.sections[rs.index]!;
    out.push('', `Relocation section '${sec.name}' at offset 0x${sec.offset.toString(16)} contains ${rs.entries.length} entries:`);
    out.push(rs.rela ? `${HEADER} + Addend` : HEADER);
    for (const r of rs.entries) out.push(row(elf, rs, r));
  }
  return `${out.join('\n')}\n`;
}
