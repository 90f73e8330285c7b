/** `tsbpf objdump` as a command: options, files, and bad input as one clear line with exit code 1. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/cli/main.js';
import { TsbpfError } from '../../src/errors.js';
import { objdump } from '../../src/inspect/objdump.js';
import { corpusNames, corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { llvmObjdump } from '../insn/llvm.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(['objdump', ...args], { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false });
  return { code, out, err };
}

test('the command prints what llvm-objdump prints (with --llvm) and accepts its options', async (t) => {
  if (!need(t, { tools: ['clang', 'llvm-objdump'] })) return;
  const file = corpusObject('udp_drop');
  for (const args of [['-d'], ['-d', '--no-show-raw-insn'], ['--disassemble', '-j', 'xdp']]) {
    const r = await cli([...args, '--llvm', file]);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.equal(r.out, llvmObjdump(file, args));
  }
  const two = await cli(['-d', '--llvm', file, corpusObject('hello')]);
  assert.equal(two.out, llvmObjdump(file, ['-d']) + llvmObjdump(corpusObject('hello'), ['-d']));
  const extras = await cli(['-d', corpusObject('hello')]);
  assert.match(extras.out, /call 6 ; bpf_trace_printk\n/);
  const missing = await cli(['-d', '--section=nosuch', file]);
  assert.equal(missing.code, 0);
  assert.match(missing.err, /warning: .*section 'nosuch' mentioned in a -j\/--section option, but not found/);
});

test('usage errors and bad files: one line, exit code 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-objdump-cli-'));
  try {
    const junk = join(dir, 'junk.o');
    writeFileSync(junk, 'this is not an ELF file');
    const cases: [string[], RegExp][] = [
      [[junk], /^tsbpf objdump: error: no action given\n {2}hint: use -d/],
      [['-d'], /^tsbpf objdump: error: no input file/],
      [['-d', join(dir, 'absent.o')], /^tsbpf objdump: error: cannot read .*absent\.o: no such file\n$/],
      [['-d', dir], /^tsbpf objdump: error: cannot read .*: is a directory\n$/],
      [['-d', junk], /^tsbpf objdump: error: .*junk\.o: not an ELF file: bad magic at offset 0x0/],
      [['-d', '--bogus', junk], /^tsbpf objdump: error: Unknown option '--bogus'/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.err, re);
      assert.ok(!r.err.includes('internal error') && !r.err.includes('    at '), r.err);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mutated objects disassemble or fail with a typed error, never anything else', (t) => {
  if (!need(t, { tools: ['clang'] })) return;
  let seed = 0x2545f491;
  const rand = (n: number): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const inputs = corpusNames().map((n) => new Uint8Array(readFileSync(corpusObject(n))));
  let ok = 0;
  let typed = 0;
  for (let i = 0; i < 3000; i++) {
    const base = inputs[i % inputs.length]!;
    let bytes = Uint8Array.from(base);
    const kind = rand(4);
    if (kind === 0) bytes = bytes.subarray(0, rand(bytes.length));
    else {
      for (let k = 0, n = 1 + rand(8); k < n; k++) {
        const at = rand(bytes.length);
        bytes[at] = kind === 1 ? rand(256) : kind === 2 ? bytes[at]! ^ (1 << rand(8)) : 0xff;
      }
    }
    try {
      const r = objdump(bytes, { fileName: 'm.o', source: i % 2 === 0, rawBytes: i % 3 !== 0 });
      assert.equal(typeof r.text, 'string');
      ok++;
    } catch (e) {
      if (!(e instanceof TsbpfError)) throw new Error(`case ${i}: untyped ${String(e)}`);
      typed++;
    }
  }
  t.diagnostic(`${ok} disassembled, ${typed} typed errors`);
  assert.ok(ok > 0 && typed > 0);
});
