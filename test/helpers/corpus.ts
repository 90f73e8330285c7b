/**
 * The clang-built test corpus (test/corpus/*.bpf.c): compiled at test time with
 * `clang -O2 -g -target bpf`, once per source content, into a cache under the OS temp dir.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = fileURLToPath(new URL('../../../test/corpus/', import.meta.url));

export const CLANG_FLAGS = ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu'];

/** Names of the corpus programs (file stems without .bpf.c). */
export function corpusNames(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.bpf.c'))
    .map((f) => f.slice(0, -'.bpf.c'.length))
    .sort();
}

/** Compiles any C file for BPF into the cache and returns the object's path. */
export function compileC(source: string, extraFlags: string[] = []): string {
  const text = readFileSync(source);
  const key = createHash('sha256').update(text).update(extraFlags.join(' ')).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'tsbpf-corpus');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${key}.o`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('clang', [...CLANG_FLAGS, ...extraFlags, '-c', source, '-o', tmp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`clang failed on ${source}: ${r.stderr}`);
  renameSync(tmp, out);
  return out;
}

/** Path of the clang-built object for corpus program `name`. */
export function corpusObject(name: string): string {
  return compileC(join(CORPUS_DIR, `${name}.bpf.c`));
}
