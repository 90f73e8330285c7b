/**
 * llvm-objdump 14 as an oracle for the instruction tests: its instruction lines (index, raw
 * bytes, text) and the closed list of encodings where our text knowingly differs from it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryDecodeAt, type Insn } from '../../src/insn/index.js';

export interface LlvmLine {
  section: string;
  index: number;
  bytes: Uint8Array;
  /** Instruction text without a jump's trailing ` <label>`. */
  text: string;
}

/** Every instruction line of `llvm-objdump -d FILE`. */
export function llvmInsnLines(file: string): LlvmLine[] {
  const r = spawnSync('llvm-objdump', ['-d', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`llvm-objdump -d ${file} failed: ${r.stderr}`);
  const out: LlvmLine[] = [];
  let section = '';
  for (const line of r.stdout.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) { section = sec[1]!; continue; }
    const m = /^ *(\d+):\t((?:[0-9a-f]{2} )*[0-9a-f]{2})\t(.*)$/.exec(line);
    if (!m) continue;
    const bytes = Uint8Array.from(m[2]!.split(' ').map((h) => parseInt(h, 16)));
    out.push({ section, index: Number(m[1]), bytes, text: m[3]!.replace(/ <[^<>]*>$/, '') });
  }
  return out;
}

/** Assembles raw 8-byte slots into an object with llvm-mc and returns its llvm-objdump lines. */
export function llvmDisasmRaw(program: Uint8Array): LlvmLine[] {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-llvm-mc-'));
  try {
    const src = join(dir, 'raw.s');
    const obj = join(dir, 'raw.o');
    const bytes = [...program].map((b) => `0x${b.toString(16)}`);
    const lines: string[] = ['\t.text', '\t.globl f', 'f:'];
    for (let i = 0; i < bytes.length; i += 8) lines.push(`\t.byte ${bytes.slice(i, i + 8).join(', ')}`);
    writeFileSync(src, `${lines.join('\n')}\n`);
    const r = spawnSync('llvm-mc', ['-triple', 'bpfel', '-filetype=obj', src, '-o', obj], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`llvm-mc failed: ${r.stderr}`);
    return llvmInsnLines(obj);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Why our text may differ from llvm-objdump 14's for this instruction, or null when it must not.
 * `clangOnly` restricts the list to what clang 14 itself emits (-mcpu=v1..v3): the 32-bit
 * atomics that llvm-objdump 14 cannot decode (`<unknown>`) or decodes as `lock +=`.
 */
export function knownLlvm14Gap(insn: Insn, llvmText: string, clangOnly: boolean): string | null {
  const unknown = llvmText === '<unknown>';
  if (insn.kind === 'atomic' && insn.size === 'u32' && insn.op !== 'add' && insn.op !== 'load_acquire' && insn.op !== 'store_release') {
    if (unknown) return 'llvm-objdump 14 does not decode 32-bit atomics other than lock add';
    if (insn.op === 'fetch_add' && /^lock \*\(u32 \*\)\(r\d+ [+-] \d+\) \+= r\d+$/.test(llvmText)) {
      return 'llvm-objdump 14 misreads a 32-bit atomic_fetch_add as lock add';
    }
  }
  if (clangOnly) return null;
  switch (insn.kind) {
    case 'alu':
      if ((insn.op === 'mod' || insn.op === 'smod') && unknown) return 'LLVM 14 has no BPF mod instruction';
      if (insn.op === 'sdiv' && llvmText.includes(' /= ')) return 'LLVM 14 ignores off=1 (sdiv) and prints div';
      return null;
    case 'jmp':
      return insn.op === 'set' && unknown ? 'LLVM 14 has no BPF jset instruction' : null;
    case 'st':
      return unknown ? 'LLVM 14 does not decode BPF_ST' : null;
    case 'ldx':
      return insn.size.startsWith('s') && unknown ? 'LLVM 14 has no sign-extending loads (ISA v4)' : null;
    case 'endian':
      return insn.order === 'swap' && unknown ? 'LLVM 14 has no bswap (ISA v4)' : null;
    case 'movsx':
      return /^[rw]\d+ = [rw]\d+$/.test(llvmText) ? 'LLVM 14 ignores off (movsx, ISA v4) and prints mov' : null;
    case 'addr_space_cast':
      return /^r\d+ = r\d+$/.test(llvmText) ? 'LLVM 14 ignores off=1 (addr_space_cast) and prints mov' : null;
    case 'gotol': case 'may_goto':
      return unknown ? `LLVM 14 has no ${insn.kind}` : null;
    case 'atomic':
      if (insn.op === 'load_acquire' || insn.op === 'store_release') {
        return unknown || llvmText.startsWith('lock ') ? `LLVM 14 has no ${insn.op} (it ignores imm bits above 0xff)` : null;
      }
      return null;
    case 'ldind':
      return insn.imm !== 0 ? 'LLVM 14 leaves the immediate of an indirect packet load out' : null;
    default:
      return null;
  }
}

// ---------------------------------------------------------------- whole llvm-objdump outputs

/** llvm-objdump's stdout for `args FILE`. */
export function llvmObjdump(file: string, args: string[]): string {
  const r = spawnSync('llvm-objdump', [...args, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`llvm-objdump ${args.join(' ')} ${file}: ${r.stderr}`);
  return r.stdout;
}

const INSN_LINE = /^ *\d+:\t((?:[0-9a-f]{2} )*[0-9a-f]{2}\t)?(.*)$/;

/**
 * Lines that differ between LLVM's output and ours, after removing our trailing `; …` comments
 * (when `extras`) and accepting the documented LLVM 14 gaps (the raw bytes come from our line
 * when shown, else from the same line of the raw-bytes run).
 */
export function compareOutputs(llvm: string, ours: string, extras: boolean, rawOf?: (i: number) => Uint8Array | undefined): { diffs: string[]; gaps: number } {
  const a = llvm.split('\n');
  const b = ours.split('\n');
  const diffs: string[] = [];
  let gaps = 0;
  if (a.length !== b.length) diffs.push(`line count: llvm ${a.length}, ours ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    let mine = b[i]!;
    if (extras && INSN_LINE.test(mine)) mine = mine.replace(/ ; [^;]*$/, '');
    if (mine === a[i]) continue;
    const ma = INSN_LINE.exec(a[i]!);
    const mb = INSN_LINE.exec(mine);
    const bytes = mb?.[1] ? Uint8Array.from(mb[1].trim().split(' ').map((h) => parseInt(h, 16))) : rawOf?.(i);
    if (ma && mb && bytes) {
      const r = tryDecodeAt(bytes, 0);
      const llvmText = ma[2]!.replace(/ <[^<>]*>$/, '');
      if (r.ok && knownLlvm14Gap(r.insn, llvmText, true)) { gaps++; continue; }
    }
    diffs.push(`line ${i + 1}: llvm ${JSON.stringify(a[i])} ours ${JSON.stringify(b[i])}`);
  }
  return { diffs, gaps };
}

export function rawBytesByLine(text: string): (i: number) => Uint8Array | undefined {
  const lines = text.split('\n');
  return (i) => {
    const m = INSN_LINE.exec(lines[i] ?? '');
    return m?.[1] ? Uint8Array.from(m[1].trim().split(' ').map((h) => parseInt(h, 16))) : undefined;
  };
}

