/**
 * The seed's program (examples/hello-world.bpf.ts) compiles to exactly the instructions clang
 * emits for the same C (test/corpus/hello.bpf.c), as llvm-objdump shows them, and bpftool loads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { corpusObject } from '../helpers/corpus.js';
import { findTool, need } from '../helpers/env.js';
import { unique } from '../helpers/netns.js';
import { buildExample, llvmInsns, withTempFile } from './helpers.js';

test('hello world: the same five instructions as clang -O2', (t) => {
  if (!need(t, { tools: ['clang', 'llvm-objdump'] })) return;
  const clang = llvmInsns(corpusObject('hello'), 'xdp');
  assert.equal(clang.length, 5, `clang's hello world: ${clang.join(' | ')}`);
  const ours = buildExample('hello-world');
  withTempFile(ours.object, (path) => assert.deepEqual(llvmInsns(path, 'xdp'), clang));
  assert.deepEqual(ours.functions.map((f) => [f.name, f.section, f.insns, f.slots]), [['hello_world', 'xdp', 5, 6]]);
});

test('hello world: the format string is in .rodata, NUL-terminated, and r1 is relocated to it', (t) => {
  if (!need(t, { tools: ['llvm-readelf'] })) return;
  const ours = buildExample('hello-world');
  withTempFile(ours.object, (path) => {
    const relocs = spawnSync('llvm-readelf', ['-r', path], { encoding: 'utf8' }).stdout;
    assert.match(relocs, /R_BPF_64_64\s+0+\s+hello_world\.____fmt/);
    const hexdump = spawnSync('llvm-readelf', ['-x', '.rodata', path], { encoding: 'utf8' }).stdout;
    assert.match(hexdump, /7061636b 65742020 72656365 69766564\s.*\n0x00000010 2100 /, 'packet  received! and a NUL');
  });
});

test('bpftool loads hello world', (t) => {
  if (!need(t, { kernel: true, tools: ['bpftool'] })) return;
  const pin = `/sys/fs/bpf/${unique('tsbpf-hello')}`;
  const ours = buildExample('hello-world');
  try {
    withTempFile(ours.object, (path) => {
      const r = spawnSync(findTool('bpftool')!, ['prog', 'load', path, pin], { encoding: 'utf8' });
      assert.equal(r.status, 0, `bpftool prog load: ${r.stderr}`);
      const show = spawnSync(findTool('bpftool')!, ['prog', 'show', 'pinned', pin], { encoding: 'utf8' });
      assert.match(show.stdout, /xdp\s+name hello_world\s+tag [0-9a-f]+\s+gpl/);
    });
  } finally {
    if (existsSync(pin)) rmSync(pin);
  }
});
