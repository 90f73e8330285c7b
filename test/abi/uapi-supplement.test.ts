/**
 * scripts/uapi-supplement.h, the uapi facts newer than the installed header: clang lays it out as
 * the generator does; every entry it adds agrees with the running kernel's BTF (when the kernel
 * is at least the version the entry names) and is in the committed tables with that version; and
 * the merge rules (agreement with the header, `since` markers, sentinels) hold on small inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GenAttrError, HeaderParseError } from '../../scripts/uapi/errors.js';
import { SUPPLEMENT_PATH } from '../../scripts/uapi/files.js';
import type { GenLayout } from '../../scripts/uapi/layout.js';
import { mergeSupplement } from '../../scripts/uapi/merge-constants.js';
import { mergeLayouts } from '../../scripts/uapi/merge-layouts.js';
import { computeLayouts, supplementLayouts } from '../../scripts/uapi/read-layouts.js';
import { sinceMarks } from '../../scripts/uapi/since.js';
import { attr, structs } from '../../src/abi/attr.gen.js';
import * as consts from '../../src/abi/consts.gen.js';
import * as enums from '../../src/abi/enums.gen.js';
import { parseBtf } from '../../src/btf/index.js';
import type { Btf } from '../../src/btf/btf.js';
import { findTool } from '../helpers/env.js';

const TEXT = readFileSync(SUPPLEMENT_PATH, 'utf8');
const ANONYMOUS = new Set(['map_create', 'map_elem', 'prog_load', 'obj', 'prog_attach', 'get_id', 'btf_load']);
const VMLINUX = '/sys/kernel/btf/vmlinux';

/** Every supplement field that carries a version: [where, member or struct, field path, since]. */
function versionedFields(): ['attr' | 'struct', string, string, string][] {
  const s = supplementLayouts(TEXT);
  const out: ['attr' | 'struct', string, string, string][] = [];
  for (const [m, l] of s.attr) for (const f of l.fields) if (f.since) out.push(['attr', m, f.path, f.since]);
  for (const [n, l] of s.structs) for (const f of l.fields) if (f.since) out.push(['struct', n, f.path, f.since]);
  return out;
}

/** Every named-enum member or constant the supplement adds, with its value in the committed tables. */
function versionedNames(): [string, string, number | bigint | undefined][] {
  const tables: Record<string, number | bigint | undefined> = { ...(consts as Record<string, unknown> as Record<string, number>) };
  for (const e of Object.values(enums)) Object.assign(tables, e);
  return [...sinceMarks(TEXT)].map(([n, v]) => [n, v, tables[n]]);
}

const atLeast = (kernel: string, since: string): boolean => {
  const [a, b] = kernel.split('.').map(Number);
  const [c, d] = since.split('.').map(Number);
  return a! > c! || (a === c && b! >= d!);
};

test('every versioned entry is in the committed tables, marked with its version', () => {
  const names = versionedNames();
  assert.ok(names.length >= 14, `${names.length} names`);
  for (const [n, v, value] of names) assert.notEqual(value, undefined, `${n} (since ${v}) is in src/abi`);
  const committed = readFileSync(new URL('../../../src/abi/enums.gen.ts', import.meta.url), 'utf8') + readFileSync(new URL('../../../src/abi/consts.gen.ts', import.meta.url), 'utf8');
  for (const [n, v] of names) assert.match(committed, new RegExp(`\\b${n}\\b.*// since Linux ${v.replace('.', '\\.')} \\(scripts/uapi-supplement\\.h\\)`), n);
  const fields = versionedFields();
  assert.ok(fields.length >= 19, `${fields.length} fields`);
  for (const [kind, m, path] of fields) {
    const table = (kind === 'attr' ? attr : structs) as Record<string, { fields: Record<string, unknown> }>;
    assert.ok(table[m]?.fields[path], `${kind} ${m}.${path} is in attr.gen.ts`);
  }
  assert.equal(enums.bpf_attach_type.BPF_TCX_INGRESS, 46);
  assert.equal(enums.bpf_link_type.BPF_LINK_TYPE_TCX, 11);
  assert.ok(!('MAX_BPF_LINK_TYPE' in enums.bpf_link_type), 'sentinels are not members');
  assert.equal(consts.MAX_BPF_ATTACH_TYPE, 48, 'the sentinel define follows the spliced members');
  assert.equal(attr.link_create.fields['tcx.expected_revision'].offset, 24);
  assert.equal(attr.query.size, 64);
});

test('clang lays the supplement out as the generator does', (t) => {
  if (!findTool('clang')) return t.skip('clang is not installed');
  const s = supplementLayouts(TEXT);
  const lines = ['#include <stddef.h>', `#include "${SUPPLEMENT_PATH}"`];
  let n = 0;
  const check = (agg: string, path: string, f: GenLayout['fields'][number]): void => {
    if (f.bits !== undefined) return;
    lines.push(`_Static_assert(offsetof(${agg}, ${path}) == ${f.offset}, "${path}");`);
    lines.push(`_Static_assert(sizeof(((${agg} *)0)->${path}) == ${f.size}, "sizeof ${path}");`);
    n++;
  };
  for (const [m, l] of s.attr) for (const f of l.fields) check('union bpf_attr', ANONYMOUS.has(m) ? f.path : `${m}.${f.path}`, f);
  for (const [name, l] of s.structs) for (const f of l.fields) check(`struct ${name}`, f.path, f);
  for (const [name, , value] of versionedNames()) lines.push(`_Static_assert(${name} == ${value}, "${name}");`);
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-supp-'));
  try {
    writeFileSync(join(dir, 'check.c'), lines.join('\n'));
    const r = spawnSync('clang', ['-fsyntax-only', '-I/usr/include/x86_64-linux-gnu', '-I', dirname(SUPPLEMENT_PATH), join(dir, 'check.c')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(n >= 30, `checked ${n} fields`);
});

/** Leaf fields of a BTF struct/union by C access path (anonymous members add no name), with byte offsets. */
function btfPaths(btf: Btf, id: number, prefix = '', base = 0, out = new Map<string, number[]>(), depth = 0): Map<string, number[]> {
  if (depth > 8) return out;
  for (const m of btf.members(id)) {
    const t = btf.type(btf.resolve(m.type));
    const path = m.name ? `${prefix}${m.name}` : prefix.replace(/\.$/, '');
    const off = base + m.byteOffset;
    if ((t.kind === 'STRUCT' || t.kind === 'UNION') && (m.name === '' || t.name === '')) {
      btfPaths(btf, t.id, m.name ? `${path}.` : prefix, off, out, depth + 1);
    } else if (t.kind === 'STRUCT' || t.kind === 'UNION') {
      btfPaths(btf, t.id, `${path}.`, off, out, depth + 1);
    } else {
      out.set(path, [...(out.get(path) ?? []), off]);
    }
  }
  return out;
}

test('the supplement agrees with the running kernel (vmlinux BTF)', (t) => {
  if (!existsSync(VMLINUX)) return t.skip(`${VMLINUX} is missing (CONFIG_DEBUG_INFO_BTF)`);
  const kernel = /^(\d+\.\d+)/.exec(release())?.[1] ?? '0.0';
  const btf = parseBtf(readFileSync(VMLINUX));
  let checked = 0;
  for (const [kind, m, path, since] of versionedFields()) {
    if (!atLeast(kernel, since)) continue;
    const top = btf.find(kind === 'attr' ? 'bpf_attr' : m, kind === 'attr' ? 'UNION' : 'STRUCT');
    assert.ok(top, `${kind === 'attr' ? 'union bpf_attr' : `struct ${m}`} in vmlinux BTF`);
    const full = kind === 'attr' && !ANONYMOUS.has(m) ? `${m}.${path}` : path;
    const offsets = btfPaths(btf, top.id).get(full);
    const ours = ((kind === 'attr' ? attr : structs) as Record<string, { fields: Record<string, { offset: number }> }>)[m]!.fields[path]!.offset;
    assert.ok(offsets?.includes(ours), `${full}: kernel ${kernel} has it at ${offsets?.join('/') ?? 'nowhere'}, the tables at ${ours}`);
    checked++;
  }
  const enumsSeen = new Set<string>();
  for (const e of btf.types) {
    if (e.kind !== 'ENUM' || !(e.name in enums)) continue;
    enumsSeen.add(e.name);
    const ours = (enums as Record<string, Record<string, number>>)[e.name]!;
    for (const v of e.values) {
      const since = sinceMarks(TEXT).get(v.name);
      if (!since || !atLeast(kernel, since)) continue;
      assert.equal(ours[v.name], v.value, `${e.name}.${v.name} in kernel ${kernel}`);
      checked++;
    }
  }
  if (atLeast(kernel, '6.6')) {
    assert.ok(enumsSeen.has('bpf_attach_type') && enumsSeen.has('bpf_link_type'));
    assert.ok(checked >= 24, `checked ${checked} entries against kernel ${kernel}`);
  } else t.diagnostic(`kernel ${kernel}: checked ${checked} entries older than it`);
});

const HEADER = `#define BPF_F_OLD (1U << 1)
enum bpf_attach_type {
	BPF_A,
	BPF_B,
	__MAX_BPF_ATTACH_TYPE
};
#define MAX_BPF_ATTACH_TYPE __MAX_BPF_ATTACH_TYPE
enum bpf_link_type {
	BPF_LINK_TYPE_A = 0,
	MAX_BPF_LINK_TYPE,
};
`;

test('merge rules: members go before sentinels, known entries must agree, new ones need a version', () => {
  const ok = mergeSupplement(HEADER, `enum bpf_attach_type {
	BPF_B = 1,
	BPF_C = 2, /* since 9.1 */
};
enum bpf_link_type {
	BPF_LINK_TYPE_B = 1, /* since 9.2 */
};
#define BPF_F_OLD (1U << 1)
#define BPF_F_NEW (1U << 4) /* since 9.3 */
enum brand_new {
	NEW_A = 5, /* since 9.4 */
};
`);
  assert.deepEqual([...ok.added].sort(), [['BPF_C', '9.1'], ['BPF_F_NEW', '9.3'], ['BPF_LINK_TYPE_B', '9.2'], ['NEW_A', '9.4']]);
  assert.match(ok.bpf, /BPF_B,\s*BPF_C = 2,\s*__MAX_BPF_ATTACH_TYPE/);
  assert.match(ok.bpf, /BPF_LINK_TYPE_A = 0,\s*BPF_LINK_TYPE_B = 1,\s*MAX_BPF_LINK_TYPE/);
  assert.deepEqual([...ok.consts], [['BPF_F_NEW', 16n]]);
  assert.deepEqual(ok.enums.map((e) => e.name), ['brand_new']);
  const bad = (supp: string, re: RegExp): void => assert.throws(() => mergeSupplement(HEADER, supp), (e: unknown) => e instanceof HeaderParseError && re.test(e.message));
  bad('enum bpf_attach_type { BPF_B = 5 };', /enum bpf_attach_type: BPF_B = 5, but linux\/bpf\.h has 1/);
  bad('enum bpf_attach_type { BPF_C = 2 };', /BPF_C is not in linux\/bpf\.h and has no "since X\.Y" comment/);
  bad('enum bpf_attach_type {\n\tBPF_C = 1, /* since 9.1 */\n};', /BPF_C = 1 is the value of BPF_B/);
  bad('#define BPF_F_OLD (1U << 2)', /BPF_F_OLD = 4, but linux\/bpf\.h has 2/);
});

test('layout merge: anchors must match the header, new fields need a version', () => {
  const header = computeLayouts(`union bpf_attr {
  struct { __u32 prog_fd; __u32 target_fd; __u32 attach_type; __u32 flags; union { __u32 target_btf_id; struct { __aligned_u64 iter_info; __u32 iter_info_len; }; }; } link_create;
} __attribute__((aligned(8)));
struct bpf_prog_info { __u32 a; }; struct bpf_map_info { __u32 a; }; struct bpf_link_info { __u32 type; };
struct bpf_btf_info { __u32 a; }; struct bpf_func_info { __u32 a; }; struct bpf_line_info { __u32 a; };`);
  const supp = (body: string): ReturnType<typeof supplementLayouts> => supplementLayouts(`union bpf_attr { struct { ${body} } link_create; };`);
  const merged = mergeLayouts(header, supp(`__u32 prog_fd; __u32 target_fd; __u32 attach_type; __u32 flags;
      union { __u32 target_btf_id; struct { union { __u32 relative_fd; /* since 6.6 */
      }; __u64 expected_revision; /* since 6.6 */
      } tcx; }; `));
  const lc = merged.attr.get('link_create')!;
  assert.deepEqual(lc.fields.filter((f) => f.since).map((f) => [f.path, f.offset, f.since]), [['tcx.relative_fd', 16, '6.6'], ['tcx.expected_revision', 24, '6.6']]);
  assert.equal(lc.size, 32);
  assert.throws(() => mergeLayouts(header, supp('__u32 prog_fd; __u64 target_fd;')), (e: unknown) => e instanceof GenAttrError && /bpf_attr\.link_create\.target_fd is at offset 8 \(size 8, __u64\) there, but at offset 4 \(size 4, __u32\) in linux\/bpf\.h/.test(e.message));
  assert.throws(() => mergeLayouts(header, supp('__u32 prog_fd; __u32 extra;')), /link_create\.extra is not in linux\/bpf\.h and has no "since X\.Y" comment/);
  assert.throws(() => supplementLayouts('struct bpf_other { __u32 a; };'), /struct bpf_other is not one of the structs laid out/);
});
