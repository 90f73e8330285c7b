/**
 * sk_buff programs compiled from TypeScript, in the kernel:
 * - under BPF_PROG_TEST_RUN against clang builds of the same C (test/compiler/c/): the tc
 *   classifier (examples/tc-rewrite: return value, output packet — a rewritten port with the
 *   checksum the kernel updated —, the __sk_buff out (mark), per-CPU counters), the socket filter
 *   (bytes kept, counters) and the cgroup_skb program (verdict, byte counts);
 * - attached for real: the classifier on a veth in a namespace rewriting datagrams a receiver
 *   then gets on the new port; the socket filter on a UDP socket refusing one sender; the
 *   cgroup_skb program on a cgroup whose process gets EPERM for the blocked port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { compileC } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { withNetns, unique } from '../helpers/netns.js';
import { loadObject, type LoadedObject } from '../../src/loader/index.js';
import { bytesCodec } from '../../src/maps/index.js';
import { attachTc, attachCgroup, attachSocketFilter, cgroup2Mounts } from '../../src/attach/index.js';
import { bpf_attach_type } from '../../src/abi/index.js';
import { inNetns } from '../../src/sys/netns.js';
import { errno, libcFunc, pinnedBytes } from '../../src/sys/libc.js';
import { buildExample, TEST_DIR } from './helpers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const cObject = (name: string): string => compileC(join(TEST_DIR, 'c', `${name}.bpf.c`));

function mapDump(obj: LoadedObject, name: string): string[] {
  const base = obj.map(name);
  const m = obj.map(name, { key: bytesCodec(base.keySize), value: bytesCodec(base.valueSize) });
  return m.readAll().map(([k, v]) => `${hex(k as Uint8Array)}=${Array.isArray(v) ? (v as Uint8Array[]).map(hex).join('/') : hex(v as Uint8Array)}`).sort();
}

/** RFC 768 checksum over the IPv4 pseudo-header and the UDP datagram (0 → 0xffff). */
function udpChecksum(ip: Uint8Array, udp: Uint8Array): number {
  const words: number[] = [];
  const add = (b: Uint8Array): void => {
    for (let i = 0; i < b.length; i += 2) words.push((b[i]! << 8) | (b[i + 1] ?? 0));
  };
  add(ip.subarray(12, 20));
  words.push(17, udp.length);
  const u = Uint8Array.from(udp);
  u[6] = 0;
  u[7] = 0;
  add(u);
  let s = words.reduce((a, b) => a + b, 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  return c === 0 ? 0xffff : c;
}

/** Ethernet + IPv4 + UDP with a valid checksum (or 0 = none) and `payload` bytes. */
function udpFrame(sport: number, dport: number, opts: { checksum?: boolean; ihl?: number; payload?: number } = {}): Uint8Array {
  const ihl = opts.ihl ?? 5;
  const plen = opts.payload ?? 12;
  const ipLen = ihl * 4;
  const f = new Uint8Array(14 + ipLen + 8 + plen);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
  const ip = f.subarray(14, 14 + ipLen);
  ip.set([0x40 | ihl, 0, 0, ipLen + 8 + plen, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  ip.fill(1, 20); // NOP options
  const udp = f.subarray(14 + ipLen);
  udp.set([sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 8 + plen, 0, 0]);
  for (let i = 0; i < plen; i++) udp[8 + i] = (i * 37 + dport) & 0xff;
  if (opts.checksum !== false) {
    const c = udpChecksum(ip, udp);
    udp[6] = c >> 8;
    udp[7] = c & 0xff;
  }
  return f;
}

function tcpFrame(): Uint8Array {
  const f = new Uint8Array(54);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  f.set([0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff], 34);
  return f;
}

test('tc-rewrite ≡ tc_rewrite.bpf.c under test runs: verdict, packet, checksum, skb->mark, counters', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const ours = await loadObject(buildExample('tc-rewrite').object, { name: 'ts_tcr' });
  const theirs = await loadObject(cObject('tc_rewrite'), { name: 'c_tcr' });
  try {
    const packets: [string, Uint8Array][] = [
      ['UDP to from_port (checksum)', udpFrame(40000, 7000)],
      ['UDP to from_port (no checksum)', udpFrame(40001, 7000, { checksum: false })],
      ['UDP to from_port, IP options', udpFrame(40002, 7000, { ihl: 7 })],
      ['UDP to blocked_port', udpFrame(40003, 9999)],
      ['UDP elsewhere', udpFrame(40004, 53)],
      ['TCP', tcpFrame()],
      // (IPv4 frames shorter than an IP header are refused by the test-run code itself: EINVAL)
      ['IPv4 header only', udpFrame(1, 7000).slice(0, 34)],
      ['ARP', Uint8Array.from([...udpFrame(1, 1).subarray(0, 12), 8, 6, ...new Uint8Array(28)])],
    ];
    for (const [name, pkt] of packets) {
      const ctxIn = new Uint8Array(192);
      const a = ours.program('tc_rewrite').testRun(pkt, { ctxIn });
      const b = theirs.program('tc_rewrite').testRun(pkt, { ctxIn });
      assert.equal(a.retval, b.retval, `${name}: verdict`);
      assert.equal(hex(a.data), hex(b.data), `${name}: output packet`);
      assert.equal(hex(a.ctx!.subarray(0, 12)), hex(b.ctx!.subarray(0, 12)), `${name}: __sk_buff len/pkt_type/mark`);
    }
    assert.deepEqual(mapDump(ours, 'counters'), mapDump(theirs, 'counters'), 'counters');
    // independently: the rewrite hit the port and left a valid checksum
    const r = ours.program('tc_rewrite').testRun(udpFrame(40000, 7000), { ctxIn: new Uint8Array(192) });
    const udp = r.data.subarray(34);
    assert.equal((udp[2]! << 8) | udp[3]!, 7001, 'destination port rewritten');
    assert.equal((udp[6]! << 8) | udp[7]!, udpChecksum(r.data.subarray(14, 34), udp), 'checksum valid after the rewrite');
    assert.equal(new DataView(r.ctx!.buffer, r.ctx!.byteOffset).getUint32(8, true), 0x111, 'skb->mark = 0x100 | IPPROTO_UDP');
    assert.equal(ours.program('tc_rewrite').testRun(udpFrame(1, 9999)).retval, 2, 'TC_ACT_SHOT for the blocked port');
  } finally {
    ours.close();
    theirs.close();
  }
});

test('socket-filter ≡ socket_filter.bpf.c and cgroup-skb ≡ cgroup_skb.bpf.c under test runs', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  for (const [ex, c, prog, map] of [['socket-filter', 'socket_filter', 'udp_filter', 'verdicts'], ['cgroup-skb', 'cgroup_skb', 'egress_guard', 'bytes']] as const) {
    const ours = await loadObject(buildExample(ex).object, { name: `ts_${c}`.slice(0, 10) });
    const theirs = await loadObject(cObject(c), { name: `c_${c}`.slice(0, 10) });
    try {
      const packets = [udpFrame(9999, 53), udpFrame(1234, 9999), udpFrame(1234, 53, { ihl: 6 }), tcpFrame(), udpFrame(1, 1).slice(0, 38), udpFrame(9999, 1, { payload: 300 })];
      for (const [i, pkt] of packets.entries()) {
        const a = ours.program(prog).testRun(pkt);
        const b = theirs.program(prog).testRun(pkt);
        assert.equal(a.retval, b.retval, `${ex} packet ${i}: return value`);
      }
      assert.deepEqual(mapDump(ours, map), mapDump(theirs, map), `${ex}: map ${map}`);
    } finally {
      ours.close();
      theirs.close();
    }
  }
});

/** Runs python3 in namespace `ns` (UDP senders and receivers). */
function py(ns: string, code: string, timeout = 10_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'python3', '-c', code], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('tc-rewrite on a veth ingress: datagrams to 7000 arrive on 7001, 9999 is dropped', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['python3'] })) return;
  const obj = await loadObject(buildExample('tc-rewrite').object, { name: 'tcr_live' });
  try {
    await withNetns(async (a) => withNetns(async (b) => {
      const peer = b.name;
      a.veth('va', 'vb', b);
      a.exec('ip', ['addr', 'add', '10.77.0.1/24', 'dev', 'va']);
      b.exec('ip', ['addr', 'add', '10.77.0.2/24', 'dev', 'vb']);
      const link = inNetns(peer, () => attachTc(obj.program('tc_rewrite'), 'vb', { direction: 'ingress' }));
      try {
        // receivers on 7000, 7001 and 9999 in the peer; the sender in the first namespace
        const recv = spawnSync('sh', ['-c', `ip netns exec ${peer} python3 -c '
import socket, select
socks = []
for port in (7000, 7001, 9999):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.77.0.2", port)); socks.append(s)
print("ready", flush=True)
got = []
while True:
    r, _, _ = select.select(socks, [], [], 1.5)
    if not r: break
    for s in r:
        data, addr = s.recvfrom(100); got.append("%d:%s" % (s.getsockname()[1], data.decode()))
print(" ".join(sorted(got)))
' & sleep 0.5; ip netns exec ${a.name} python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port, text in ((7000, "rewritten"), (9999, "blocked"), (7001, "direct")):
    s.sendto(text.encode(), ("10.77.0.2", port))
'; wait`], { encoding: 'utf8', timeout: 20_000 });
        assert.equal(recv.status, 0, recv.stderr);
        const lines = recv.stdout.trim().split('\n');
        assert.equal(lines[0], 'ready');
        assert.equal(lines[1], '7001:direct 7001:rewritten', 'the datagram to 7000 arrived on 7001, the one to 9999 was dropped');
        const per = obj.map('counters').get(3) as bigint[];
        assert.ok(per.reduce((x, y) => x + y, 0n) >= 1n, 'the drop was counted');
      } finally {
        inNetns(peer, () => link.detach());
      }
    }));
  } finally {
    obj.close();
  }
});

const AF_INET = 2, SOCK_DGRAM = 2, MSG_DONTWAIT = 0x40, EAGAIN = 11;

/** A UDP socket bound to 127.0.0.1:port in the current namespace (libc: its fd is ours to attach to). */
function udpSocket(port: number): number {
  const fd = libcFunc('int socket(int domain, int type, int protocol)')(AF_INET, SOCK_DGRAM, 0) as number;
  if (fd < 0) throw new Error(`socket: errno ${errno()}`);
  const sa = pinnedBytes(16);
  sa.fill(0);
  sa.set([AF_INET, 0, port >> 8, port & 255, 127, 0, 0, 1]);
  if ((libcFunc('int bind(int fd, const void *addr, uint32_t len)')(fd, sa, 16) as number) < 0) throw new Error(`bind: errno ${errno()}`);
  return fd;
}

function drain(fd: number): string[] {
  const buf = pinnedBytes(256);
  const out: string[] = [];
  const recv = libcFunc('long recv(int fd, void *buf, unsigned long len, int flags)');
  for (;;) {
    const n = Number(recv(fd, buf, 256, MSG_DONTWAIT));
    if (n < 0) {
      if (errno() === EAGAIN) return out;
      throw new Error(`recv: errno ${errno()}`);
    }
    out.push(Buffer.from(buf.subarray(0, n)).toString());
  }
}

test('socket-filter on a UDP socket: the datagram from the blocked port never arrives', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['python3'] })) return;
  const obj = await loadObject(buildExample('socket-filter').object, { name: 'sf_live' });
  const close = libcFunc('int close(int fd)');
  try {
    await withNetns((ns) => {
      const fd = inNetns(ns.name, () => udpSocket(7777));
      try {
        const att = attachSocketFilter(obj.program('udp_filter'), fd);
        const r = py(ns.name, `
import socket
for sport, text in ((9999, "from-blocked"), (1234, "from-allowed")):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", sport)); s.sendto(text.encode(), ("127.0.0.1", 7777)); s.close()
`);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(drain(fd), ['from-allowed']);
        assert.deepEqual([...obj.map('verdicts').entries()].map(([k, v]) => [k, v]), [[0, 1n], [1, 1n]]);
        att.detach();
      } finally {
        close(fd);
      }
    });
  } finally {
    obj.close();
  }
});

test('cgroup-skb on a cgroup egress: its process gets EPERM for the blocked port, bytes are counted', { timeout: 60_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['python3'] })) return;
  const root = cgroup2Mounts()[0];
  if (!root) {
    t.skip('no cgroup v2 mount');
    return;
  }
  const cg = join(root, unique('tsbpf-cg'));
  mkdirSync(cg);
  const obj = await loadObject(buildExample('cgroup-skb').object, { name: 'cg_live' });
  try {
    await withNetns((ns) => {
      const link = attachCgroup(obj.program('egress_guard'), cg, bpf_attach_type.BPF_CGROUP_INET_EGRESS);
      try {
        const script = join(tmpdir(), `${unique('tsbpf-send')}.py`);
        writeFileSync(script, `
import socket, errno
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in (1234, 9999):
    try:
        s.sendto(b"x" * 10, ("127.0.0.1", port)); print(port, "sent")
    except OSError as e:
        print(port, errno.errorcode[e.errno])
`);
        try {
          const r = spawnSync('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec ip netns exec ${ns.name} python3 ${script}`], { encoding: 'utf8', timeout: 20_000 });
          assert.equal(r.status, 0, r.stderr);
          assert.equal(r.stdout.trim(), '1234 sent\n9999 EPERM');
        } finally {
          if (existsSync(script)) spawnSync('rm', ['-f', script]);
        }
        const udp = obj.map('bytes').get(17) as bigint;
        assert.equal(udp, 2n * (20n + 8n + 10n), 'both datagrams were counted (IP + UDP + payload bytes)');
      } finally {
        link.detach();
      }
    });
  } finally {
    obj.close();
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(cg);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100)); // the process is still leaving the cgroup
      }
    }
  }
});
