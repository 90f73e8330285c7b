/** Typed errors (no kernel): errno names and hints, and finding the cause in verifier logs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E, SysError, VerifierError, diagnoseVerifierLog, errnoName, hintFor, lockdownMode } from '../../src/sys/errors.js';
import { TsbpfError, describeError } from '../../src/errors.js';
import { parseCpuList } from '../../src/sys/bpf-cpus.js';

test('errno names and SysError messages', () => {
  assert.equal(errnoName(1), 'EPERM');
  assert.equal(errnoName(28), 'ENOSPC');
  assert.equal(errnoName(524), 'ENOTSUPP');
  assert.equal(errnoName(4242), 'E4242');
  const e = new SysError('bpf(BPF_MAP_CREATE) for map \'x\'', E.EINVAL, 'array needs key_size 4 (got 8)');
  assert.ok(e instanceof TsbpfError);
  assert.equal(e.kind, 'SYS');
  assert.equal(e.message, "bpf(BPF_MAP_CREATE) for map 'x' failed: EINVAL (invalid argument): array needs key_size 4 (got 8)");
  assert.equal(e.code, 'EINVAL');
  assert.equal(e.errno, 22);
});

test('hints: privileges, ids, pins, full maps, sizes', () => {
  const asRoot = process.getuid?.() === 0;
  assert.match(hintFor('socket(AF_NETLINK)', E.EPERM)!, /CAP_BPF and CAP_NET_ADMIN/);
  assert.match(hintFor('bpf(BPF_MAP_UPDATE_ELEM) for map \'x.rodata\'', E.EPERM)!, /frozen/);
  // Root getting EPERM: lockdown when the kernel is locked down (it is named), else memlock.
  const rootHint = lockdownMode() ? new RegExp(`lockdown mode '${lockdownMode()}'`) : /RLIMIT_MEMLOCK|ulimit -l/;
  assert.match(hintFor('bpf(BPF_PROG_LOAD)', E.EPERM)!, asRoot ? rootHint : /CAP_BPF/);
  assert.match(hintFor('bpf(BPF_MAP_GET_FD_BY_ID) for map id 4', E.ENOENT)!, /unloaded/);
  assert.match(hintFor('bpf(BPF_OBJ_GET) for \'/sys/fs/bpf/x\'', E.ENOENT)!, /nothing is pinned/);
  assert.match(hintFor('bpf(BPF_MAP_UPDATE_ELEM)', E.E2BIG)!, /full/);
  assert.match(hintFor('bpf(BPF_PROG_LOAD)', E.E2BIG)!, /too large|does not know/);
  assert.equal(hintFor('bpf(BPF_MAP_LOOKUP_ELEM)', E.ENOENT), undefined);
  assert.match(describeError(new SysError('bpf(BPF_MAP_CREATE)', E.EPERM)), /\n {2}hint: /);
});

const PACKET_LOG = `func#0 @0
0: R1=ctx() R10=fp0
; struct ethhdr *eth = (void *)(long)ctx->data; @ t.bpf.c:19
0: (61) r1 = *(u32 *)(r1 +0)          ; R1=pkt(r=0)
; return eth->h_proto == 0 ? XDP_DROP : XDP_PASS; @ t.bpf.c:22
6: (71) r2 = *(u8 *)(r1 +12)
invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)
R1 offset is outside of the packet
processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

test('verifier log: the cause, its instruction and the source line', () => {
  const d = diagnoseVerifierLog(PACKET_LOG);
  assert.equal(d.reason, 'invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0): R1 offset is outside of the packet');
  assert.equal(d.insn, 6);
  assert.equal(d.source, 'return eth->h_proto == 0 ? XDP_DROP : XDP_PASS; @ t.bpf.c:22');
  const single = diagnoseVerifierLog(`0: R1=ctx() R10=fp0\n0: (b7) r2 = 0                        ; R2_w=0\n1: (71) r0 = *(u8 *)(r2 +0)\nR2 invalid mem access 'scalar'\nprocessed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n`);
  assert.deepEqual(single, { reason: "R2 invalid mem access 'scalar'", insn: 1, source: undefined });
  const helper = diagnoseVerifierLog('0: R1=ctx() R10=fp0\n0: (85) call bpf_trace_printk#6\ncannot call GPL-restricted function from non-GPL compatible program\nprocessed 1 insns (limit 1000000)\n');
  assert.equal(helper.reason, 'cannot call GPL-restricted function from non-GPL compatible program');
  assert.equal(helper.insn, 0);
  assert.equal(diagnoseVerifierLog('').reason, 'the verifier gave no reason (empty log)');
  // Without instruction lines (a load-time check): the message is the cause.
  assert.deepEqual(diagnoseVerifierLog('unknown opcode 8d\nverification time 5 usec\n'), { reason: 'unknown opcode 8d', insn: undefined, source: undefined });
});

test('VerifierError: one-line message, full log kept', () => {
  const e = new VerifierError('udp_drop', E.EACCES, PACKET_LOG);
  assert.equal(e.kind, 'VERIFIER');
  assert.equal(e.message.split('\n').length, 1);
  assert.match(e.message, /^verifier rejected program 'udp_drop': .*outside of the packet \(insn 6\); source: return eth->h_proto .* @ t\.bpf\.c:22$/);
  assert.equal(e.log, PACKET_LOG);
  assert.match(e.hint ?? '', /--verbose/);
});

test('CPU lists', () => {
  assert.deepEqual(parseCpuList('0-3,5,7-8\n'), [0, 1, 2, 3, 5, 7, 8]);
  assert.deepEqual(parseCpuList('0'), [0]);
  assert.throws(() => parseCpuList('a-b'), TsbpfError);
});
