/** The valid objects the fuzzer mutates: emitted and synthetic objects, plus the clang corpus when clang is installed. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileC, corpusNames, corpusObject } from '../helpers/corpus.js';
import { findTool } from '../helpers/env.js';
import { callsObject, hashMapObject, helloObject, oddSymbolsObject } from '../elf/synthetic.js';
import { kindsObject } from '../elf/tools.js';
import { seedOf, type Seed } from './mutate.js';

export function fuzzSeeds(): Seed[] {
  const seeds = [
    seedOf('hello-emitted', helloObject()), seedOf('hashmap-emitted', hashMapObject()),
    seedOf('calls-emitted', callsObject()), seedOf('odd-symbols', oddSymbolsObject()),
  ];
  if (findTool('clang')) {
    for (const n of corpusNames()) seeds.push(seedOf(n, new Uint8Array(readFileSync(corpusObject(n)))));
    seeds.push(seedOf('kinds', new Uint8Array(readFileSync(kindsObject()))));
    seeds.push(seedOf('mapinmap', new Uint8Array(readFileSync(compileC(fileURLToPath(new URL('../../../test/object/fixtures/mapinmap.bpf.c', import.meta.url)))))));
  }
  return seeds;
}
