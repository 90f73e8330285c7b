/**
 * Fixture tests: each test/compiler/fixtures/codegen/NAME.bpf.ts compiles to exactly the disassembly in
 * NAME.expected (our LLVM-syntax printer, with relocations and counts). Regenerate the expected
 * files after an intended change with TSBPF_UPDATE_FIXTURES=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatInsn, slotCount } from '../../src/insn/index.js';
import { parseObject, type BpfFunction } from '../../src/object/index.js';
import { buildSource, TEST_DIR } from './helpers.js';

const DIR = join(TEST_DIR, 'fixtures', 'codegen');
const UPDATE = process.env.TSBPF_UPDATE_FIXTURES === '1';

function render(fn: BpfFunction): string[] {
  const relocAt = new Map(fn.relocations.map((r) => [r.insn, r]));
  const lines: string[] = [];
  let slot = 0;
  let total = 0;
  for (const i of fn.insns) total += slotCount(i);
  lines.push(`${fn.section}:${fn.name} (${fn.insns.length} insns, ${total} slots)`);
  for (const i of fn.insns) {
    const r = relocAt.get(slot);
    const note = r ? `  ; ${r.kind} ${'map' in r ? r.map : 'target' in r ? r.target : 'section' in r ? `${r.symbol ?? r.section}+${r.offset}` : r.name}` : '';
    lines.push(`${String(slot).padStart(5)}: ${formatInsn(i)}${note}`);
    slot += slotCount(i);
  }
  return lines;
}

export function disassemble(object: Uint8Array): string {
  const obj = parseObject(object);
  const out: string[] = [];
  for (const fn of [...obj.programs, ...obj.functions]) out.push(...render(fn), '');
  return out.join('\n');
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.bpf.ts')).sort();

test('fixtures exist', () => assert.ok(files.length >= 5));

for (const f of files) {
  test(`fixture ${f}`, () => {
    const src = readFileSync(join(DIR, f), 'utf8');
    const text = disassemble(buildSource(src, f).object);
    const expectedPath = join(DIR, f.replace(/\.bpf\.ts$/, '.expected'));
    if (UPDATE || !existsSync(expectedPath)) {
      if (!UPDATE) assert.fail(`${expectedPath} is missing: run with TSBPF_UPDATE_FIXTURES=1 to create it`);
      writeFileSync(expectedPath, text);
      return;
    }
    assert.equal(text, readFileSync(expectedPath, 'utf8'));
  });
}
