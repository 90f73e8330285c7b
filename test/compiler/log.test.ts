/**
 * Compiled log calls (issue 5), without the kernel: the instruction budget counted with
 * llvm-objdump on our compiled output (≤ 12 per call, ≤ 4 per scalar argument), the call-site
 * table (`.tsbpf.log`) and the objects' log parts (ring size, variables, counter function),
 * targets and ids, and a build path that stays lean (no runtime modules loaded by `tsbpf build`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseObject } from '../../src/object/index.js';
import { readLogMeta, type LogMeta } from '../../src/log/abi.js';
import { need } from '../helpers/env.js';
import { EXAMPLES, ROOT, buildExample, buildSource, llvmInsns, withTempFile } from './helpers.js';

const HEAD = 'import { xdp, XdpAction, log, htons, htonl, type u8, type u16, type u32, type u64, type i8, type i16, type i32, type i64, type EthHdr, type Ipv6Hdr } from "tsbpf/kernel";\n';

/** Instruction lines of section xdp in llvm-objdump (an `ll` load is one line). */
function lines(object: Uint8Array): string[] {
  return withTempFile(object, (p) => llvmInsns(p, 'xdp'));
}

function count(body: string, pre = '', ret = 'return XdpAction.PASS;'): number {
  return lines(buildSource(`${HEAD}export const hello_world = xdp((ctx) => {\n${pre}\n${body}\n${ret}\n});\n`).object).length;
}

function meta(object: Uint8Array): LogMeta {
  const m = readLogMeta(parseObject(object).elf);
  assert.ok(m, 'the object has a .tsbpf.log table');
  return m;
}

test('the seed\'s logging program: the call is 12 instructions in llvm-objdump (aya-log: 176 / 252)', (t) => {
  if (!need(t, { tools: ['llvm-objdump'] })) return;
  const got = lines(buildExample('hello-log').object).map((l) => l.replace(/^\d+: /, ''));
  assert.deepEqual(got, [
    'r1 = 0 ll', 'r1 = *(u32 *)(r1 + 0)', 'if r1 < 3 goto +10 <hello_world+0x70>', '<unknown>',
    'r1 = 0 ll', 'r2 = r10', 'r2 += -8', 'w3 = 4', 'r4 = 0', 'call 130', 'if r0 == 0 goto +1 <hello_world+0x70>', 'call -1',
    'w0 = 2', 'exit',
  ]);
  // `<unknown>` is BPF_ST `*(u64 *)(r10 - 8) = 0` (the site id), which llvm-objdump 14 cannot print
  assert.equal(got.length - count(''), 12);
});

test('instruction budget (llvm-objdump on compiled programs): ≤ 12 per call, ≤ 4 per scalar argument', (t) => {
  if (!need(t, { tools: ['llvm-objdump'] })) return;
  const base = count('');
  const call = count('log.info(ctx, "received a packet");') - base;
  assert.equal(call, 12);
  // Each value exists before the call and is used after it in both variants: the difference is
  // the argument alone.
  const cases: [string, string, string, string, number][] = [
    ['u8', '{}', 'const v = ctx.ingressIfindex as u8;', 'v > 5', 1],
    ['u16', '{}', 'const v = ctx.ingressIfindex as u16;', 'v > 5', 1],
    ['u32', '{}', 'const v = ctx.ingressIfindex;', 'v > 5', 1],
    ['u64', '{}', 'const v = ctx.ingressIfindex as u64;', 'v > 5', 1],
    ['i8', '{}', 'const v = ctx.ingressIfindex as i8;', 'v > 5', 1],
    ['i16', '{}', 'const v = ctx.ingressIfindex as i16;', 'v > 5', 1],
    ['i32', '{}', 'const v = ctx.ingressIfindex as i32;', 'v > 5', 1],
    ['i64', '{}', 'const v = ctx.ingressIfindex as i64;', 'v > 5', 1],
    ['bool', '{}', 'const v = ctx.ingressIfindex > 5;', 'v', 1],
    ['u32 hex', '{:x}', 'const v = ctx.ingressIfindex;', 'v > 5', 1],
    ['be32 address', '{:ip}', 'const v = htonl(ctx.ingressIfindex);', 'v === htonl(5)', 1],
    ['be16 (swapped to host order)', '{}', 'const v = htons(ctx.ingressIfindex as u16);', 'v === htons(5)', 3],
    ['u32 address (swapped to network order)', '{:ip}', 'const v = ctx.ingressIfindex;', 'v > 5', 3],
  ];
  const figures: string[] = [];
  for (const [what, hint, pre, test, expect] of cases) {
    const ret = `return ${test} ? XdpAction.PASS : XdpAction.DROP;`;
    const n = count(`log.info(ctx, "x ${hint}", v);`, pre, ret) - count('log.info(ctx, "x");', pre, ret);
    figures.push(`${what} ${n}`);
    assert.ok(n <= 4, `${what}: ${n} > 4`);
    assert.equal(n, expect, what);
  }
  const plain = count('log.info(ctx, "x");');
  const constant = count('log.info(ctx, "x {}", 7);') - plain;
  const wide = count('log.info(ctx, "x {}", 0x1_0000_0000);') - plain;
  assert.equal(constant, 1, 'a constant: one BPF_ST');
  assert.equal(wide, 2, 'a constant wider than 32 bits: ld_imm64 + store');
  const pre4 = 'const a = ctx.ingressIfindex; const b = ctx.rxQueueIndex; const c = ctx.egressIfindex as u64; const d = ctx.len as u16;';
  const ret4 = 'return a + b + (c as u32) + d > 5 ? XdpAction.PASS : XdpAction.DROP;';
  const four = count('log.info(ctx, "{} {} {} {}", a, b, c, d);', pre4, ret4) - count('log.info(ctx, "x");', pre4, ret4);
  assert.equal(four, 4);
  // Not scalars, for the record: a MAC is copied as u32 + u16 (4), an IPv6 address as 2 × u64 (4).
  const preEth = 'const eth = ctx.header<EthHdr>(0); if (!eth) return XdpAction.PASS;';
  const retEth = 'return eth.proto === htons(0x800) ? XdpAction.PASS : XdpAction.DROP;';
  const mac = count('log.info(ctx, "{:mac}", eth.source);', preEth, retEth) - count('log.info(ctx, "x");', preEth, retEth);
  assert.equal(mac, 4);
  const three = count('log.error(ctx, "a"); log.warn(ctx, "b"); log.info(ctx, "c");') - base;
  // the address of the level settings is loaded once into a callee-saved register and shared
  assert.equal(three, 1 + 3 * 11, 'calls share only the level settings address and the counter function');
  t.diagnostic(`call without arguments: ${call} (aya-log: 176 in the seed, 252 in the Aya book); per argument: ${figures.join(', ')}; constant ${constant}, 64-bit constant ${wide}; four scalars ${four}; MAC ${mac}; plus once per object: tsbpf_log_count_lost, 4 instructions`);
});

test('the call-site table: ids, levels, targets, source positions, text pieces, argument layout', () => {
  const m = meta(buildExample('udp-log').object);
  assert.deepEqual(m.targets, ['udp_log']);
  assert.equal(m.sites.length, 1);
  const src = readFileSync(join(EXAMPLES, 'udp-log.bpf.ts'), 'utf8').split('\n');
  const line = src.findIndex((l) => l.includes('log.info(')) + 1;
  const s = m.sites[0]!;
  assert.deepEqual({ ...s, args: undefined }, {
    id: 0, level: 'info', target: 0, file: 'udp-log.bpf.ts', line, column: src[line - 1]!.indexOf('log.info') + 1, size: 20,
    text: ['udp from ', ' (', ') port ', ' (', ') to port ', ''], args: undefined,
  });
  assert.deepEqual(s.args, [
    { kind: 'ipv4', hint: 'ip', offset: 4, size: 4 }, { kind: 'mac', hint: 'mac', offset: 8, size: 6 },
    { kind: 'u16', hint: '', offset: 14, size: 2 }, { kind: 'u16', hint: 'x', offset: 16, size: 2 }, { kind: 'u16', hint: '', offset: 18, size: 2 },
  ]);
});

test('one target per program; inlined functions log as their program, @noinline ones as themselves; unrolled calls share a site', () => {
  const src = `import { xdp, XdpAction, log, type u32, type XdpContext } from "tsbpf/kernel";
function inl(ctx: XdpContext): void { log.debug(ctx, "inlined"); }
/** @noinline */
function out_of_line(ctx: XdpContext, n: u32): u32 { log.trace(ctx, "n={}", n); return n; }
export const first = xdp((ctx) => {
  for (let i: u32 = 0; i < 3; i++) log.info(ctx, "i={}", i);
  inl(ctx);
  return out_of_line(ctx, 1) > 0 ? XdpAction.PASS : XdpAction.DROP;
});
export const second = xdp((ctx) => { inl(ctx); log.error(ctx, "second"); return XdpAction.PASS; });
`;
  const m = meta(buildSource(src).object);
  assert.deepEqual(m.targets, ['first', 'second', 'out_of_line']);
  assert.deepEqual(m.sites.map((s) => [s.id, m.targets[s.target], s.level, s.text.join('{}'), s.line]), [
    [0, 'first', 'info', 'i={}', 6], [1, 'first', 'debug', 'inlined', 2], [2, 'second', 'debug', 'inlined', 2],
    [3, 'second', 'error', 'second', 10], [4, 'out_of_line', 'trace', 'n={}', 4],
  ]);
});

test('log parts of the object: ring buffer (default 256 KiB, log.configure), level setting, lost counter; none without logs', () => {
  const model = parseObject(buildExample('hello-log').object);
  const ring = model.maps.find((x) => x.name === 'tsbpf_logs');
  assert.equal(ring?.maxEntries, 256 * 1024);
  const vars = model.maps.flatMap((x) => (x.variables ?? []).map((v) => `${x.section}:${v.name}@${v.offset}/${v.size}`));
  assert.deepEqual(vars.sort(), ['.bss:tsbpf_log_lost@0/8', '.rodata:tsbpf_log_levels@0/4']);
  assert.deepEqual(model.functions.map((f) => f.name), ['tsbpf_log_count_lost']);
  assert.equal(model.functions[0]!.lineInfo.length, 1, 'line info for the counter too (the kernel wants it for every function)');
  const small = parseObject(buildSource(`${HEAD}log.configure({ ringSize: 4096 });\nexport const p = xdp((ctx) => { log.info(ctx, "x"); return XdpAction.PASS; });\n`).object);
  assert.equal(small.maps.find((x) => x.name === 'tsbpf_logs')?.maxEntries, 4096);
  // The program's own globals keep their place; the log variables come after them.
  const own = parseObject(buildSource(`${HEAD}export const port: u16 = 53;\nlet hits: u64 = 0;\nexport const p = xdp((ctx) => { hits++; log.info(ctx, "port {}", port); return XdpAction.PASS; });\n`).object);
  assert.deepEqual(own.maps.flatMap((x) => (x.variables ?? []).map((v) => `${x.section}:${v.name}@${v.offset}`)).sort(),
    ['.bss:hits@0', '.bss:tsbpf_log_lost@8', '.rodata:port@0', '.rodata:tsbpf_log_levels@4']);
  const plain = parseObject(buildExample('hello-world').object);
  assert.equal(readLogMeta(plain.elf), undefined);
  assert.ok(!plain.maps.some((x) => x.name === 'tsbpf_logs'));
});

test('tsbpf build of a logging program loads no runtime code (no koffi, sys, maps, loader or log reader modules)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-logbuild-'));
  try {
    const seen = join(dir, 'modules.txt');
    writeFileSync(join(dir, 'hooks.mjs'), [
      "import { appendFileSync } from 'node:fs';",
      'export async function resolve(spec, ctx, next) {',
      '  const r = await next(spec, ctx);',
      `  appendFileSync(${JSON.stringify(seen)}, r.url + '\\n');`,
      '  return r;',
      '}',
    ].join('\n'));
    writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    // the ES module graph of dist/src (TSBPF_NO_BUNDLE: the one-file bundle is made from it)
    const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), join(ROOT, 'bin', 'tsbpf.js'), 'build', join(EXAMPLES, 'udp-log.bpf.ts'), '-o', join(dir, 'u.o')],
      { encoding: 'utf8', env: { ...process.env, TSBPF_NO_BUNDLE: '1' } });
    assert.equal(r.status, 0, r.stderr);
    const mods = [...new Set(readFileSync(seen, 'utf8').split('\n').filter(Boolean))];
    const ours = mods.filter((u) => u.includes('/dist/src/')).map((u) => u.replace(/^.*\/dist\/src\//, ''));
    assert.deepEqual(ours.filter((m) => /^(sys|maps|loader|attach|trace)\/|^log\/(reader|decode|format|filter|setup|index)\.js$/.test(m) || /koffi|typescript/.test(m)), []);
    assert.deepEqual(mods.filter((u) => /koffi|typescript/.test(u)), []);
    assert.ok(ours.includes('log/emit.js') && ours.includes('compiler/lower-log.js'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
