/**
 * scripts/gen-attr.ts: the committed src/abi/attr.gen.ts is what the generator makes from this
 * machine's uapi header, known offsets hold, and (with clang) every offset agrees with the C
 * compiler's own layout of the same header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_HEADER, GenAttrError, computeLayouts, generateAttr } from '../../scripts/gen-attr.js';
import { BPF_ATTR_SIZE, attr, structs } from '../../src/abi/attr.gen.js';
import { findTool } from '../helpers/env.js';

const COMMITTED = fileURLToPath(new URL('../../../src/abi/attr.gen.ts', import.meta.url));

test('generator output equals the committed attr.gen.ts', (t) => {
  if (!existsSync(DEFAULT_HEADER)) return t.skip(`${DEFAULT_HEADER} is not installed`);
  assert.equal(generateAttr(readFileSync(DEFAULT_HEADER, 'utf8')), readFileSync(COMMITTED, 'utf8'),
    'regenerate: npx tsc -p . && node dist/scripts/gen-attr.js');
});

test('known offsets of bpf_attr members', () => {
  const off = (l: { fields: Record<string, { offset: number }> }, f: string) => l.fields[f]!.offset;
  const pl = attr.prog_load;
  assert.deepEqual(
    ['prog_type', 'insn_cnt', 'insns', 'license', 'log_level', 'log_size', 'log_buf', 'kern_version', 'prog_flags', 'prog_name'].map((f) => off(pl, f)),
    [0, 4, 8, 16, 24, 28, 32, 40, 44, 48],
  );
  assert.equal(pl.fields.prog_name.size, 16);
  assert.equal(off(pl, 'expected_attach_type'), 68);
  assert.equal(off(pl, 'func_info'), 80);
  assert.equal(off(pl, 'line_info'), 96);
  assert.equal(off(pl, 'attach_prog_fd'), off(pl, 'attach_btf_obj_fd'));
  assert.deepEqual(['map_type', 'key_size', 'value_size', 'max_entries', 'map_flags', 'map_name', 'btf_fd'].map((f) => off(attr.map_create, f)), [0, 4, 8, 12, 16, 28, 48]);
  assert.deepEqual(['map_fd', 'key', 'value', 'next_key', 'flags'].map((f) => off(attr.map_elem, f)), [0, 8, 16, 16, 24]);
  assert.deepEqual(['prog_fd', 'retval', 'data_size_in', 'data_size_out', 'data_in', 'data_out', 'repeat', 'duration'].map((f) => off(attr.test, f)), [0, 4, 8, 12, 16, 24, 32, 36]);
  assert.deepEqual(['pathname', 'bpf_fd', 'file_flags'].map((f) => off(attr.obj, f)), [0, 8, 12]);
  assert.deepEqual(['prog_fd', 'target_fd', 'target_ifindex', 'attach_type', 'flags'].map((f) => off(attr.link_create, f)), [0, 4, 4, 8, 12]);
  assert.equal(off(attr.link_create, 'perf_event.bpf_cookie'), 16);
  assert.deepEqual(['bpf_fd', 'info_len', 'info'].map((f) => off(attr.info, f)), [0, 4, 8]);
  assert.ok(BPF_ATTR_SIZE >= 120 && BPF_ATTR_SIZE % 8 === 0);
});

test('known offsets of the info structs', () => {
  const pi = structs.bpf_prog_info.fields;
  assert.equal(pi.tag.offset, 8);
  assert.equal(pi.tag.size, 8);
  assert.equal(pi.map_ids.offset, 56);
  assert.equal(pi.name.offset, 64);
  assert.equal(pi.ifindex.offset, 80);
  assert.deepEqual([pi.gpl_compatible.offset, pi.gpl_compatible.bitOffset, pi.gpl_compatible.bits], [84, 0, 1]);
  assert.equal(pi.netns_dev.offset, 88);
  const mi = structs.bpf_map_info.fields;
  assert.deepEqual([mi.type.offset, mi.key_size.offset, mi.name.offset, mi.btf_id.offset], [0, 8, 24, 64]);
  assert.equal(structs.bpf_link_info.fields['xdp.ifindex'].offset, 16);
  assert.equal(structs.bpf_func_info.size, 8);
  assert.equal(structs.bpf_line_info.size, 16);
});

test('parser: nested unions, bit-fields, arrays, defines, aligned attribute', () => {
  const header = `
#define NAME_LEN 8U
#define TWICE (NAME_LEN * 2)
union bpf_attr {
  struct { /* anonymous struct used by BPF_MAP_CREATE command */
    __u32 a;
    char name[TWICE];
    __u8 b;
    __aligned_u64 p;
  };
  struct {
    __u32 x;
    union { __u32 y; struct { __u16 lo; __u16 hi; } parts; };
    __u64 z;
  } named;
} __attribute__((aligned(8)));
struct bpf_prog_info { __u32 t; __u32 flag:1; __u32 :31; __u64 q; __u16 s; } __attribute__((aligned(8)));
struct bpf_map_info { __u8 c; };
struct bpf_link_info { __u8 c; };
struct bpf_btf_info { __u8 c; };
struct bpf_func_info { __u32 a, b; };
struct bpf_line_info { __s32 a[3]; __u32 b; };
`;
  const g = computeLayouts(header);
  const mc = g.attr.get('map_create')!;
  assert.deepEqual(mc.fields.map((f) => [f.path, f.offset, f.size]), [['a', 0, 4], ['name', 4, 16], ['b', 20, 1], ['p', 24, 8]]);
  assert.equal(mc.size, 32);
  const n = g.attr.get('named')!;
  assert.deepEqual(n.fields.map((f) => [f.path, f.offset]), [['x', 0], ['y', 4], ['parts.lo', 4], ['parts.hi', 6], ['z', 8]]);
  assert.equal(g.attrSize, 32);
  const pi = g.structs.get('bpf_prog_info')!;
  assert.deepEqual(pi.fields.map((f) => [f.path, f.offset, f.bitOffset ?? null, f.bits ?? null]), [['t', 0, null, null], ['flag', 4, 0, 1], ['q', 8, null, null], ['s', 16, null, null]]);
  assert.equal(pi.size, 24);
  assert.deepEqual(g.structs.get('bpf_func_info')!.fields.map((f) => f.offset), [0, 4]);
  assert.equal(g.structs.get('bpf_line_info')!.size, 16);
});

test('parser: clear errors for what it cannot lay out', () => {
  assert.throws(() => computeLayouts('struct x { };'), (e: unknown) => e instanceof GenAttrError && /union bpf_attr not found/.test(e.message));
  assert.throws(() => computeLayouts('union bpf_attr { struct { float f; }; };'), (e: unknown) => e instanceof GenAttrError && /unknown type 'float'/.test(e.message));
  assert.throws(() => computeLayouts('union bpf_attr { struct { __u32 a[NOPE]; } s; };'), (e: unknown) => e instanceof GenAttrError && /unknown constant NOPE/.test(e.message));
});

test('every generated offset and size agrees with clang on the same header', (t) => {
  if (!existsSync(DEFAULT_HEADER)) return t.skip(`${DEFAULT_HEADER} is not installed`);
  if (!findTool('clang')) return t.skip('clang is not installed');
  const lines = ['#include <stddef.h>', '#include <linux/bpf.h>', `_Static_assert(sizeof(union bpf_attr) == ${BPF_ATTR_SIZE}, "sizeof bpf_attr");`];
  const g = computeLayouts(readFileSync(DEFAULT_HEADER, 'utf8'));
  const anonymous = new Set(['map_create', 'map_elem', 'prog_load', 'obj', 'prog_attach', 'get_id', 'btf_load']);
  let n = 0;
  for (const [member, l] of g.attr) {
    for (const f of l.fields) {
      if (f.bits !== undefined) continue;
      const p = anonymous.has(member) ? f.path : `${member}.${f.path}`;
      lines.push(`_Static_assert(offsetof(union bpf_attr, ${p}) == ${f.offset}, "${p}");`);
      lines.push(`_Static_assert(sizeof(((union bpf_attr *)0)->${p}) == ${f.size}, "sizeof ${p}");`);
      n++;
    }
  }
  for (const [s, l] of g.structs) {
    lines.push(`_Static_assert(sizeof(struct ${s}) == ${l.size}, "sizeof ${s}");`);
    for (const f of l.fields) {
      if (f.bits !== undefined) continue;
      lines.push(`_Static_assert(offsetof(struct ${s}, ${f.path}) == ${f.offset}, "${s}.${f.path}");`);
      n++;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-attr-'));
  try {
    writeFileSync(join(dir, 'check.c'), lines.join('\n'));
    const r = spawnSync('clang', ['-fsyntax-only', '-I/usr/include/x86_64-linux-gnu', join(dir, 'check.c')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(n > 150, `checked ${n} fields`);
});
