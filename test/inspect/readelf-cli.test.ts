/**
 * `tsbpf readelf` on the command line: output as llvm-readelf's, and bad input (truncated,
 * non-ELF, wrong machine, out-of-bounds offsets, bad string index, relocation to a missing
 * symbol, malformed BTF) gives exactly one line `tsbpf readelf: error: …` naming the offset and
 * exit code 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readElf, findSection } from '../../src/elf/index.js';
import { corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { run, tempFile } from '../elf/tools.js';

const BIN = fileURLToPath(new URL('../../../bin/tsbpf.js', import.meta.url));

function tsbpf(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('tsbpf readelf --sections / -S prints what llvm-readelf prints', (t) => {
  if (!need(t, { tools: ['clang', 'llvm-readelf'] })) return;
  const path = corpusObject('hello');
  const expected = run('llvm-readelf', ['--sections', path]).stdout;
  for (const flag of ['--sections', '-S']) {
    const r = tsbpf(['readelf', flag, path]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, expected);
  }
  const two = tsbpf(['readelf', '-S', path, corpusObject('calls')]);
  assert.equal(two.stdout, run('llvm-readelf', ['-S', path, corpusObject('calls')]).stdout);
});

test('bad input: one error line naming the offset, exit code 1', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  const good = new Uint8Array(readFileSync(corpusObject('udp_drop')));
  const elf = readElf(good);
  const edit = (f: (v: DataView, b: Uint8Array) => void): Uint8Array => {
    const b = new Uint8Array(good);
    f(new DataView(b.buffer), b);
    return b;
  };
  const symtab = elf.sections[elf.symtabIndex]!;
  const relSec = elf.sections[elf.relocations[0]!.index]!;
  const btf = findSection(elf, '.BTF')!;
  const cases: [string, Uint8Array, string[], RegExp][] = [
    ['truncated', good.subarray(0, 50), ['-S'], /truncated file: the ELF header needs 64 bytes but the file has 50 \(offset 0x32\)/],
    ['truncated-tables', good.subarray(0, good.length - 100), ['-S'], /section header table at offset 0x[0-9a-f]+ \(e_shoff, 29 entries\) extends past the end of the file/],
    ['not-elf', new TextEncoder().encode('#!/bin/sh\necho hello\n'), ['-S'], /not an ELF file: bad magic at offset 0x0/],
    ['wrong-machine', edit((v) => v.setUint16(18, 183, true)), ['-S'], /wrong machine: e_machine at offset 0x12 is 183 \(AArch64\)/],
    ['big-endian', edit((_v, b) => { b[5] = 2; }), ['-S'], /big-endian ELF file \(ELFDATA2MSB at offset 0x5\)/],
    ['oob-offset', edit((v) => v.setBigUint64(elf.header.shoff + 5 * 64 + 24, 0x10000000n, true)), ['-S'], /section 5: data at sh_offset 0x10000000 .* extends past the end of the file/],
    ['bad-string', edit((v) => v.setUint32(symtab.offset + 24 * 3, 0x00ffffff, true)), ['-s'], /symbol 3 \(at 0x[0-9a-f]+\): st_name: string offset 16777215 is outside the string table/],
    ['missing-symbol', edit((v) => v.setUint32(relSec.offset + 16 * 2 + 12, 999, true)), ['-r'], /entry 2 \(at 0x[0-9a-f]+\): symbol index 999 is beyond the 22 symbols/],
    ['bad-btf', edit((v) => v.setUint32(btf.offset + 12, 0x7fffffff, true)), ['--btf'], /\.BTF\+0x8 \(file offset 0x[0-9a-f]+\): type section .* extends past the end of the BTF data/],
    ['bad-btf-type', edit((v) => v.setUint32(btf.offset + 24 + 4, 30 << 24, true)), ['--btf'], /\.BTF\+0x1c \(file offset 0x[0-9a-f]+\): type \[1\] has unknown kind 30/],
  ];
  for (const [name, bytes, flags, pattern] of cases) {
    const path = tempFile(bytes, `bad-${name}`);
    const r = tsbpf(['readelf', ...flags, path]);
    assert.equal(r.status, 1, `${name}: exit code`);
    assert.equal(r.stdout, '', name);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `${name}: one line, got ${JSON.stringify(r.stderr)}`);
    assert.ok(lines[0]!.startsWith(`tsbpf readelf: error: ${path}: `), `${name}: ${lines[0]}`);
    assert.match(lines[0]!, pattern, name);
    assert.match(lines[0]!, /offset|at 0x/, `${name} names the offset`);
  }
  const missing = tsbpf(['readelf', '-S', '/nonexistent/file.o']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^tsbpf readelf: error: \/nonexistent\/file.o: cannot read the file \(no such file\)\n$/);
});
