/**
 * The kernel side of logging, with assembled producers (what the compiler will emit) on the real
 * kernel: the instruction budget counted with llvm-objdump (≤ 12 per call, ≤ 4 per scalar
 * argument) next to the alternatives we measured, the verifier accepting every form, disabled
 * levels pruned (the verifier's processed-instruction count), records decoded through the reader
 * APIs, and storms of PROG_TEST_RUN into a one-page ring where received + reported lost equals
 * produced, exactly — with nobody reading, and with a reader draining concurrently.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Assembler, encode } from '../../src/insn/index.js';
import { BtfBuilder } from '../../src/btf/index.js';
import { emitObject, parseObject } from '../../src/object/index.js';
import { loadModel, type LoadedObject } from '../../src/loader/index.js';
import { LogReader, logLoadConstants, parseLogFilter, type LogRecord } from '../../src/log/index.js';
import { logObjectParts } from '../../src/log/emit.js';
import { LOG_LEVELS_VAR, LOG_LOST_FUNC, LOG_LOST_VAR, LOG_RINGBUF } from '../../src/log/abi.js';
import { pageSize } from '../../src/sys/mmap.js';
import { need } from '../helpers/env.js';
import { run, tempFile } from '../elf/tools.js';
import { udp4 } from '../loader/packets.js';
import { buildLogObject, type Built, type ProgSpec } from './producer.js';
import { hello, storm, udp } from './programs.js';

const PACKET = udp4({ dport: 53, sport: 40001, src: [192, 168, 7, 9] });

/** Loads with the level setting TSBPF_LOG-style `spec` gives, keeping the verifier log. */
function load(b: Built | Uint8Array, spec = 'info'): LoadedObject {
  const bytes = b instanceof Uint8Array ? b : b.bytes;
  const model = parseObject(bytes);
  const meta = b instanceof Uint8Array ? undefined : b.meta;
  return loadModel(model, { logLevel: 1, constants: meta ? logLoadConstants(model, meta, parseLogFilter(spec)) : undefined });
}

const processed = (o: LoadedObject, prog: string): number => Number(/processed (\d+) insns/.exec(o.program(prog).log)![1]);

/** Instruction lines of section `xdp` as llvm-objdump prints them (an `ll` load is one line). */
function objdumpLines(bytes: Uint8Array): string[] {
  const r = run('llvm-objdump', ['-d', '--no-show-raw-insn', '-j', 'xdp', tempFile(bytes, 'log-count')]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => /^\s+\d+:\t/.test(l));
}

const prog = (body: ProgSpec['body'], extra: Partial<ProgSpec> = {}): ProgSpec => ({ name: 'hello_world', body, ...extra });
const exitPass: ProgSpec['body'] = (a) => void a.mov64('r0', 2).exit();

/** Alternative sequences we measured and did not choose, assembled by hand. */
function alternative(kind: 'reserve' | 'inline-lost'): Uint8Array {
  const btf = new BtfBuilder();
  const parts = logObjectParts({ targets: ['hello_world'] }, { btf });
  const a = new Assembler();
  a.ldMapValue('r1', LOG_LEVELS_VAR).ldx('u32', 'r1', 'r1', 0).jlt('r1', 3, 'end');
  if (kind === 'reserve') {
    a.ldMap('r1', LOG_RINGBUF).mov64('r2', 4).mov64('r3', 0).call('ringbuf_reserve').jne('r0', 0, 'got');
    a.callFunc(LOG_LOST_FUNC).ja('end');
    a.label('got').st('u32', 'r0', 0, 0).mov64('r1', 'r0').mov64('r2', 0).call('ringbuf_submit');
  } else {
    a.st('u64', 'r10', -8, 0).ldMap('r1', LOG_RINGBUF).mov64('r2', 'r10').add64('r2', -8).mov64('r3', 4).mov64('r4', 0).call('ringbuf_output');
    a.jeq('r0', 0, 'end').ldMapValue('r1', LOG_LOST_VAR).mov64('r2', 1).atomic('add', 'u64', 'r1', 0, 'r2');
  }
  a.label('end').mov64('r0', 2).exit();
  const p = a.finish();
  const relocs = p.relocs.map((r) => r.kind === 'map' ? { kind: 'map' as const, insn: r.slot, map: r.symbol }
    : r.kind === 'func' ? { kind: 'call' as const, insn: r.slot, target: r.symbol }
    : { kind: 'data' as const, insn: r.slot, section: r.symbol === LOG_LOST_VAR ? '.bss' : '.rodata', offset: 0, symbol: r.symbol });
  return emitObject({ license: 'GPL', btf, maps: parts.maps, data: parts.data, functions: kind === 'reserve' ? parts.functions : [],
    programs: [{ name: 'hello_world', section: 'xdp', bytes: encode(p.insns), relocations: relocs }] });
}

test('instruction budget: a call is 12 instructions in llvm-objdump, a scalar argument 1 (3 with a byte swap)', { timeout: 60_000 }, (t) => {
  if (!need(t, { tools: ['llvm-objdump'] })) return;
  const count = (body: ProgSpec['body'], extra?: Partial<ProgSpec>) => objdumpLines(buildLogObject([prog(body, extra)]).bytes).length;
  const base = count(exitPass);
  const noArgs = count((a, log) => { log({ format: 'received a packet' }); exitPass(a, log); }) - base;
  assert.equal(noArgs, 12, 'budget: ≤ 12');
  const withArgs = (n: number, type = 'u32', reg = 'r6') => count((a, log) => {
    log({ format: 'v={}'.repeat(n), args: Array.from({ length: n }, () => ({ type, value: reg as 'r6' })) });
    exitPass(a, log);
  }) - base;
  const perArg = [1, 2, 3, 4].map((n) => (withArgs(n) - noArgs) / n);
  assert.deepEqual(perArg, [1, 1, 1, 1], 'a scalar in a register: one store');
  assert.equal(withArgs(1, 'u64') - noArgs, 1);
  assert.equal(withArgs(1, 'be16', 'r2') - noArgs, 2, 'be16 in a caller-saved register: swap in place + store');
  assert.equal(withArgs(1, 'be16', 'r6') - noArgs, 3, 'be16 in a callee-saved register: copy, swap, store');
  assert.equal(count((a, log) => { log({ format: 'n={}', args: [{ type: 'u8', value: 7 }] }); exitPass(a, log); }) - base - noArgs, 1, 'a constant: one ST');
  // Level in a callee-saved register, loaded once at entry: 10 per call + 2 once.
  const reg = (n: number) => count((a, log) => { for (let i = 0; i < n; i++) log({ format: 'x' }); exitPass(a, log); }, { levelReg: 'r9' }) - base;
  assert.equal(reg(1), 12);
  assert.equal(reg(3) - reg(1), 2 * 10);
  const reserve = objdumpLines(alternative('reserve')).length - base;
  const inline = objdumpLines(alternative('inline-lost')).length - base;
  assert.equal(reserve, 14);
  assert.equal(inline, 14);
  const lines = objdumpLines(buildLogObject([prog(hello)]).bytes);
  t.diagnostic(`no-argument call: ${noArgs} (aya-log: 176 in the seed, 252 in the Aya book); per scalar argument: +1 (+2 for a byte swap); with the level in a register: 10 per call + 2 at entry; reserve/submit: ${reserve}; lost counter inline: ${inline}`);
  t.diagnostic(`hello_world:\n${lines.join('\n')}`);
});

test('the verifier accepts every form; disabled levels are pruned (processed-instruction count)', { timeout: 60_000 }, (t) => {
  if (!need(t, { kernel: true })) return;
  const three: ProgSpec['body'] = (a, log) => {
    log({ level: 'error', format: 'e' });
    log({ level: 'info', format: 'i={}', args: [{ type: 'u32', value: 'r6' }] });
    log({ level: 'debug', format: 'd' });
    exitPass(a, log);
  };
  const obj = buildLogObject([{ name: 'hello_world', body: (a, log) => { a.mov64('r6', 1); three(a, log); } }]);
  const baseObj = load(buildLogObject([prog((a, log) => { a.mov64('r6', 1); exitPass(a, log); })]));
  const base = processed(baseObj, 'hello_world');
  baseObj.close();
  const counts: Record<string, number> = {};
  for (const spec of ['off', 'error', 'warn', 'info', 'debug', 'trace']) {
    const o = load(obj, spec);
    counts[spec] = processed(o, 'hello_world');
    o.close();
  }
  t.diagnostic(`processed instructions by TSBPF_LOG: ${JSON.stringify(counts)}; without log calls: ${base}`);
  assert.equal(counts.off, base + 3 * 3, 'off: only the three 3-instruction guards are walked');
  assert.ok(counts.off! < counts.error! && counts.error! < counts.info! && counts.info! < counts.debug!);
  assert.equal(counts.error, counts.warn, 'no warn call: nothing more');
  assert.equal(counts.debug, counts.trace);
  // The other forms load too.
  for (const bytes of [alternative('reserve'), alternative('inline-lost')]) load(bytes).close();
  const withReg = load(buildLogObject([prog(three, { levelReg: 'r9' })]), 'error');
  const regOff = load(buildLogObject([prog(three, { levelReg: 'r9' })]), 'off');
  assert.ok(processed(regOff, 'hello_world') < processed(withReg, 'hello_world'), 'pruned with the level in a register too');
  withReg.close();
  regOff.close();
  // One setting per target: the guard reads levels[target].
  const two = buildLogObject([{ name: 'udp_log', body: udp }, { name: 'hello_world', body: hello }]);
  const split = load(two, 'udp_log=off,info');
  const all = load(two, 'info');
  try {
    assert.ok(processed(split, 'udp_log') < processed(all, 'udp_log'), 'udp_log pruned');
    assert.equal(processed(split, 'hello_world'), processed(all, 'hello_world'), 'hello_world untouched');
    const r = LogReader.open(split, { filter: 'trace' });
    split.program('udp_log').testRun(PACKET, { repeat: 5 });
    split.program('hello_world').testRun(PACKET, { repeat: 2 });
    const got: string[] = [];
    for (let x = r.next(); x; x = r.next()) got.push(x.target);
    r.close();
    assert.deepEqual(got, ['hello_world', 'hello_world']);
  } finally {
    split.close();
    all.close();
  }
});

test('records through the reader: async iterator, subscribe, pipe to a logger; user-side filter', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const built = buildLogObject([{ name: 'udp_log', body: udp }, { name: 'hello_world', body: hello }]);
  const obj = load(built, 'trace');
  try {
    // Loaded with everything on; the reader shows hello_world only.
    const r = LogReader.open(obj, { filter: 'off,hello_world=info', now: () => new Date(0) });
    obj.program('udp_log').testRun(PACKET, { repeat: 3 });
    obj.program('hello_world').testRun(PACKET, { repeat: 2 });
    const got: LogRecord[] = [];
    for await (const rec of r) {
      got.push(rec);
      if (got.length === 2) break;
    }
    assert.deepEqual(got.map((x) => [x.target, x.message, x.file, x.line, x.level]), [
      ['hello_world', 'received a packet', 'test.bpf.ts', 11, 'info'], ['hello_world', 'received a packet', 'test.bpf.ts', 11, 'info']]);
    assert.equal(r.stats.filtered, 3);
    r.close();

    const all = LogReader.open(obj, { filter: 'trace' });
    const seen: LogRecord[] = [];
    all.subscribe((x) => seen.push(x));
    obj.program('udp_log').testRun(PACKET, { repeat: 2 });
    const deadline = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.message, 'udp from 192.168.7.9 mac 02:00:00:00:00:01 port 40001 (9c41)');
    assert.deepEqual(seen[0]!.args, ['192.168.7.9', '02:00:00:00:00:01', 40001, 40001]);
    obj.program('hello_world').testRun(PACKET, { repeat: 1 });
    all.close(); // delivers what is left
    assert.equal(seen.length, 3);
    assert.equal(seen[2]!.message, 'received a packet');

    const piped = LogReader.open(obj, { filter: 'info' });
    const calls: unknown[][] = [];
    const logger = { error: () => {}, warn: () => {}, debug: () => {}, info: (o: object, m: string) => void calls.push([o, m]) };
    piped.pipe(logger);
    obj.program('udp_log').testRun(PACKET, { repeat: 1 });
    piped.close();
    assert.deepEqual(calls, [[{ target: 'udp_log', file: 'test.bpf.ts', line: 10, args: ['192.168.7.9', '02:00:00:00:00:01', 40001, 40001] }, 'udp from 192.168.7.9 mac 02:00:00:00:00:01 port 40001 (9c41)']]);
  } finally {
    obj.close();
  }
});

/** bpftool runs the program `repeat` times in another process while we read. */
function bpftoolRun(progId: number, packet: Uint8Array, repeat: number): Promise<string> {
  const file = tempFile(packet, 'log-storm-packet');
  return new Promise((resolve, reject) => {
    const c = spawn('bpftool', ['prog', 'run', 'id', String(progId), 'data_in', file, 'repeat', String(repeat)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bpftool exited ${code}: ${out}`))));
  });
}

async function stormCase(t: TestContext, concurrent: boolean): Promise<void> {
  const N = 1_000_000;
  const ring = pageSize();
  const built = buildLogObject([{ name: 'storm', body: storm }], { ringSize: ring });
  const obj = load(built);
  const r = LogReader.open(obj, { filter: 'info' });
  try {
    let received = 0;
    let lost = 0;
    let last = 0n;
    let ordered = true;
    const take = (x: LogRecord): void => {
      if (x.lost !== undefined) { lost += x.lost; return; }
      received++;
      const ts = x.args[0] as bigint;
      if (ts < last) ordered = false;
      last = ts;
    };
    if (concurrent) {
      r.subscribe(take);
      const out = await bpftoolRun(obj.program('storm').id, PACKET, N);
      assert.match(out, /Return value: 2/);
    } else {
      obj.program('storm').testRun(PACKET, { repeat: N }); // nobody reads meanwhile
      r.subscribe(take);
    }
    r.close(); // the rest of the ring and the final count
    const capacity = Math.floor((ring - 1) / 24); // 8-byte header + 16-byte record; the producer stays < ring size ahead
    t.diagnostic(`${concurrent ? 'concurrent' : 'sequential'}: produced ${N}, received ${received}, reported lost ${lost} (ring ${ring} bytes = ${capacity} records)`);
    assert.equal(received + lost, N, 'received + reported lost = produced');
    assert.equal(r.stats.lost, lost);
    assert.equal(BigInt(lost), obj.readGlobal('tsbpf_log_lost'));
    assert.ok(ordered, 'records arrive in order');
    if (concurrent) assert.ok(received > capacity, `the reader drained while the producer ran (${received} > ${capacity})`);
    else assert.equal(received, capacity, 'a full ring, then losses');
  } finally {
    r.close();
    obj.close();
  }
}

test('storm, nobody reading: PROG_TEST_RUN ×1e6 into a one-page ring, received + lost = produced', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  await stormCase(t, false);
});

test('storm with a concurrent reader (bpftool runs ×1e6 in another process), received + lost = produced', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['bpftool'] })) return;
  await stormCase(t, true);
});

test('log variables join the program\'s own .rodata/.bss (aligned after them); settings and counter still work', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  const data = [
    { section: '.rodata', data: new Uint8Array([0x35, 0x00]), variables: [{ name: 'port', offset: 0, size: 2 }] },
    { section: '.bss', size: 12, variables: [{ name: 'counters', offset: 0, size: 12 }] },
  ];
  const built = buildLogObject([{ name: 'storm', body: storm }], { ringSize: pageSize(), data });
  const model = parseObject(built.bytes);
  const vars = model.maps.flatMap((m) => (m.variables ?? []).map((v) => `${m.section}:${v.name}@${v.offset}`)).sort();
  assert.deepEqual(vars, ['.bss:counters@0', '.bss:tsbpf_log_lost@16', '.rodata:port@0', '.rodata:tsbpf_log_levels@4']);
  for (const [spec, expect] of [['info', true], ['warn', false]] as const) {
    const obj = load(built, spec);
    const r = LogReader.open(obj, { filter: 'trace' });
    try {
      obj.program('storm').testRun(PACKET, { repeat: 1000 });
      let received = 0;
      let lost = 0;
      for (let x = r.next(); x; x = r.next()) x.lost ? (lost += x.lost) : received++;
      assert.equal(received + lost, expect ? 1000 : 0, spec);
      assert.equal(lost > 0, expect, 'the counter at .bss+16 is read');
      assert.deepEqual(obj.readGlobal('port'), [0x35, 0], 'the program\'s own setting is intact');
    } finally {
      r.close();
      obj.close();
    }
  }
});
