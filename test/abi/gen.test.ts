/**
 * The committed ABI tables are exactly what the generators make from the installed uapi headers,
 * the generator scripts run as commands, and the C-header readers under scripts/uapi/ parse what
 * uapi headers contain.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CExprError, evalCExpr, evaluateCExpr } from '../../scripts/uapi/c-expr.js';
import { objectLikeDefine } from '../../scripts/uapi/c-text.js';
import { generateAbi } from '../../scripts/uapi/emit-abi.js';
import { HeaderParseError } from '../../scripts/uapi/errors.js';
import { ABI_DIR, DEFAULT_HEADER, readHeaders } from '../../scripts/uapi/files.js';
import { parseHelperIds, parseProto } from '../../scripts/uapi/read-helpers.js';

const script = (name: string): string => fileURLToPath(new URL(`../../scripts/${name}`, import.meta.url));

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

test('constant expressions: division, and why an expression does not evaluate', () => {
  const none = (): null => null;
  assert.equal(evaluateCExpr('(7 / 2) * 4', none), 12n);
  assert.equal(evaluateCExpr('-7 / 2', none), -3n, 'truncates toward zero as C does');
  assert.equal(evaluateCExpr('~0 & 0xff', none), 0xffn);
  const why = (expr: string, re: RegExp): void => assert.throws(() => evaluateCExpr(expr, none), (e: unknown) => e instanceof CExprError && re.test(e.message));
  why('', /^incomplete constant expression: $/);
  why('(1 + 2', /^missing \) in \(1 \+ 2$/);
  why('NOPE * 2', /^unknown constant NOPE in NOPE \* 2$/);
  why('1 % 2', /^cannot evaluate constant expression: 1 % 2$/);
  why('1 2', /^cannot evaluate constant expression: 1 2$/);
  why('4 / (1 - 1)', /^division by zero in 4 \/ \(1 - 1\)$/);
  assert.equal(evalCExpr('4 / 0', new Map()), null);
});

test('object-like #define lines', () => {
  assert.deepEqual(objectLikeDefine('#define BPF_OBJ_NAME_LEN 16U'), { name: 'BPF_OBJ_NAME_LEN', value: '16U' });
  assert.deepEqual(objectLikeDefine(' # define\tBPF_F_X\t(1U << 3) '), { name: 'BPF_F_X', value: '(1U << 3)' });
  assert.deepEqual(objectLikeDefine('#define __LINUX_BPF_H__'), { name: '__LINUX_BPF_H__', value: '' });
  assert.equal(objectLikeDefine('#define BPF_MAP(x) (x)'), null);
  assert.equal(objectLikeDefine('#include <linux/types.h>'), null);
});

test('the generators run as commands and make the committed files', (t) => {
  if (!existsSync(DEFAULT_HEADER)) return t.skip(`${DEFAULT_HEADER} is not installed (linux-libc-dev)`);
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-gen-abi-'));
  try {
    const abi = spawnSync(process.execPath, [script('gen-abi.js'), '--out', dir], { encoding: 'utf8' });
    assert.equal(abi.status, 0, abi.stderr);
    assert.equal(abi.stdout.trim().split('\n').length, 3, abi.stdout);
    for (const name of ['helpers.gen.ts', 'consts.gen.ts', 'enums.gen.ts']) {
      assert.ok(readFileSync(join(dir, name), 'utf8') === readFileSync(join(ABI_DIR, name), 'utf8'), `${name} written by the command`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const attr = spawnSync(process.execPath, [script('gen-attr.js'), '--check'], { encoding: 'utf8' });
  assert.equal(attr.status, 0, attr.stderr);
  assert.match(attr.stdout, /attr\.gen\.ts is up to date/);
  // Without the supplement the tables lack the newer entries, and --check says so.
  const stale = spawnSync(process.execPath, [script('gen-attr.js'), '--check', '--no-supplement'], { encoding: 'utf8' });
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, /attr\.gen\.ts is out of date/);
});
