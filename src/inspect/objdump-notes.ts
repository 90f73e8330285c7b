/**
 * What `tsbpf objdump` adds to llvm-objdump's text: helper names on helper calls, the targets
 * of relocated `ll` loads and calls (maps, globals, functions, externs), and source lines from
 * .BTF.ext line_info for `-S`.
 */
import { helperById } from '../abi/index.js';
import { parseBtf, parseBtfExt } from '../btf/index.js';
import * as E from '../elf/constants.js';
import { findSection } from '../elf/index.js';
import type { ElfFile, ElfRelocation, ElfSection, ElfSymbol } from '../elf/types.js';
import type { Insn } from '../insn/index.js';

/** A line_info record: `key` (file:line) decides when the line changes, `text` is printed. */
export interface SourceLine { key: string; text: string }

export interface NotesOptions {
  helpers: boolean;
  relocations: boolean;
  source: boolean;
}

/** Sections holding map definitions (BTF-style `.maps`, legacy `maps`/`maps/*`). */
const isMapSection = (name: string): boolean => name === '.maps' || name === 'maps' || name.startsWith('maps/');

export class ObjdumpNotes {
  readonly warnings: string[] = [];
  private readonly relocs = new Map<number, Map<number, ElfRelocation>>();
  private readonly lines = new Map<string, Map<number, SourceLine>>();
  /** Named symbols by `shndx:value`, FUNC symbols first (built on first use). */
  private byAddr: Map<string, string> | undefined;

  constructor(private readonly elf: ElfFile, private readonly opts: NotesOptions) {
    if (opts.relocations) {
      for (const rs of elf.relocations) {
        const byOff = this.relocs.get(rs.target) ?? new Map<number, ElfRelocation>();
        for (const r of rs.entries) byOff.set(r.offset, r);
        this.relocs.set(rs.target, byOff);
      }
    }
    if (opts.source) this.readLineInfo();
  }

  /** Source lines by byte offset for a section, when line info is present. */
  sourceLines(section: string): Map<number, SourceLine> | undefined {
    return this.lines.get(section);
  }

  /** The trailing comment for the instruction at byte offset `at` of `sec`, if any. */
  comment(sec: ElfSection, at: number, insn: Insn): string | undefined {
    if (insn.kind === 'call' && insn.target === 'helper' && this.opts.helpers) {
      return helperById(insn.imm)?.cName;
    }
    if (!this.opts.relocations) return undefined;
    const rel = this.relocs.get(sec.index)?.get(at);
    if (insn.kind === 'call' && insn.target === 'func') {
      if (rel) return this.callTarget(rel, insn.imm);
      // Already resolved (no relocation): imm is relative to the next instruction.
      return this.symbolAt(sec.index, at + (insn.imm + 1) * 8);
    }
    if (insn.kind === 'lddw' && rel) return this.loadTarget(rel, insn.imm);
    return undefined;
  }

  private symbol(rel: ElfRelocation): ElfSymbol | undefined {
    return this.elf.symbols[rel.symbol];
  }

  private callTarget(rel: ElfRelocation, imm: number): string | undefined {
    const sym = this.symbol(rel);
    if (!sym) return undefined;
    if (sym.shndx === E.SHN_UNDEF) return `kfunc ${sym.name}`;
    if (sym.type === E.STT_SECTION) {
      // clang's convention: target = section offset (imm + 1) * 8.
      const off = sym.value + (imm + 1) * 8;
      return this.symbolAt(sym.shndx, off) ?? `${this.sectionName(sym.shndx)}+0x${off.toString(16)}`;
    }
    return sym.name || undefined;
  }

  private loadTarget(rel: ElfRelocation, imm: bigint): string | undefined {
    const sym = this.symbol(rel);
    if (!sym) return undefined;
    const off = Number(BigInt.asIntN(32, imm));
    if (sym.shndx === E.SHN_UNDEF) return `extern ${sym.name}`;
    const inSection = this.sectionName(sym.shndx);
    if (sym.type === E.STT_SECTION) {
      const sec = this.elf.sections[sym.shndx];
      if (sec && sec.flags & E.SHF_EXECINSTR) {
        const fn = this.symbolAt(sym.shndx, sym.value + off);
        if (fn) return `func ${fn}`;
      }
      return off === 0 ? inSection : `${inSection}+0x${off.toString(16)}`;
    }
    if (inSection !== undefined && isMapSection(inSection)) return `map ${sym.name}`;
    if (sym.type === E.STT_FUNC) return `func ${sym.name}`;
    return off === 0 ? sym.name : `${sym.name}+0x${off.toString(16)}`;
  }

  private sectionName(index: number): string | undefined {
    return this.elf.sections[index]?.name;
  }

  /** A named symbol at exactly this offset of a section, FUNC symbols preferred. */
  private symbolAt(shndx: number, off: number): string | undefined {
    if (!this.byAddr) {
      this.byAddr = new Map();
      const named = this.elf.symbols.filter((s) => s.name !== '' && s.type !== E.STT_SECTION && s.index !== 0);
      for (const s of named) if (s.type === E.STT_FUNC && !this.byAddr.has(`${s.shndx}:${s.value}`)) this.byAddr.set(`${s.shndx}:${s.value}`, s.name);
      for (const s of named) if (!this.byAddr.has(`${s.shndx}:${s.value}`)) this.byAddr.set(`${s.shndx}:${s.value}`, s.name);
    }
    return this.byAddr.get(`${shndx}:${off}`);
  }

  private readLineInfo(): void {
    const btfSec = findSection(this.elf, '.BTF');
    const extSec = findSection(this.elf, '.BTF.ext');
    if (!btfSec || !extSec) {
      this.warnings.push('no .BTF/.BTF.ext line info in this object; -S shows no source lines');
      return;
    }
    try {
      const btf = parseBtf(btfSec.data, { section: '.BTF', fileOffset: btfSec.offset });
      const ext = parseBtfExt(extSec.data, btf, { section: '.BTF.ext', fileOffset: extSec.offset });
      for (const s of ext.lineInfo) {
        const m = this.lines.get(s.section) ?? new Map<number, SourceLine>();
        for (const r of s.records) if (!m.has(r.insnOff)) m.set(r.insnOff, { key: `${r.fileName}:${r.lineNum}`, text: r.line });
        this.lines.set(s.section, m);
      }
    } catch (e) {
      this.warnings.push(`cannot read line info: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
