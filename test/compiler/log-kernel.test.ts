/**
 * Compiled log calls on the real kernel (issue 5): every argument kind decodes to the expected
 * text, disabled levels are pruned by the verifier (arguments included), storms of PROG_TEST_RUN
 * into a one-page ring (`log.configure({ ringSize: 4096 })`) give received + reported lost =
 * produced exactly, and `tsbpf run` on the examples prints the seed's lines: one INFO line per
 * packet crossing lo, and source address, MAC and port of UDP datagrams over a veth pair.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseObject } from '../../src/object/index.js';
import { loadModel, type LoadedObject } from '../../src/loader/index.js';
import { LogReader, formatLine, logLoadConstants, parseLogFilter, readLogMeta, type LogRecord } from '../../src/log/index.js';
import { need } from '../helpers/env.js';
import { withNetns, withNetnsPair } from '../helpers/netns.js';
import { CliProcess, xdpOf } from '../cli/run-process.js';
import { tempFile } from '../elf/tools.js';
import { udp4, udp6 } from '../loader/packets.js';
import { EXAMPLES, buildSource } from './helpers.js';

/** Compiles and loads with the level setting TSBPF_LOG-style `spec` gives (verifier log kept). */
function load(src: string, spec = 'trace'): LoadedObject {
  const model = parseObject(buildSource(src, 'log-test.bpf.ts').object);
  const meta = readLogMeta(model.elf)!;
  return loadModel(model, { logLevel: 1, constants: logLoadConstants(model, meta, parseLogFilter(spec)) });
}

const KINDS = `import {
  xdp, XdpAction, log, htons, ntohs, ntohl, ArrayMap,
  type u8, type u16, type u32, type u64, type i8, type i16, type i32, type i64, type FixedArray,
  type EthHdr, type Ipv4Hdr, type Ipv6Hdr, type UdpHdr,
} from "tsbpf/kernel";

interface Tag {
  pad: u8;
  bytes: FixedArray<u8, 5>;
  addr: FixedArray<u8, 4>;
}
let tail: FixedArray<u8, 3>;
const tags = new ArrayMap<Tag>({ maxEntries: 1 });

export const kinds = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (!eth || eth.proto !== htons(0x0800)) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  if (!ip) return XdpAction.PASS;
  const udp = ctx.header<UdpHdr>(34);
  if (!udp) return XdpAction.PASS;
  const n = ntohs(udp.source);
  log.info(ctx, "u8={} u16={} u32={} u64={}", n as u8, n, n as u32, (n as u64) * 0x1_0000_0001);
  log.warn(ctx, "i8={} i16={} i32={} i64={}", n as i8, n as i16, -(n as i32), -(n as i64));
  log.error(ctx, "bool={} {} hex={:x} HEX={:X} {{braces}}", n > 5, n < 5, n, n as u32);
  log.debug(ctx, "be16={} be32={} ip={:ip} host={:ip}", udp.source, ip.saddr, ip.saddr, ntohl(ip.daddr));
  const tag: Tag = { pad: 1 };
  tag.bytes[0] = 0xde; tag.bytes[1] = 0xad; tag.bytes[2] = 0xbe; tag.bytes[3] = 0xef; tag.bytes[4] = n as u8;
  tag.addr[0] = 10; tag.addr[1] = 1; tag.addr[2] = 2; tag.addr[3] = 3;
  log.trace(ctx, "mac={:mac} dst={:mac} bytes={} {:X} addr={:ip}", eth.source, eth.dest, tag.bytes, tag.bytes, tag.addr);
  tail[0] = 7; tail[2] = 9;
  const v = tags.lookup(0);
  if (v) {
    v.bytes[4] = 0x55;
    log.info(ctx, "map {:x} {:ip} global {:x}", v.bytes, v.addr, tail);
  }
  log.info(ctx, "consts {} {} {:x} {}", 7, -1, 0xdead_beef_cafe, htons(80));
  return XdpAction.PASS;
});

export const v6 = xdp((ctx) => {
  const ip6 = ctx.header<Ipv6Hdr>(14);
  if (!ip6) return XdpAction.PASS;
  log.info(ctx, "{:ip} -> {:ip} next {}", ip6.saddr, ip6.daddr, ip6.nexthdr);
  return XdpAction.PASS;
});
`;

test('every argument kind, compiled and run: integers, bool, hex, be16/be32, IPv4, IPv6, MAC, byte arrays from packet, stack, map and globals', { timeout: 60_000 }, (t) => {
  if (!need(t, { kernel: true })) return;
  const obj = load(KINDS);
  const r = LogReader.open(obj, { filter: 'trace', now: () => new Date(0) });
  try {
    obj.program('kinds').testRun(udp4({ dport: 53, sport: 40001, src: [192, 168, 7, 9], dst: [10, 0, 0, 2] }), { repeat: 1 });
    obj.program('v6').testRun(udp6({ dport: 53, srcTail: [1, 2, 3, 4] }), { repeat: 1 });
    const got: LogRecord[] = [];
    for (let x = r.next(); x; x = r.next()) got.push(x);
    assert.deepEqual(got.map((x) => formatLine(x)), [
      '[1970-01-01T00:00:00Z INFO  kinds] u8=65 u16=40001 u32=40001 u64=171802986847297',
      '[1970-01-01T00:00:00Z WARN  kinds] i8=65 i16=-25535 i32=-40001 i64=-40001',
      '[1970-01-01T00:00:00Z ERROR kinds] bool=true false hex=9c41 HEX=9C41 {braces}',
      '[1970-01-01T00:00:00Z DEBUG kinds] be16=40001 be32=3232237321 ip=192.168.7.9 host=10.0.0.2',
      '[1970-01-01T00:00:00Z TRACE kinds] mac=02:00:00:00:00:01 dst=02:00:00:00:00:02 bytes=[222, 173, 190, 239, 65] DEADBEEF41 addr=10.1.2.3',
      '[1970-01-01T00:00:00Z INFO  kinds] map 0000000055 0.0.0.0 global 070009',
      '[1970-01-01T00:00:00Z INFO  kinds] consts 7 -1 deadbeefcafe 80',
      '[1970-01-01T00:00:00Z INFO  v6] fd00::102:304 -> fd00::2 next 17',
    ]);
    assert.deepEqual(got[0]!.args, [65, 40001, 40001, 171802986847297n]);
    assert.equal(got[0]!.file, 'log-test.bpf.ts');
    assert.equal(got[0]!.line, KINDS.split('\n').findIndex((l) => l.includes('log.info(ctx, "u8=')) + 1);
    assert.equal(r.stats.invalid, 0);
  } finally {
    r.close();
    obj.close();
  }
});

const processed = (o: LoadedObject, prog: string): number => Number(/processed (\d+) insns/.exec(o.program(prog).log)![1]);

test('disabled levels are dead code the verifier never walks, arguments included', { timeout: 60_000 }, (t) => {
  if (!need(t, { kernel: true })) return;
  const src = `import { xdp, XdpAction, log, ktime_get_ns, get_prandom_u32 } from "tsbpf/kernel";
export const levels = xdp((ctx) => {
  log.error(ctx, "e");
  log.info(ctx, "i {}", ktime_get_ns());
  log.debug(ctx, "d {} {}", get_prandom_u32(), ctx.ingressIfindex);
  return XdpAction.PASS;
});
`;
  const counts: Record<string, number> = {};
  for (const spec of ['off', 'error', 'warn', 'info', 'debug', 'trace', 'levels=off,info']) {
    const o = load(src, spec);
    counts[spec] = processed(o, 'levels');
    o.close();
  }
  t.diagnostic(`processed instructions by TSBPF_LOG: ${JSON.stringify(counts)}`);
  // off: `r7 = r1` at entry (ctx kept for the debug call's argument), the level settings address
  // loaded once, three 2-instruction guards (load, compare), `r0 = 2; exit` — no helper call, no
  // record store, no argument is walked
  assert.equal(counts.off, 1 + 1 + 3 * 2 + 2);
  assert.ok(counts.off! < counts.error! && counts.error! < counts.info! && counts.info! < counts.debug!);
  assert.equal(counts.error, counts.warn);
  assert.equal(counts.debug, counts.trace);
  assert.equal(counts['levels=off,info'], counts.off, 'the setting is per target (the program)');
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

const STORM = `import { xdp, XdpAction, log, ktime_get_ns } from "tsbpf/kernel";
log.configure({ ringSize: 4096 });
export const storm = xdp((ctx) => {
  log.info(ctx, "t={}", ktime_get_ns());
  return XdpAction.PASS;
});
`;

async function storm(t: TestContext, concurrent: boolean): Promise<void> {
  const N = 1_000_000;
  const obj = load(STORM, 'info');
  const r = LogReader.open(obj, { filter: 'info' });
  try {
    assert.equal(obj.model.maps.find((m) => m.name === 'tsbpf_logs')?.maxEntries, 4096);
    let received = 0;
    let lost = 0;
    let last = 0n;
    let ordered = true;
    const take = (x: LogRecord): void => {
      if (x.lost !== undefined) {
        lost += x.lost;
        return;
      }
      received++;
      const ts = x.args[0] as bigint;
      if (ts < last) ordered = false;
      last = ts;
    };
    const packet = udp4({ dport: 53 });
    if (concurrent) {
      r.subscribe(take);
      assert.match(await bpftoolRun(obj.program('storm').id, packet, N), /Return value: 2/);
    } else {
      obj.program('storm').testRun(packet, { repeat: N });
      r.subscribe(take);
    }
    r.close();
    const capacity = Math.floor((4096 - 1) / 24); // 8-byte header + 16-byte record (id, padding, u64)
    t.diagnostic(`${concurrent ? 'concurrent reader' : 'nobody reading'}: produced ${N}, received ${received}, reported lost ${lost} (ring 4096 bytes = ${capacity} records)`);
    assert.equal(received + lost, N, 'received + reported lost = produced');
    assert.equal(BigInt(lost), obj.readGlobal('tsbpf_log_lost'));
    assert.ok(ordered, 'records arrive in order');
    if (concurrent) assert.ok(received > capacity, `the reader drained while the producer ran (${received} > ${capacity})`);
    else assert.equal(received, capacity, 'a full ring, then losses');
  } finally {
    r.close();
    obj.close();
  }
}

test('storm, nobody reading: PROG_TEST_RUN ×1e6 into a 4096-byte ring (log.configure), received + lost = produced', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true })) return;
  await storm(t, false);
});

test('storm with a concurrent reader (bpftool runs ×1e6 in another process), received + lost = produced', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['bpftool'] })) return;
  await storm(t, true);
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

test('tsbpf run examples/hello-log.bpf.ts -i lo: one INFO line per packet (a ping = request + reply on lo)', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip', 'ping'] })) return;
  await withNetns(async (ns) => {
    const run = new CliProcess(ns.prefix(), ['run', join(EXAMPLES, 'hello-log.bpf.ts'), '-i', 'lo']);
    try {
      await run.waitFor(/Waiting for Ctrl-C\.\.\.\n/);
      const p = spawnSync('ip', ['netns', 'exec', ns.name, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '127.0.0.1'], { encoding: 'utf8' });
      assert.equal(p.status, 0, p.stderr);
      assert.match(p.stdout, /3 packets transmitted, 3 received/);
      const infos = () => run.lines.filter((l) => l.endsWith('] received a packet'));
      await until(() => infos().length >= 6);
      await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
      const res = await run.stop('SIGINT');
      assert.equal(res.code, 0, run.stderr);
      assert.equal(infos().length, 6, run.stdout);
      for (const l of infos()) assert.match(l, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO  hello_world\] received a packet$/);
      assert.deepEqual(run.lines, ['Waiting for Ctrl-C...', ...infos(), 'Exiting...']);
      assert.equal(xdpOf(ns.name, 'lo'), '');
    } finally {
      run.kill();
    }
  });
});

test('tsbpf run examples/udp-log.bpf.ts over a veth pair: source address, MAC and port of each datagram', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['ip'] })) return;
  await withNetnsPair(async (a, b) => {
    a.veth('ula', 'ulb', b);
    a.exec('ip', ['addr', 'add', '10.78.0.1/24', 'dev', 'ula']);
    b.exec('ip', ['addr', 'add', '10.78.0.2/24', 'dev', 'ulb']);
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(b.exec('ip', ['link', 'show', 'ulb']).stdout)![1]!;
    const run = new CliProcess(a.prefix(), ['run', join(EXAMPLES, 'udp-log.bpf.ts'), '-i', 'ula']);
    try {
      await run.waitFor(/Waiting for Ctrl-C/);
      const ports = [40123, 40124, 51000];
      const send = `const d=require('dgram');const ports=${JSON.stringify(ports)};let i=0;const go=()=>{if(i===ports.length)return;const s=d.createSocket('udp4');s.bind(ports[i],'10.78.0.2',()=>s.send('hi',5353+i,'10.78.0.1',()=>{s.close();i++;setTimeout(go,50)}))};go()`;
      const r = spawnSync('ip', ['netns', 'exec', b.name, process.execPath, '-e', send], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const udp = () => run.lines.filter((l) => l.includes('] udp from '));
      await until(() => udp().length >= 3);
      await run.stop('SIGINT');
      assert.deepEqual(udp().map((l) => l.replace(/^\[\S+Z /, '[T ')), ports.map((p, i) =>
        `[T INFO  udp_log] udp from 10.78.0.2 (${mac}) port ${p} (${p.toString(16)}) to port ${5353 + i}`));
    } finally {
      run.kill();
    }
  });
});
