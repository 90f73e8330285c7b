/**
 * Layers import one way (docs/architecture.md): a file may import only from its own layer or
 * from layers with a lower rank. The object model and everything below it make no syscalls, so
 * they must not reach src/sys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** Rank of each top-level folder (or file) under src/. Same rank = same layer. */
export const RANKS: Record<string, number> = {
  'errors.ts': 0,
  abi: 1,
  insn: 2,
  elf: 3,
  btf: 3,
  object: 4,
  inspect: 5,
  sys: 6,
  loader: 7,
  attach: 7,
  maps: 7,
  log: 7,
  trace: 7,
  compiler: 8,
  kernel: 9,
  cli: 10,
  'index.ts': 10,
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : n.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): string {
  return relative(SRC, file).split('/')[0]!;
}

test('every src file belongs to a known layer', () => {
  const unknown = walk(SRC).map(layerOf).filter((l) => !(l in RANKS));
  assert.deepEqual([...new Set(unknown)], [], 'add new folders to RANKS and to docs/architecture.md');
});

test('imports point only to the same or lower layers', () => {
  const bad: string[] = [];
  for (const file of walk(SRC)) {
    const from = layerOf(file);
    const text = readFileSync(file, 'utf8');
    // Static imports/exports and dynamic import() of relative paths.
    const re = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
    for (const m of text.matchAll(re)) {
      const target = resolve(dirname(file), m[1]!);
      const to = layerOf(target.replace(/\.js$/, '.ts'));
      if (!(to in RANKS)) continue;
      if (RANKS[to]! > RANKS[from]!) bad.push(`${relative(SRC, file)} imports ${m[1]} (${from} → ${to})`);
    }
  }
  assert.deepEqual(bad, []);
});
