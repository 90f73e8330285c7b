/**
 * ELF reader and writer: corpus objects read as llvm-readelf sees them, written objects read
 * back identically and print without warnings, and every kind of corruption is an ElfError
 * naming the offset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as E from '../../src/elf/constants.js';
import { ElfError, readElf, writeElf, findSection } from '../../src/elf/index.js';
import { corpusNames, corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { hashMapObject, helloObject, oddSymbolsObject } from './synthetic.js';
import { run, tempFile } from './tools.js';

test('every corpus object: sections, symbols and relocation counts agree with llvm-readelf', (t) => {
  if (!need(t, { tools: ['clang', 'llvm-readelf'] })) return;
  for (const name of corpusNames()) {
    const path = corpusObject(name);
    const elf = readElf(readFileSync(path));
    const llvm = run('llvm-readelf', ['-S', '-s', '-r', path]).stdout;
    const sectionRows = [...llvm.matchAll(/^ {2}\[ *(\d+)\] (\S*)/gm)].map((m) => [Number(m[1]), m[2] === 'NULL' ? '' : m[2]]);
    assert.deepEqual(elf.sections.map((s) => [s.index, s.name]), sectionRows, name);
    const symCount = Number(/Symbol table '\.symtab' contains (\d+) entries/.exec(llvm)![1]);
    assert.equal(elf.symbols.length, symCount, name);
    const relocs = [...llvm.matchAll(/Relocation section '(.*)' at offset 0x([0-9a-f]+) contains (\d+) entries/g)];
    assert.deepEqual(elf.relocations.map((r) => [elf.sections[r.index]!.name, elf.sections[r.index]!.offset, r.entries.length]),
      relocs.map((m) => [m[1], parseInt(m[2]!, 16), Number(m[3])]), name);
    // Section data are views into the file, not copies.
    for (const s of elf.sections) if (s.data.length) assert.equal(s.data.buffer, elf.bytes.buffer);
  }
});

test('writer: locals first, sh_info = first global, links and alignment', () => {
  const bytes = writeElf({
    fileName: 'x.c',
    sections: [
      { name: '.text', flags: E.SHF_ALLOC | E.SHF_EXECINSTR, data: new Uint8Array(16) },
      { name: '.rodata', flags: E.SHF_ALLOC, data: new Uint8Array([1, 2, 3]) },
      { name: '.data', flags: E.SHF_ALLOC | E.SHF_WRITE, data: new Uint8Array(8), addralign: 8 },
      { name: '.bss', type: E.SHT_NOBITS, flags: E.SHF_ALLOC | E.SHF_WRITE, size: 64, addralign: 8 },
    ],
    symbols: [
      { name: 'f', section: '.text', type: E.STT_FUNC, size: 16 },
      { name: 'local_obj', section: '.rodata', type: E.STT_OBJECT, bind: E.STB_LOCAL, size: 3 },
      { name: 'g', section: '.data', type: E.STT_OBJECT, size: 8 },
      { name: '', section: '.bss', type: E.STT_SECTION, bind: E.STB_LOCAL },
    ],
    relocations: [{ section: '.text', offset: 0, type: E.R_BPF_64_64, symbol: 'g' }, { section: '.text', offset: 8, type: E.R_BPF_64_64, symbol: '.bss' }],
  });
  const elf = readElf(bytes);
  assert.deepEqual(elf.sections.map((s) => s.name), ['', '.strtab', '.text', '.rel.text', '.rodata', '.data', '.bss', '.symtab']);
  const symtab = elf.sections[elf.symtabIndex]!;
  assert.equal(symtab.link, 1);
  assert.deepEqual(elf.symbols.map((s) => [s.name, s.bind]), [['', 0], ['x.c', 0], ['local_obj', 0], ['', 0], ['f', 1], ['g', 1]]);
  assert.equal(symtab.info, 4, 'sh_info is the index of the first global');
  for (const s of elf.sections) if (s.addralign > 1 && s.type !== E.SHT_NOBITS) assert.equal(s.offset % s.addralign, 0, s.name);
  const rel = elf.relocations[0]!;
  assert.equal(elf.sections[rel.index]!.link, elf.symtabIndex);
  assert.equal(rel.target, 2);
  assert.deepEqual(rel.entries.map((r) => elf.symbols[r.symbol]!.name), ['g', '']);
  assert.equal(elf.symbols[rel.entries[1]!.symbol]!.shndx, 6);
  assert.deepEqual([...findSection(elf, '.rodata')!.data], [1, 2, 3]);
});

test('written objects print without warnings in llvm-readelf and llvm-objdump', (t) => {
  if (!need(t, { tools: ['llvm-readelf', 'llvm-objdump'] })) return;
  for (const bytes of [helloObject(), hashMapObject(), oddSymbolsObject()]) {
    const path = tempFile(bytes);
    const a = run('llvm-readelf', ['-a', path]);
    assert.equal(a.status, 0);
    assert.equal(a.stderr, '', path);
    const d = run('llvm-objdump', ['-d', '-r', '-t', path]);
    assert.equal(d.status, 0);
    assert.equal(d.stderr, '', path);
  }
});

/** Asserts that reading `bytes` throws an ElfError whose message matches and names an offset. */
function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => readElf(bytes), (err: unknown) => {
    assert.ok(err instanceof ElfError, `expected ElfError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.match(err.message, /offset|0x[0-9a-f]+|at /, 'the message names where');
    return true;
  });
}

function mutated(base: Uint8Array, edit: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(base);
  edit(new DataView(b.buffer), b);
  return b;
}

test('bad input: each corruption is an ElfError naming the offset', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  const good = new Uint8Array(readFileSync(corpusObject('udp_drop')));
  const elf = readElf(good);
  const shoff = elf.header.shoff;
  const sh = (i: number, field: number): number => shoff + i * 64 + field;
  const symtab = elf.sections[elf.symtabIndex]!;
  const rel = elf.relocations[0]!;
  const relSec = elf.sections[rel.index]!;

  rejects(new Uint8Array(0), /not an ELF file: bad magic at offset 0x0/);
  rejects(new TextEncoder().encode('{"name": "tsbpf"}'), /not an ELF file/);
  rejects(good.subarray(0, 40), /truncated file: the ELF header needs 64 bytes/);
  rejects(good.subarray(0, 5), /truncated/);
  rejects(mutated(good, (_v, b) => { b[4] = 1; }), /32-bit ELF file.*offset 0x4/);
  rejects(mutated(good, (_v, b) => { b[5] = 2; }), /big-endian ELF file \(ELFDATA2MSB at offset 0x5\)/);
  rejects(mutated(good, (v) => v.setUint16(18, 62, true)), /wrong machine: e_machine at offset 0x12 is 62 \(x86-64\), expected 247/);
  rejects(mutated(good, (v) => v.setUint16(52, 52, true)), /e_ehsize at offset 0x34/);
  rejects(mutated(good, (v) => v.setUint16(58, 40, true)), /e_shentsize at offset 0x3a/);
  rejects(mutated(good, (v) => v.setBigUint64(40, 0xffffffffffn, true)), /e_shoff 0xffffffffff \(at offset 0x28\) is past the end/);
  rejects(good.subarray(0, good.length - 10), /section header table .* extends past the end of the file/);
  rejects(mutated(good, (v) => v.setUint16(62, 200, true)), /e_shstrndx at offset 0x3e is 200/);
  rejects(mutated(good, (v) => v.setBigUint64(sh(3, 24), BigInt(good.length - 4), true)), /section 3: data at sh_offset .* extends past the end of the file/);
  rejects(mutated(good, (v) => v.setBigUint64(sh(3, 32), 0xffffffffffffn, true)), /section 3: .*sh_size/);
  rejects(mutated(good, (v) => v.setUint32(sh(5, 0), 0x7ffffff0, true)), /section 5: sh_name 2147483632 .* outside the section-name table/);
  rejects(mutated(good, (v) => v.setUint32(sh(1, 4), E.SHT_PROGBITS, true)), /section-name table .* expected SHT_STRTAB/);
  rejects(mutated(good, (v) => v.setBigUint64(sh(symtab.index, 56), 16n, true)), /symbol table section .*sh_entsize is 16, expected 24/);
  rejects(mutated(good, (v) => v.setUint32(sh(symtab.index, 40), 3, true)), /symbol table section .*sh_link 3 .* is not a string table/);
  rejects(mutated(good, (v) => v.setUint32(symtab.offset + 24 * 5, 0xfffff, true)), /symbol 5 \(at 0x[0-9a-f]+\): st_name: string offset 1048575 is outside the string table/);
  rejects(mutated(good, (v) => v.setUint16(symtab.offset + 24 * 5 + 6, 400, true)), /symbol 5 .*st_shndx 400 is not a section/);
  rejects(mutated(good, (v) => v.setUint32(relSec.offset + 12, 5000, true)), /REL section .*entry 0 \(at 0x[0-9a-f]+\): symbol index 5000 is beyond the 22 symbols/);
  rejects(mutated(good, (v) => v.setUint32(sh(rel.index, 44), 900, true)), /REL section .*sh_info 900 .* is not a section/);
  rejects(mutated(good, (v) => v.setBigUint64(sh(rel.index, 32), BigInt(relSec.size - 3), true)), /REL section .*not a multiple of 16/);
  // Unterminated string at the end of .strtab: overwrite its final NUL.
  const strtab = elf.sections[1]!;
  rejects(mutated(good, (_v, b) => { b[strtab.offset + strtab.size - 1] = 0x41; }), /not NUL-terminated/);
});

test('extended section numbering (e_shnum 0, count in section 0) is understood', () => {
  const bytes = helloObject();
  const elf = readElf(bytes);
  const b = new Uint8Array(bytes);
  const v = new DataView(b.buffer);
  v.setUint16(60, 0, true);
  v.setBigUint64(elf.header.shoff + 32, BigInt(elf.sections.length), true);
  const again = readElf(b);
  assert.deepEqual(again.sections.map((s) => s.name), elf.sections.map((s) => s.name));
});
