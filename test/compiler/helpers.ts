/** Shared by the compiler tests: paths, compiling examples, disassembling, crafted packets. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, compileFile, type CompileResult } from '../../src/compiler/compile.js';
import { formatDiagnostic } from '../../src/compiler/diagnostics.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const EXAMPLES = join(ROOT, 'examples');
export const TEST_DIR = join(ROOT, 'test', 'compiler');

/** Compiles an example (examples/NAME.bpf.ts); throws with the diagnostics when it does not compile. */
export function buildExample(name: string): CompileResult & { object: Uint8Array } {
  const r = compileFile(join(EXAMPLES, `${name}.bpf.ts`), { file: `examples/${name}.bpf.ts` });
  if (!r.object) throw new Error(`examples/${name}.bpf.ts does not compile:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return r as CompileResult & { object: Uint8Array };
}

/** Compiles source text; throws with the diagnostics when it does not compile. */
export function buildSource(source: string, file = 'test.bpf.ts'): CompileResult & { object: Uint8Array } {
  const r = compile(source, { file });
  if (!r.object) throw new Error(`${file} does not compile:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return r as CompileResult & { object: Uint8Array };
}

/** Runs a command on a temporary copy of `bytes` (for tools that take a file). */
export function withTempFile<T>(bytes: Uint8Array, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-c-'));
  try {
    const p = join(dir, 'obj.o');
    writeFileSync(p, bytes);
    return fn(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The instruction lines of `llvm-objdump -d` (offsets, mnemonics), without headers and relocation names. */
export function llvmInsns(path: string, section?: string): string[] {
  const args = ['-d', '--no-show-raw-insn', ...(section ? [`--section=${section}`] : []), path];
  const r = spawnSync('llvm-objdump', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`llvm-objdump failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => /^\s+\d+:\t/.test(l)).map((l) => l.trim().replace(/\s+/g, ' '));
}

// ---------------------------------------------------------------- packets

const MAC_DST = [0x02, 0, 0, 0, 0, 0x02];
const MAC_SRC = [0x02, 0, 0, 0, 0, 0x01];

function eth(proto: number, rest: number[]): Uint8Array {
  return Uint8Array.from([...MAC_DST, ...MAC_SRC, proto >> 8, proto & 0xff, ...rest]);
}

function be16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

export interface L4 {
  proto: 'udp' | 'tcp' | 'icmp';
  sport?: number;
  dport?: number;
  payload?: number[];
}

function l4(o: L4): { proto: number; bytes: number[] } {
  const payload = o.payload ?? [1, 2, 3, 4];
  if (o.proto === 'udp') return { proto: 17, bytes: [...be16(o.sport ?? 40000), ...be16(o.dport ?? 53), ...be16(8 + payload.length), 0, 0, ...payload] };
  if (o.proto === 'tcp') {
    return { proto: 6, bytes: [...be16(o.sport ?? 40000), ...be16(o.dport ?? 80), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, ...payload] };
  }
  return { proto: 1, bytes: [8, 0, 0, 0, 0, 1, 0, 1, ...payload] };
}

/** Ethernet + IPv4 (ihl words, with option bytes when ihl > 5) + L4. */
export function ipv4(o: L4 & { src?: number[]; dst?: number[]; ihl?: number; truncate?: number }): Uint8Array {
  const ihl = o.ihl ?? 5;
  const t = l4(o);
  const opts = Array.from({ length: Math.max(0, ihl * 4 - 20) }, () => 1); // NOP options
  const total = Math.max(20, ihl * 4) + t.bytes.length;
  const ip = [0x40 | (ihl & 0xf), 0, ...be16(total), 0x12, 0x34, 0, 0, 64, t.proto, 0, 0, ...(o.src ?? [10, 0, 0, 1]), ...(o.dst ?? [10, 0, 0, 2]), ...opts];
  const f = eth(0x0800, [...ip, ...t.bytes]);
  return o.truncate !== undefined ? f.slice(0, o.truncate) : f;
}

/** Ethernet + IPv6 + L4 (source address ends with srcTail). */
export function ipv6(o: L4 & { srcTail?: number[]; truncate?: number }): Uint8Array {
  const t = l4({ ...o, proto: o.proto === 'icmp' ? 'udp' : o.proto });
  const nh = o.proto === 'icmp' ? 58 : t.proto;
  const ip = [0x60, 0, 0, 0, ...be16(t.bytes.length), nh, 64, 0xfd, ...Array(11).fill(0), ...(o.srcTail ?? [0, 0, 0, 1]), 0xfd, ...Array(14).fill(0), 2];
  const f = eth(0x86dd, [...ip, ...t.bytes]);
  return o.truncate !== undefined ? f.slice(0, o.truncate) : f;
}

export function arp(len = 42): Uint8Array {
  const f = eth(0x0806, Array(Math.max(0, len - 14)).fill(0));
  return f.slice(0, len);
}

/** The crafted packets every equivalence test runs: too short, non-IP, IPv4 (with options), IPv6, UDP/TCP, to and not to the port. */
export function craftedPackets(port: number): { name: string; data: Uint8Array }[] {
  return [
    { name: 'ethernet only (IPv4 type, no IP header)', data: eth(0x0800, []) },
    { name: 'IPv4 header cut short', data: ipv4({ proto: 'udp', dport: port, truncate: 30 }) },
    { name: 'IPv4 UDP header cut short', data: ipv4({ proto: 'udp', dport: port, truncate: 38 }) },
    { name: 'IPv6 header cut short', data: ipv6({ proto: 'udp', dport: port, truncate: 40 }) },
    { name: 'IPv6 UDP header cut short', data: ipv6({ proto: 'udp', dport: port, truncate: 58 }) },
    { name: 'ARP (non-IP)', data: arp() },
    { name: 'short ARP', data: arp(14) },
    { name: 'IPv4 UDP to the port', data: ipv4({ proto: 'udp', dport: port }) },
    { name: 'IPv4 UDP to the port again (same source)', data: ipv4({ proto: 'udp', dport: port }) },
    { name: 'IPv4 UDP to the port from another source', data: ipv4({ proto: 'udp', dport: port, src: [192, 168, 7, 9] }) },
    { name: 'IPv4 UDP to another port', data: ipv4({ proto: 'udp', dport: 53 }) },
    { name: 'IPv4 with options (ihl 6) UDP to the port', data: ipv4({ proto: 'udp', dport: port, ihl: 6, src: [10, 1, 1, 1] }) },
    { name: 'IPv4 with options (ihl 15) UDP to the port', data: ipv4({ proto: 'udp', dport: port, ihl: 15, src: [10, 1, 1, 2] }) },
    { name: 'IPv4 with options (ihl 8) UDP elsewhere', data: ipv4({ proto: 'udp', dport: 5353, ihl: 8 }) },
    { name: 'IPv4 with a bogus ihl (2)', data: ipv4({ proto: 'udp', dport: port, ihl: 2 }) },
    { name: 'IPv4 TCP to the port', data: ipv4({ proto: 'tcp', dport: port }) },
    { name: 'IPv4 ICMP', data: ipv4({ proto: 'icmp' }) },
    { name: 'IPv6 UDP to the port', data: ipv6({ proto: 'udp', dport: port }) },
    { name: 'IPv6 UDP to the port, other source', data: ipv6({ proto: 'udp', dport: port, srcTail: [0, 0, 0x12, 0x34] }) },
    { name: 'IPv6 UDP to another port', data: ipv6({ proto: 'udp', dport: 123 }) },
    { name: 'IPv6 TCP to the port', data: ipv6({ proto: 'tcp', dport: port }) },
    { name: 'IPv6 ICMPv6', data: ipv6({ proto: 'icmp' }) },
    { name: 'long IPv4 UDP to the port', data: ipv4({ proto: 'udp', dport: port, payload: Array(1200).fill(7) }) },
    { name: '120-byte frame', data: ipv4({ proto: 'udp', dport: 9, payload: Array(78).fill(1) }) },
  ];
}
