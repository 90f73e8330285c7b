/**
 * `tsbpf readelf` parity: section headers, relocations and symbols identical to llvm-readelf
 * (LLVM 14) on every corpus object, on objects we emit and on synthetic objects with unusual
 * section types, flags and symbols; `--btf` identical to `bpftool btf dump file`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderReadelf } from '../../src/inspect/readelf.js';
import { fileURLToPath } from 'node:url';
import { compileC, corpusNames, corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { callsObject, hashMapObject, helloObject, oddSectionsObject, oddSymbolsObject } from '../elf/synthetic.js';
import { firstDiff, kindsObject, run, tempFile } from '../elf/tools.js';

const MODES: [string[], { sections?: boolean; relocations?: boolean; symbols?: boolean }][] = [
  [['--sections'], { sections: true }],
  [['--relocations'], { relocations: true }],
  [['--symbols'], { symbols: true }],
  [['-S', '-r', '-s'], { sections: true, relocations: true, symbols: true }],
];

function parity(path: string, modes = MODES): void {
  const bytes = readFileSync(path);
  for (const [args, opts] of modes) {
    const llvm = run('llvm-readelf', [...args, path]);
    assert.equal(llvm.status, 0, llvm.stderr);
    const ours = renderReadelf(bytes, opts);
    const diff = firstDiff(llvm.stdout, ours);
    assert.equal(diff, undefined, `${path} ${args.join(' ')}: ${diff}`);
  }
}

test('corpus objects: identical to llvm-readelf --sections / --relocations / --symbols', (t) => {
  if (!need(t, { tools: ['clang', 'llvm-readelf'] })) return;
  for (const name of corpusNames()) parity(corpusObject(name));
  parity(kindsObject());
  parity(compileC(fileURLToPath(new URL('../../../test/object/fixtures/mapinmap.bpf.c', import.meta.url))));
});

test('emitted and synthetic objects: identical to llvm-readelf', (t) => {
  if (!need(t, { tools: ['llvm-readelf'] })) return;
  for (const [name, bytes] of Object.entries({ hello: helloObject(), hashmap: hashMapObject(), calls: callsObject(), oddSections: oddSectionsObject(), oddSymbols: oddSymbolsObject() })) {
    parity(tempFile(bytes, name));
  }
  parity(tempFile(oddSectionsObject(true), 'relocTypes'), MODES.slice(0, 1));
});

test('--btf lists types exactly as bpftool btf dump file', (t) => {
  if (!need(t, { tools: ['clang', 'bpftool'] })) return;
  const paths = [...corpusNames().map(corpusObject), kindsObject(), tempFile(hashMapObject(), 'btf'), tempFile(callsObject(), 'btf')];
  for (const path of paths) {
    const expected = run('bpftool', ['btf', 'dump', 'file', path]).stdout;
    const diff = firstDiff(expected, renderReadelf(readFileSync(path), { btf: true }));
    assert.equal(diff, undefined, `${path}: ${diff}`);
  }
});
