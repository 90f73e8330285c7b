/** The committed ABI tables are exactly what the generator makes from the installed uapi headers. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ABI_DIR, DEFAULT_HEADER, HeaderParseError, evalCExpr, generateAbi, parseHelperIds, parseProto, readHeaders,
} from '../../scripts/gen-abi.js';

test('generated src/abi/*.gen.ts equal the generator output for the installed header', (t) => {
  if (!existsSync(DEFAULT_HEADER)) {
    t.skip(`${DEFAULT_HEADER} is not installed (linux-libc-dev)`);
    return;
  }
  const files = generateAbi(readHeaders(DEFAULT_HEADER));
  assert.deepEqual(Object.keys(files).sort(), ['consts.gen.ts', 'enums.gen.ts', 'helpers.gen.ts']);
  for (const [name, text] of Object.entries(files)) {
    const committed = readFileSync(join(ABI_DIR, name), 'utf8');
    assert.ok(committed === text, `src/abi/${name} differs from the generator output: run \`npm run gen:abi\``);
  }
});

test('helper mapper: both the FN(name) and the FN(name, id, ##ctx) forms', () => {
  const old = '#define __BPF_FUNC_MAPPER(FN)\t\\\n\tFN(unspec),\t\\\n\tFN(map_lookup_elem),\t\\\n\tFN(trace_printk),\n';
  assert.deepEqual(parseHelperIds(old), [['unspec', 0], ['map_lookup_elem', 1], ['trace_printk', 2]]);
  const neu = '#define ___BPF_FUNC_MAPPER(FN, ctx...)\t\\\n\tFN(unspec, 0, ##ctx)\t\\\n\tFN(trace_printk, 6, ##ctx)\t\\\n\tFN(ringbuf_reserve, 131, ##ctx)\t\\\n\t/* */\n';
  assert.deepEqual(parseHelperIds(neu), [['unspec', 0], ['trace_printk', 6], ['ringbuf_reserve', 131]]);
  assert.throws(() => parseHelperIds('int x;'), HeaderParseError);
});

test('prototype parsing: pointers, const, variadic, no arguments', () => {
  assert.deepEqual(parseProto('long bpf_trace_printk(const char *fmt, u32 fmt_size, ...)'), {
    name: 'trace_printk',
    sig: { ret: 'long', args: [{ type: 'const char *', name: 'fmt' }, { type: 'u32', name: 'fmt_size' }], variadic: true },
  });
  assert.deepEqual(parseProto('void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)').sig.ret, 'void *');
  assert.deepEqual(parseProto('u64 bpf_ktime_get_ns(void)').sig.args, []);
  assert.throws(() => parseProto('nonsense'), HeaderParseError);
});

test('constant expressions: shifts, suffixes, references, precedence', () => {
  const syms = new Map([['BPF_FETCH', 1n], ['A', 2n]]);
  assert.equal(evalCExpr('(0xe0 | BPF_FETCH)', syms), 0xe1n);
  assert.equal(evalCExpr('(1ULL << 32)', syms), 1n << 32n);
  assert.equal(evalCExpr('(0xfffffULL << 32)', syms), 0xfffffn << 32n);
  assert.equal(evalCExpr('1 | 2 << 3', syms), 17n);
  assert.equal(evalCExpr('-1', syms), -1n);
  assert.equal(evalCExpr('A + 3 * 2', syms), 8n);
  assert.equal(evalCExpr('UNKNOWN', syms), null);
  assert.equal(evalCExpr('(1 << 2', syms), null);
  assert.equal(evalCExpr('"str"', syms), null);
});
