/**
 * `objdump -d`: disassembly of a BPF ELF object laid out exactly as llvm-objdump 14 prints it —
 * the same sections, symbol headers, instruction lines, jump-target labels, zero-run `...` and
 * data dumps — plus, unless `llvm` is set, trailing `; …` comments LLVM lacks (helper names,
 * relocation targets) and, with `source`, `; line` comments from .BTF.ext line_info.
 *
 * The rules, observed on llvm-objdump 14 (test/inspect/objdump*.test.ts):
 * - without `sections`, every non-empty SHF_EXECINSTR section that is not SHT_NOBITS;
 * - labels are the symbols of the section with a non-empty name, sorted by (address, name,
 *   type); of several at one address only the last is printed; with none at offset 0 the
 *   section's name stands in;
 * - each label's range runs to the next label (or the section end); instructions are decoded
 *   from the bytes up to the section end, so one may run past the range;
 * - the instruction column is the byte address / 8; a jump's target is shown as
 *   `<label>` or `<label+0xN>`, the last label at or before it (64-bit wrap-around included);
 * - 8 or more zero bytes at an instruction start (within the range) print as `\t\t...` and are
 *   skipped in multiples of 4; an OBJECT label in an executable section is dumped as data;
 * - SHT_NOBITS sections print `...` under each label.
 */
import { readElf } from '../elf/index.js';
import * as E from '../elf/constants.js';
import type { ElfFile, ElfSection } from '../elf/types.js';
import { formatInsn, tryDecodeAt, type Insn } from '../insn/index.js';
import { ObjdumpNotes } from './objdump-notes.js';

export interface ObjdumpOptions {
  /** Name shown in the header line (the path as given). */
  fileName: string;
  /** Print the raw instruction bytes (llvm-objdump's default; `--no-show-raw-insn` turns it off). */
  rawBytes?: boolean;
  /** Interleave source lines from .BTF.ext line_info as `; text` lines (`-S`). */
  source?: boolean;
  /** Only these sections (any type, as llvm-objdump's `-j`). */
  sections?: string[];
  /** Exact llvm-objdump output: no trailing `; …` comments. */
  llvm?: boolean;
}

export interface ObjdumpResult {
  text: string;
  /** Problems worth a line on stderr (missing sections, unreadable line info). */
  warnings: string[];
}

interface Label { addr: number; name: string; type: number }

/** Disassembles an object held in memory. Throws ElfError for malformed ELF input. */
export function objdump(bytes: Uint8Array, opts: ObjdumpOptions): ObjdumpResult {
  const elf = readElf(bytes);
  const out: string[] = [`\n${opts.fileName}:\tfile format elf64-bpf\n`];
  const warnings: string[] = [];
  const notes = new ObjdumpNotes(elf, { helpers: !opts.llvm, relocations: !opts.llvm, source: !!opts.source });
  warnings.push(...notes.warnings);
  const wanted = opts.sections?.length ? new Set(opts.sections) : undefined;
  const seen = new Set<string>();
  for (const sec of elf.sections) {
    if (sec.index === 0) continue;
    if (wanted) {
      if (!wanted.has(sec.name)) continue;
      seen.add(sec.name);
    } else if (!(sec.flags & E.SHF_EXECINSTR) || sec.type === E.SHT_NOBITS) {
      continue;
    }
    if (sec.size === 0) continue;
    out.push(`\nDisassembly of section ${sec.name}:\n`);
    disassembleSection(elf, sec, opts, notes, out);
  }
  for (const name of opts.sections ?? []) {
    if (!seen.has(name)) warnings.push(`section '${name}' mentioned in a -j/--section option, but not found in any input file`);
  }
  return { text: out.join(''), warnings };
}

/** The section's labels in llvm-objdump's order, with the section-name stand-in at 0 when needed. */
function labelsOf(elf: ElfFile, sec: ElfSection): Label[] {
  const labels: Label[] = [];
  for (const s of elf.symbols) {
    if (s.index === 0 || s.name === '' || s.shndx !== sec.index) continue;
    labels.push({ addr: s.value, name: s.name, type: s.type });
  }
  labels.sort((a, b) => a.addr - b.addr || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || a.type - b.type);
  if (labels.length === 0 || labels[0]!.addr !== 0) {
    labels.unshift({ addr: 0, name: sec.name, type: sec.flags & E.SHF_EXECINSTR ? E.STT_FUNC : E.STT_OBJECT });
  }
  return labels;
}

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

function disassembleSection(elf: ElfFile, sec: ElfSection, opts: ObjdumpOptions, notes: ObjdumpNotes, out: string[]): void {
  const labels = labelsOf(elf, sec);
  const isText = (sec.flags & E.SHF_EXECINSTR) !== 0;
  const virtual = sec.type === E.SHT_NOBITS;
  const bytes = sec.data;
  const size = sec.size;
  const raw = opts.rawBytes !== false;
  const lines = notes.sourceLines(sec.name);
  for (let li = 0; li < labels.length; li++) {
    const label = labels[li]!;
    const start = label.addr;
    const end = Math.min(size, li + 1 < labels.length ? labels[li + 1]!.addr : size);
    if (start >= end) continue;
    out.push(`\n${hex16(start)} <${label.name}>:\n`);
    if (virtual) {
      out.push('...\n');
      continue;
    }
    let lastSource: string | undefined;
    for (let at = start; at < end;) {
      if (isText && (label.type === E.STT_OBJECT || label.type === E.STT_COMMON)) {
        dumpData(bytes, at, end, out);
        break;
      }
      const zeros = zeroRun(bytes, at, end);
      if (zeros >= 8) {
        out.push('\t\t...\n');
        at += zeros & ~3;
        continue;
      }
      const src = lines?.get(at);
      if (src !== undefined && src.key !== lastSource) {
        out.push(`; ${src.text}\n`);
        lastSource = src.key;
      }
      const r = tryDecodeAt(bytes, at);
      const index = `${Math.floor(at / 8)}`.padStart(8);
      const shown = bytes.subarray(at, at + r.size);
      const rawText = raw ? `${Array.from(shown, (b) => b.toString(16).padStart(2, '0')).join(' ')}\t` : '';
      let text = r.ok ? formatInsn(r.insn) + target(r.insn, at, labels) : '<unknown>';
      if (r.ok) {
        const note = notes.comment(sec, at, r.insn);
        if (note) text += ` ; ${note}`;
      }
      out.push(`${index}:\t${rawText}${text}\n`);
      at += r.size;
    }
  }
}

function zeroRun(bytes: Uint8Array, at: number, end: number): number {
  let n = 0;
  while (at + n < end && bytes[at + n] === 0) n++;
  return n;
}

/** ` <label>` / ` <label+0xN>` for jumps: the last label at or before the target (addresses are u64). */
function target(insn: Insn, at: number, labels: Label[]): string {
  let off: number;
  if (insn.kind === 'jmp' || insn.kind === 'ja' || insn.kind === 'gotol' || insn.kind === 'may_goto') off = insn.off;
  else return '';
  const dest = BigInt.asUintN(64, BigInt(at) + 8n + BigInt(off) * 8n);
  // Binary search for the last label at or before `dest` (labels are sorted by address).
  let lo = 0;
  let hi = labels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (BigInt(labels[mid]!.addr) <= dest) lo = mid + 1;
    else hi = mid;
  }
  const best = lo > 0 ? labels[lo - 1] : undefined;
  if (!best) return '';
  const disp = dest - BigInt(best.addr);
  return disp === 0n ? ` <${best.name}>` : ` <${best.name}+0x${disp.toString(16)}>`;
}

/** llvm-objdump's dump of data inside an executable section: 8 bytes a line, hex then ASCII. */
function dumpData(bytes: Uint8Array, from: number, end: number, out: string[]): void {
  for (let at = from; at < end; at += 8) {
    const chunk = bytes.subarray(at, Math.min(at + 8, end));
    const hexes = Array.from(chunk, (b) => ` ${b.toString(16).padStart(2, '0')}`).join('');
    const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${at.toString(16).padStart(8)}:${hexes}${' '.repeat(3 * (8 - chunk.length))}         ${ascii}\n`);
  }
}
