/**
 * Diagnostic tests: each test/compiler/fixtures/diagnostics/NAME.bpf.ts must fail to compile with exactly
 * the diagnostics in NAME.errors (`file:line:col: error TSBPFnnn: message` + hint lines), all of
 * them at once, without a crash. Regenerate with TSBPF_UPDATE_FIXTURES=1. Every code of the table
 * except INTERNAL must appear in at least one file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../src/compiler/compile.js';
import { DIAG, formatDiagnostic } from '../../src/compiler/diagnostics.js';
import { TEST_DIR } from './helpers.js';

const DIR = join(TEST_DIR, 'fixtures', 'diagnostics');
const UPDATE = process.env.TSBPF_UPDATE_FIXTURES === '1';
const files = readdirSync(DIR).filter((f) => f.endsWith('.bpf.ts')).sort();
const seen = new Set<number>();

for (const f of files) {
  test(`diagnostics ${f}`, () => {
    const r = compile(readFileSync(join(DIR, f), 'utf8'), { file: f });
    assert.equal(r.object, undefined, 'must not compile');
    assert.ok(r.diagnostics.length > 0);
    for (const d of r.diagnostics) seen.add(d.code);
    assert.ok(!r.diagnostics.some((d) => d.kind === 'INTERNAL'), `internal error: ${r.diagnostics.map(formatDiagnostic).join('\n')}`);
    const text = r.diagnostics.map(formatDiagnostic).join('\n') + '\n';
    const expectedPath = join(DIR, f.replace(/\.bpf\.ts$/, '.errors'));
    if (UPDATE || !existsSync(expectedPath)) {
      if (!UPDATE) assert.fail(`${expectedPath} is missing: run with TSBPF_UPDATE_FIXTURES=1 to create it`);
      writeFileSync(expectedPath, text);
      return;
    }
    assert.equal(text, readFileSync(expectedPath, 'utf8'));
  });
}

test('every diagnostic code is exercised by a diagnostics fixture', () => {
  const missing = Object.entries(DIAG).filter(([k, v]) => k !== 'INTERNAL' && !seen.has(v.code)).map(([k, v]) => `${k} (${v.code})`);
  assert.deepEqual(missing, []);
});
