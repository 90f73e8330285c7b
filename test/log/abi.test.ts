/**
 * The log ABI without the kernel: format strings, argument kinds per TypeScript type and hint,
 * record layout (naturally aligned, no holes), the `.tsbpf.log` table (validation names the
 * field, encode → parse round trip) and appending it to an emitted object (our reader, parseObject
 * and llvm-readelf all read the result).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readElf } from '../../src/elf/index.js';
import { parseObject, ObjectError } from '../../src/object/index.js';
import {
  LOG_KINDS, LOG_META_SECTION, addLogMeta, argKindFor, encodeLogMeta, layoutRecord, parseFormat, parseLogMeta, readLogMeta,
  validateLogMeta, LogFormatError, type LogKind, type LogMeta,
} from '../../src/log/abi.js';
import { TsbpfError } from '../../src/errors.js';
import { findTool } from '../helpers/env.js';
import { run, tempFile } from '../elf/tools.js';
import { buildLogObject } from './producer.js';

test('parseFormat: pieces, hints, escaped braces; errors name the column', () => {
  assert.deepEqual(parseFormat('received a packet'), { text: ['received a packet'], holes: [] });
  assert.deepEqual(parseFormat('src {:ip} mac {:mac} port {} {:x}{:X}'), { text: ['src ', ' mac ', ' port ', ' ', '', ''], holes: ['ip', 'mac', '', 'x', 'X'] });
  assert.deepEqual(parseFormat('{{literal}} {}'), { text: ['{literal} ', ''], holes: [''] });
  assert.deepEqual(parseFormat(''), { text: [''], holes: [] });
  for (const [fmt, col, re] of [
    ['a {:y} b', 3, /'\{:y\}' at column 3 is not a placeholder/],
    ['a { b', 3, /'\{ b' at column 3/],
    ['x {0}', 3, /'\{0\}'/],
    ['a } b', 3, /unmatched '\}' at column 3/],
    ['{', 1, /'\{' at column 1/],
  ] as const) {
    assert.throws(() => parseFormat(fmt), (e: unknown) => e instanceof LogFormatError && e.index === col - 1 && re.test(e.message), fmt);
  }
});

test('argKindFor: TypeScript types × hints → record kinds, byte swaps, and diagnostics', () => {
  assert.deepEqual(argKindFor('u8', ''), { kind: 'u8', size: 1 });
  assert.deepEqual(argKindFor('i64', 'x'), { kind: 'i64', size: 8 });
  assert.deepEqual(argKindFor('bool', ''), { kind: 'bool', size: 1 });
  assert.deepEqual(argKindFor('be16', ''), { kind: 'u16', size: 2, swap: 16 }, 'ports print in host order');
  assert.deepEqual(argKindFor('be32', 'ip'), { kind: 'ipv4', size: 4 }, 'addresses keep network order');
  assert.deepEqual(argKindFor('be32', 'X'), { kind: 'u32', size: 4, swap: 32 });
  assert.deepEqual(argKindFor('u8[4]', 'ip'), { kind: 'ipv4', size: 4 });
  assert.deepEqual(argKindFor('u8[16]', 'ip'), { kind: 'ipv6', size: 16 });
  assert.deepEqual(argKindFor('u8[6]', 'mac'), { kind: 'mac', size: 6 });
  assert.deepEqual(argKindFor('u8[6]', ''), { kind: 'bytes', size: 6 });
  assert.deepEqual(argKindFor('char[16]', ''), { kind: 'str', size: 16 });
  assert.match(argKindFor('u32', 'ip') as string, /\{:ip\} does not apply to u32 \(use a be32/);
  assert.match(argKindFor('u8[5]', 'mac') as string, /needs 6 bytes/);
  assert.match(argKindFor('u8[8]', 'ip') as string, /needs 4 or 16 bytes/);
  assert.match(argKindFor('bool', 'x') as string, /\{:x\} does not apply to bool/);
  assert.match(argKindFor('f64', '') as string, /cannot be logged/);
  assert.match(argKindFor('u8[0]', '') as string, /cannot be logged/);
  assert.match(argKindFor('char[4]', 'ip') as string, /does not apply to text/);
});

/** Every argument naturally aligned, nothing overlapping, no byte of the record unwritten. */
function checkLayout(kinds: { kind: LogKind; size: number }[]): void {
  const l = layoutRecord(kinds);
  const written = new Uint8Array(l.size);
  written.fill(1, 0, Math.min(8, l.size)); // the u64 id store
  kinds.forEach((k, i) => {
    const off = l.offsets[i]!;
    assert.ok(off >= 4, `argument ${i} overlaps the id`);
    assert.equal(off % LOG_KINDS[k.kind].align, 0, `argument ${i} (${k.kind}) at ${off} is misaligned`);
    for (let b = off; b < off + k.size; b++) {
      assert.ok(b < 8 || written[b] === 0, `byte ${b} written twice`);
      written[b] = 1;
    }
  });
  assert.ok(written.every((b) => b === 1), `a hole in ${JSON.stringify(kinds)} → ${JSON.stringify(l)}`);
  assert.equal(l.stack, Math.max(8, Math.ceil(l.size / 8) * 8));
}

test('layoutRecord: no holes, natural alignment, for every mix of kinds', () => {
  assert.deepEqual(layoutRecord([]), { offsets: [], size: 4, stack: 8 });
  assert.deepEqual(layoutRecord([{ kind: 'u32', size: 4 }]), { offsets: [4], size: 8, stack: 8 });
  assert.deepEqual(layoutRecord([{ kind: 'u64', size: 8 }]), { offsets: [8], size: 16, stack: 16 }, '4..8 zeroed by the id store');
  assert.deepEqual(layoutRecord([{ kind: 'u8', size: 1 }, { kind: 'u64', size: 8 }, { kind: 'ipv4', size: 4 }]), { offsets: [16, 8, 4], size: 17, stack: 24 });
  const all = Object.keys(LOG_KINDS) as LogKind[];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  for (let i = 0; i < 2000; i++) {
    const kinds = Array.from({ length: rnd(7) }, () => {
      const kind = all[rnd(all.length)]!;
      return { kind, size: LOG_KINDS[kind].size || 1 + rnd(20) };
    });
    checkLayout(kinds);
  }
  assert.throws(() => layoutRecord(Array.from({ length: 40 }, () => ({ kind: 'u64' as const, size: 8 }))), /needs 328 bytes; at most 256/);
});

const sample = (): LogMeta => ({
  version: 1, ringbuf: 'tsbpf_logs', levels: 'tsbpf_log_levels', lost: 'tsbpf_log_lost', targets: ['hello_world'],
  sites: [
    { id: 0, level: 'info', target: 0, file: 'hello.bpf.ts', line: 7, column: 3, size: 4, text: ['received a packet'], args: [] },
    { id: 1, level: 'warn', target: 0, file: 'hello.bpf.ts', line: 9, column: 3, size: 14, text: ['src ', ' port ', ''], args: [
      { kind: 'ipv4', hint: 'ip', offset: 4, size: 4 }, { kind: 'u16', hint: '', offset: 12, size: 2 }] },
  ],
});

test('the .tsbpf.log table: round trip, and every inconsistency is an ObjectError naming the field', () => {
  const m = sample();
  assert.deepEqual(parseLogMeta(encodeLogMeta(m)), m);
  const bad: [string, (m: any) => void, RegExp][] = [
    ['version', (x) => (x.version = 2), /version 2 is not supported .*newer tsbpf/],
    ['ringbuf', (x) => (x.ringbuf = 'a b'), /ringbuf: "a b" is not a symbol name/],
    ['targets', (x) => (x.targets = []), /targets: must be a list of 1 to 4096/],
    ['dup target', (x) => x.targets.push('hello_world'), /targets: has duplicates/],
    ['dup id', (x) => (x.sites[1].id = 0), /sites\[1\]\.id: 0 is used by two sites/],
    ['id range', (x) => (x.sites[0].id = 2 ** 31), /sites\[0\]\.id: 2147483648 is not an integer/],
    ['level', (x) => (x.sites[0].level = 'loud'), /sites\[0\]\.level: "loud" is not one of error/],
    ['target', (x) => (x.sites[0].target = 1), /sites\[0\]\.target: 1 is not an index into targets \(0\.\.0\)/],
    ['size', (x) => (x.sites[0].size = 3), /sites\[0\]\.size: 3 is not a record size in 4\.\.256/],
    ['text count', (x) => x.sites[1].text.pop(), /sites\[1\]\.text: must be 3 strings/],
    ['kind', (x) => (x.sites[1].args[0].kind = 'f32'), /sites\[1\]\.args\[0\]\.kind: "f32" is not one of/],
    ['hint', (x) => (x.sites[1].args[1].hint = 'mac'), /sites\[1\]\.args\[1\]: a u16 argument does not take the hint \{:mac\}/],
    ['arg size', (x) => (x.sites[1].args[1].size = 4), /args\[1\]\.size: 4 is not 2 \(the size of u16\)/],
    ['align', (x) => (x.sites[1].args[1].offset = 13), /args\[1\]\.offset: 13 is not a multiple of 2/],
    ['outside', (x) => (x.sites[1].args[1].offset = 14), /args\[1\]: bytes 14\.\.16 are outside the 14-byte record/],
    ['overlap id', (x) => (x.sites[1].args[1].offset = 2), /overlap the id or another argument/],
    ['overlap', (x) => (x.sites[1].args[1].offset = 6), /argument bytes 6\.\.8 overlap/],
  ];
  for (const [name, change, re] of bad) {
    const x = structuredClone(m);
    change(x);
    assert.throws(() => validateLogMeta(x), (e: unknown) => e instanceof ObjectError && /^section '\.tsbpf\.log': /.test(e.message) && re.test(e.message), name);
  }
  for (const text of ['', 'null', '[]', '{"version":1', '\xff']) {
    assert.throws(() => parseLogMeta(new TextEncoder().encode(text)), ObjectError, JSON.stringify(text));
  }
  assert.throws(() => parseLogMeta(new Uint8Array([0x7b, 0xff, 0x7d])), /is not UTF-8 JSON/);
});

test('addLogMeta appends the table; the object still parses and llvm-readelf lists the section', () => {
  const { bytes, meta } = buildLogObject([{ name: 'hello_world', body(a, log) { log({ format: 'received a packet' }); a.mov64('r0', 2).exit(); } }]);
  const elf = readElf(bytes);
  const sec = elf.sections.find((s) => s.name === LOG_META_SECTION)!;
  assert.equal(sec.flags, 0, 'not loaded into memory');
  assert.deepEqual(readLogMeta(elf), meta);
  const obj = parseObject(bytes);
  assert.deepEqual(obj.programs.map((p) => p.name), ['hello_world']);
  assert.deepEqual(obj.maps.map((m) => m.name).sort(), ['.bss', '.rodata', 'tsbpf_logs']);
  assert.deepEqual(obj.functions.map((f) => f.name), ['tsbpf_log_count_lost']);
  assert.ok(elf.symbols.some((s) => s.name === 'hello_world'), 'symbol names survive the moved name table');
  assert.throws(() => addLogMeta(bytes, meta), (e: unknown) => e instanceof TsbpfError && /already has a '\.tsbpf\.log' section/.test(e.message));
  if (findTool('llvm-readelf')) {
    const f = tempFile(bytes, 'log-meta');
    const out = run('llvm-readelf', ['-S', '-s', f]);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stderr, '', 'no warnings');
    assert.match(out.stdout, /\.tsbpf\.log\s+PROGBITS\s+0+ [0-9a-f]+ [0-9a-f]+ 00\s+0\s+0\s+1\n/);
    assert.match(out.stdout, / hello_world\n/);
  }
});

test('mutated tables: parsed or refused with an ObjectError, nothing else', () => {
  const base = encodeLogMeta(sample());
  let seed = 3;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  let ok = 0;
  for (let i = 0; i < 5000; i++) {
    const m = base.slice();
    for (let k = 0, n = 1 + rnd(3); k < n; k++) m[rnd(m.length)] = [0x30 + rnd(10), 0x22, 0x2c, 0x7b, 0x7d, 0x5b, rnd(256)][rnd(7)]!;
    try {
      parseLogMeta(m);
      ok++;
    } catch (e) {
      assert.ok(e instanceof ObjectError, String(e));
    }
  }
  assert.ok(ok > 0 && ok < 5000);
});
