/** Helpers shared by the elf/btf/object/readelf tests: temp files, LLVM tools, synthetic objects. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileC } from '../helpers/corpus.js';

let counter = 0;
const DIR = join(tmpdir(), `tsbpf-elf-tests-${process.pid}`);
process.once('exit', () => rmSync(DIR, { recursive: true, force: true }));

/** Writes bytes to a fresh temp file (removed when the process exits) and returns its path. */
export function tempFile(bytes: Uint8Array, name = 'obj'): string {
  mkdirSync(DIR, { recursive: true });
  const p = join(DIR, `${name}-${++counter}.o`);
  writeFileSync(p, bytes);
  return p;
}

export function run(cmd: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
}

/** The BTF fixture with every kind clang 14 emits (decl/type tags, bitfields, fwd, float, enum, union). */
export function kindsObject(): string {
  return compileC(fileURLToPath(new URL('../../../test/btf/fixtures/kinds.bpf.c', import.meta.url)));
}

/** First line-by-line difference of two texts, or undefined when equal. */
export function firstDiff(a: string, b: string): string | undefined {
  const x = a.split('\n'), y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}:\n  expected ${JSON.stringify(x[i])}\n  actual   ${JSON.stringify(y[i])}`;
  }
  return undefined;
}
