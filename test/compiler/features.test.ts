/**
 * Language features under BPF_PROG_TEST_RUN, each against results worked out independently:
 * IPv6 extension headers at variable offsets, switch, packet rewriting, adjust_head, checksums,
 * real (not unrolled) loops, struct map keys and inline struct values, LPM tries, @noinline
 * functions taking views, ring buffer output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { need } from '../helpers/env.js';
import { loadObject, type LoadedObject } from '../../src/loader/index.js';
import { bytesCodec } from '../../src/maps/index.js';
import { buildSource, ipv4, ipv6, arp, TEST_DIR } from './helpers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function withProgram(source: string, fn: (obj: LoadedObject) => void | Promise<void>): Promise<void> {
  const obj = await loadObject(buildSource(source).object, { name: 'feat' });
  try {
    await fn(obj);
  } finally {
    obj.close();
  }
}

function fixture(name: string): string {
  return readFileSync(join(TEST_DIR, 'fixtures', 'codegen', `${name}.bpf.ts`), 'utf8');
}

/** IPv6 + extension headers (each [nexthdr-after, length in 8-byte units - 1]) + L4 bytes. */
function ipv6Ext(exts: { type: number; hdrlen: number }[], l4proto: number, truncateExt = false): Uint8Array {
  const base = ipv6({ proto: 'tcp', dport: 80 });
  const eth = base.slice(0, 14);
  const ip = base.slice(14, 54);
  const l4 = base.slice(54);
  const chain: number[] = [];
  exts.forEach((e, i) => {
    const next = i + 1 < exts.length ? exts[i + 1].type : l4proto;
    const bytes = Array((e.hdrlen + 1) * 8).fill(0);
    bytes[0] = next;
    bytes[1] = e.hdrlen;
    chain.push(...bytes);
  });
  ip[6] = exts.length ? exts[0].type : l4proto;
  const all = Uint8Array.from([...eth, ...ip, ...chain, ...(truncateExt ? [] : l4)]);
  return truncateExt ? all.slice(0, all.length - 2) : all;
}

test('IPv6 extension headers at variable offsets (unrolled walk)', async (t) => {
  if (!need(t, { kernel: true })) return;
  await withProgram(fixture('ipv6-ext'), (obj) => {
    const p = obj.program('ipv6_ext');
    assert.equal(p.testRun(ipv6Ext([{ type: 0, hdrlen: 0 }, { type: 43, hdrlen: 1 }], 6)).retval, 3, 'hop-by-hop + routing + TCP → TX');
    assert.equal(p.testRun(ipv6Ext([{ type: 60, hdrlen: 2 }], 17)).retval, 2, 'dest options + UDP → PASS');
    assert.equal(p.testRun(ipv6Ext([], 6)).retval, 3, 'plain TCP → TX');
    assert.equal(p.testRun(ipv6Ext([{ type: 0, hdrlen: 0 }, { type: 43, hdrlen: 1 }], 6).slice(0, 54 + 8 + 1)).retval, 1, 'cut inside the second header → DROP');
    assert.equal(p.testRun(ipv4({ proto: 'tcp' })).retval, 2, 'IPv4 → PASS');
    const m = obj.map('l4', { key: bytesCodec(1), value: bytesCodec(8) });
    const counts = new Map(m.readAll().map(([k, v]) => [(k as Uint8Array)[0], (v as unknown as Uint8Array[]).reduce((n, b) => n + Number(Buffer.from(b).readBigUInt64LE()), 0)]));
    assert.deepEqual([...counts].sort((a, b) => a[0] - b[0]), [[6, 2], [17, 1]]);
  });
});

test('switch with fall-through and default; && / || conditions', async (t) => {
  if (!need(t, { kernel: true })) return;
  await withProgram(fixture('switch'), (obj) => {
    const p = obj.program('classify');
    const icmp = (ttl: number): Uint8Array => {
      const f = ipv4({ proto: 'icmp' });
      f[14 + 8] = ttl;
      return f;
    };
    assert.equal(p.testRun(icmp(1)).retval, 1, 'ICMP ttl 1 → DROP');
    assert.equal(p.testRun(icmp(64)).retval, 2, 'ICMP ttl 64 → PASS');
    assert.equal(p.testRun(ipv4({ proto: 'tcp', ihl: 6 })).retval, 1, 'TCP with options → DROP');
    assert.equal(p.testRun(ipv4({ proto: 'udp' })).retval, 2, 'UDP → PASS');
    const gre = ipv4({ proto: 'udp' });
    gre[14 + 9] = 47;
    assert.equal(p.testRun(gre).retval, 3, 'other protocol → TX (default)');
    assert.equal(p.testRun(arp()).retval, 2, 'ARP → PASS');
    assert.equal(p.testRun(ipv4({ proto: 'udp', truncate: 20 })).retval, 0, 'cut IPv4 header → ABORTED');
  });
});

test('packet rewriting: MAC swap through struct copies', async (t) => {
  if (!need(t, { kernel: true })) return;
  await withProgram(fixture('rewrite'), (obj) => {
    const pkt = ipv4({ proto: 'udp' });
    const r = obj.program('reflect').testRun(pkt);
    assert.equal(r.retval, 3);
    assert.equal(hex(r.data), hex(Uint8Array.from([...pkt.slice(6, 12), ...pkt.slice(0, 6), ...pkt.slice(12)])));
  });
});

const SOURCES = `
import {
  xdp, XdpAction, xdp_adjust_head, csum_diff, csum_fold, HashMap, LpmTrie, ArrayMap, RingBuf, ntohs,
  type u8, type u16, type u32, type u64, type be32, type EthHdr, type Ipv4Hdr,
} from "tsbpf/kernel";

interface Key { saddr: be32; proto: u8; }
interface Val { packets: u64; last_len: u32; }
interface Prefix { prefixlen: u32; addr: be32; }
interface Byte { v: u8; }
interface Rec { len: u32; proto: u16; }

const flows = new HashMap<Key, Val>({ maxEntries: 16 });
const deny = new LpmTrie<Prefix, u32>({ maxEntries: 16, flags: 1 });
const counter = new ArrayMap<Val>({ maxEntries: 1 });
const out = new RingBuf({ maxEntries: 4096 });

/** @noinline */
function bump(v: Val, len: u32): u32 {
  v.packets += 1;
  v.last_len = len;
  return len & 0xff;
}

export const flow = xdp((ctx) => {
  const ip = ctx.header<Ipv4Hdr>(14);
  if (!ip) return XdpAction.PASS;
  const hit = flows.lookup({ saddr: ip.saddr, proto: ip.protocol });
  if (hit) {
    hit.packets += 1;
    hit.last_len = ctx.len;
  } else flows.update({ saddr: ip.saddr, proto: ip.protocol }, { packets: 1, last_len: ctx.len });
  return XdpAction.PASS;
});

export const lpm = xdp((ctx) => {
  const ip = ctx.header<Ipv4Hdr>(14);
  if (!ip) return XdpAction.PASS;
  const rule = deny.lookup({ prefixlen: 32, addr: ip.saddr });
  return rule ? rule.value : XdpAction.PASS;
});

export const pop4 = xdp((ctx) => {
  // drop the first 4 bytes, then rewrite the new start
  if (xdp_adjust_head(ctx, 4) !== 0) return XdpAction.ABORTED;
  const eth = ctx.header<EthHdr>(0);
  if (!eth) return XdpAction.ABORTED;
  eth.dest[0] = 0xaa;
  return XdpAction.TX;
});

export const checksum = xdp((ctx) => {
  const ip = ctx.header<Ipv4Hdr>(14);
  if (!ip) return 0xffff;
  // a correct header (checksum field included) sums to 0xffff: the fold is 0
  return csum_fold(csum_diff(null, ip, 0) as u32);
});

export const sum_loop = xdp((ctx) => {
  // a real loop (too long to unroll) reading one byte per iteration at a variable offset
  let sum: u32 = 0;
  for (let i: u32 = 0; i < 40; i++) {
    const b = ctx.header<Byte>(i);
    if (!b) break;
    sum += b.v;
  }
  return sum;
});

export const noinline_view = xdp((ctx) => {
  const v = counter.lookup(0);
  if (!v) return 0;
  return bump(v, ctx.len);
});

export const ring_output = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (!eth) return XdpAction.PASS;
  const r: Rec = { len: ctx.len, proto: ntohs(eth.proto) };
  out.output(r);
  return XdpAction.PASS;
});
`;

test('struct map keys, inline struct values, LPM trie, adjust_head, checksums, loops, @noinline with a view, ring output', async (t) => {
  if (!need(t, { kernel: true })) return;
  await withProgram(SOURCES, async (obj) => {
    // flows: struct key built inline, value inline on first sight
    const a = ipv4({ proto: 'udp', src: [10, 0, 0, 1] });
    const b = ipv4({ proto: 'tcp', src: [10, 0, 0, 1] });
    for (const pkt of [a, a, b]) assert.equal(obj.program('flow').testRun(pkt).retval, 2);
    const flows = obj.map('flows', { key: bytesCodec(8), value: bytesCodec(16) }).readAll()
      .map(([k, v]) => `${hex(k as Uint8Array)}=${hex(v as Uint8Array)}`).sort();
    const val = (n: number, len: number): string => hex(Uint8Array.from([n, 0, 0, 0, 0, 0, 0, 0, len & 0xff, len >> 8, 0, 0, 0, 0, 0, 0]));
    assert.deepEqual(flows, [`0a00000106000000=${val(1, b.length)}`, `0a00000111000000=${val(2, a.length)}`]);

    // LPM: 10.0.0.0/8 → DROP (1); a /32 lookup of 10.1.2.3 matches it
    obj.map('deny', { key: bytesCodec(8), value: bytesCodec(4) }).set(Uint8Array.from([8, 0, 0, 0, 10, 0, 0, 0]), Uint8Array.from([1, 0, 0, 0]));
    assert.equal(obj.program('lpm').testRun(ipv4({ proto: 'udp', src: [10, 1, 2, 3] })).retval, 1);
    assert.equal(obj.program('lpm').testRun(ipv4({ proto: 'udp', src: [192, 168, 1, 1] })).retval, 2);

    // adjust_head: 4 bytes shorter, first byte rewritten through a view read after the move
    const pkt = ipv4({ proto: 'udp' });
    const r = obj.program('pop4').testRun(pkt);
    assert.equal(r.retval, 3);
    assert.equal(hex(r.data), hex(Uint8Array.from([0xaa, ...pkt.slice(5)])));

    // checksum of a valid header folds to 0; a broken one does not
    const good = ipv4({ proto: 'udp' });
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += (good[i] << 8) | good[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const csum = ~sum & 0xffff;
    good[24] = csum >> 8;
    good[25] = csum & 0xff;
    assert.equal(obj.program('checksum').testRun(good).retval, 0);
    const bad = Uint8Array.from(good);
    bad[22] ^= 0x10;
    assert.notEqual(obj.program('checksum').testRun(bad).retval, 0);

    // a 40-iteration loop summing packet bytes
    const bytes = Uint8Array.from({ length: 60 }, (_, i) => (i * 7) & 0xff);
    const want = [...bytes.slice(0, 40)].reduce((n, x) => n + x, 0);
    assert.equal(obj.program('sum_loop').testRun(bytes).retval, want);
    assert.equal(obj.program('sum_loop').testRun(bytes.slice(0, 30)).retval, [...bytes.slice(0, 30)].reduce((n, x) => n + x, 0), 'stops at the end of a short packet');

    // @noinline function changing a map value through its pointer
    assert.equal(obj.program('noinline_view').testRun(bytes).retval, 60);
    assert.equal(obj.program('noinline_view').testRun(bytes.slice(0, 20)).retval, 20);
    const c = obj.map('counter', { key: bytesCodec(4), value: bytesCodec(16) }).get(new Uint8Array(4)) as Uint8Array;
    assert.equal(hex(c), hex(Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0])));
  });
});

test('the maps fixture loads and counts by EtherType', async (t) => {
  if (!need(t, { kernel: true })) return;
  const pinDir = `/sys/fs/bpf/tsbpf-features-${process.pid}`;
  const obj = await loadObject(buildSource(fixture('maps')).object, { name: 'maps', pinPath: pinDir });
  try {
    const p = obj.program('maps');
    for (const pkt of [ipv4({ proto: 'udp' }), ipv4({ proto: 'tcp' }), arp()]) assert.equal(p.testRun(pkt).retval, 2);
    const seen = obj.map('seen', { key: bytesCodec(2), value: bytesCodec(8) }).readAll().map(([k, v]) => `${hex(k as Uint8Array)}=${hex(v as Uint8Array)}`).sort();
    assert.deepEqual(seen, ['0008=0200000000000000', '0608=0100000000000000']);
    assert.equal(obj.map('flows').readAll().length, 2);
  } finally {
    obj.close();
    const { rmSync } = await import('node:fs');
    rmSync(pinDir, { recursive: true, force: true });
  }
});

test('inlined parameters passed as `rest + constant`: header offsets and plain values', async (t) => {
  if (!need(t, { kernel: true })) return;
  // `off` and `x` are read once: the sum is formed where it is read (folded into the header
  // access for `off`); `both` reads its parameter twice and gets it as one value
  const src = `
import { xdp, XdpAction, ntohs, type u32, type XdpContext, type Ipv4Hdr, type UdpHdr } from "tsbpf/kernel";
function dport(ctx: XdpContext, off: u32): u32 {
  const udp = ctx.header<UdpHdr>(off);
  if (!udp) return 0;
  return ntohs(udp.dest);
}
function plus_one(x: u32): u32 { return x + 1; }
function both(ctx: XdpContext, off: u32): u32 {
  const udp = ctx.header<UdpHdr>(off);
  if (!udp) return off;
  return off + ntohs(udp.source);
}
export const by_port = xdp((ctx) => {
  const ip = ctx.header<Ipv4Hdr>(14);
  if (!ip) return XdpAction.ABORTED;
  return dport(ctx, 14 + ip.ihl * 4) === 53 ? XdpAction.DROP : XdpAction.PASS;
});
export const by_value = xdp((ctx) => {
  const ip = ctx.header<Ipv4Hdr>(14);
  if (!ip) return XdpAction.ABORTED;
  return plus_one(ip.ihl * 4 + 4) === 25 ? XdpAction.DROP : XdpAction.PASS;
});
export const by_both = xdp((ctx) => {
  const ip = ctx.header<Ipv4Hdr>(14);
  if (!ip) return XdpAction.ABORTED;
  return both(ctx, 14 + ip.ihl * 4) === 34 + 40000 ? XdpAction.DROP : XdpAction.PASS;
});
`;
  await withProgram(src, (obj) => {
    const run = (prog: string, pkt: Uint8Array): number => obj.program(prog).testRun(pkt).retval;
    assert.equal(run('by_port', ipv4({ proto: 'udp', dport: 53 })), 1, 'port 53 right after a 20-byte header');
    assert.equal(run('by_port', ipv4({ proto: 'udp', dport: 53, ihl: 7 })), 1, 'port 53 after options');
    assert.equal(run('by_port', ipv4({ proto: 'udp', dport: 54, ihl: 6 })), 2);
    assert.equal(run('by_port', ipv4({ proto: 'udp', dport: 53, ihl: 6, truncate: 14 + 24 + 3 })), 2, 'UDP header cut: 0, not 53');
    assert.equal(run('by_value', ipv4({ proto: 'udp' })), 1, 'ihl 5: 20 + 4 + 1 = 25');
    assert.equal(run('by_value', ipv4({ proto: 'udp', ihl: 6 })), 2);
    assert.equal(run('by_both', ipv4({ proto: 'udp', sport: 40000 })), 1, '34 + source port');
    assert.equal(run('by_both', ipv4({ proto: 'udp', sport: 40000, ihl: 6 })), 2);
  });
});
