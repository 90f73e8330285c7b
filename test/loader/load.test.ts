/**
 * loadObject against the real kernel: the clang corpus loads and bpftool sees it; .rodata
 * constants change behaviour under testRun; testRun agrees with `bpftool prog run`; tail calls;
 * per-CPU values; verifier rejections with source lines; no privileges; cleanup on failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadObject, LoadError, type LoadedObject } from '../../src/loader/index.js';
import { SysError, VerifierError, possibleCpus } from '../../src/sys/bpf.js';
import { TsbpfError, describeError } from '../../src/errors.js';
import { CORPUS_DIR, compileC, corpusNames, corpusObject } from '../helpers/corpus.js';
import { findTool, need } from '../helpers/env.js';
import { unique } from '../helpers/netns.js';
import { distUrl, runChild, unprivilegedPrefix } from '../sys/bpf-fixtures.js';
import { nonIp, saddrKey, udp4, udp6 } from './packets.js';

const XDP_DROP = 1;
const XDP_PASS = 2;

function bpftoolJson(args: string[]): { ok: boolean; json: any; stderr: string } {
  const r = spawnSync(findTool('bpftool')!, ['-j', ...args], { encoding: 'utf8' });
  let json: unknown;
  try { json = JSON.parse(r.stdout); } catch { json = undefined; }
  return { ok: r.status === 0, json, stderr: r.stderr };
}

/** BPF objects this process holds fds for (programs, maps, links, BTF). */
function bpfFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const l = readlinkSync(`/proc/self/fd/${fd}`);
      if (l.startsWith('anon_inode:bpf') || l === 'anon_inode:btf') out.push(`${fd}:${l}`);
    } catch { /* closed meanwhile */ }
  }
  return out.sort();
}

async function gone(kind: 'prog' | 'map', id: number): Promise<boolean> {
  // The kernel frees objects after an RCU grace period: give it a moment.
  for (let i = 0; i < 50; i++) {
    if (!bpftoolJson([kind, 'show', 'id', String(id)]).ok) return true;
    await new Promise((r) => setTimeout(r, 40));
  }
  return false;
}

async function withObject<T>(path: string, opts: Parameters<typeof loadObject>[1], fn: (o: LoadedObject) => Promise<T> | T): Promise<T> {
  const obj = await loadObject(path, opts);
  try {
    return await fn(obj);
  } finally {
    obj.close();
  }
}

test('every corpus program loads, passes the verifier and is seen by bpftool; close() unloads it', async (t) => {
  if (!need(t, { kernel: true, tools: ['bpftool', 'clang'] })) return;
  for (const name of corpusNames()) {
    const before = bpfFds();
    const ids = await withObject(corpusObject(name), {}, (obj) => {
      assert.ok(obj.programs.size > 0, `${name}: no programs`);
      const progIds: number[] = [];
      const mapIds: number[] = [];
      for (const p of obj.programs.values()) {
        const info = p.info();
        const shown = bpftoolJson(['prog', 'show', 'id', String(info.id)]);
        assert.ok(shown.ok, `${name}/${p.name}: bpftool prog show: ${shown.stderr}`);
        assert.equal(shown.json.name, p.name.slice(0, 15));
        assert.equal(shown.json.type, p.typeName);
        assert.ok(info.nrLineInfo > 0, `${name}/${p.name}: loaded without line info`);
        progIds.push(info.id);
      }
      for (const m of obj.maps.values()) {
        const info = m.info();
        const shown = bpftoolJson(['map', 'show', 'id', String(info.id)]);
        assert.ok(shown.ok, `${name}/${m.name}: bpftool map show: ${shown.stderr}`);
        assert.equal(shown.json.type, m.typeName);
        mapIds.push(info.id);
      }
      return { progIds, mapIds };
    });
    assert.deepEqual(bpfFds(), before, `${name}: fds left open after close()`);
    for (const id of ids.progIds) assert.ok(await gone('prog', id), `${name}: prog ${id} still loaded after close()`);
    for (const id of ids.mapIds) assert.ok(await gone('map', id), `${name}: map ${id} still there after close()`);
  }
});

test('udp_drop: .rodata blocked_port set before load drops that port only; drops map counts the packets', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await withObject(corpusObject('udp_drop'), { constants: { blocked_port: 8080 } }, (obj) => {
    const p = obj.program('udp_drop');
    const a: [number, number, number, number] = [10, 1, 2, 3];
    const b: [number, number, number, number] = [10, 9, 8, 7];
    assert.equal(p.testRun(udp4({ src: a, dport: 8080 })).retval, XDP_DROP);
    assert.equal(p.testRun(udp4({ src: a, dport: 9999 })).retval, XDP_PASS, 'the default port is no longer blocked');
    assert.equal(p.testRun(udp4({ src: a, dport: 8081 })).retval, XDP_PASS);
    assert.equal(p.testRun(udp4({ src: a, dport: 8080, protocol: 6 })).retval, XDP_PASS, 'TCP is not UDP');
    assert.equal(p.testRun(nonIp()).retval, XDP_PASS);
    const r = p.testRun(udp4({ src: b, dport: 8080 }), { repeat: 5 });
    assert.equal(r.retval, XDP_DROP);
    assert.ok(r.durationNs >= 0);
    assert.equal(p.testRun(udp6({ dport: 8080, srcTail: [0, 0, 0, 9] })).retval, XDP_DROP);
    const drops = obj.map<number, bigint>('drops');
    assert.equal(drops.get(saddrKey(a)), 1n);
    assert.equal(drops.get(saddrKey(b)), 5n, 'one count per run (repeat 5)');
    assert.equal(drops.get(saddrKey([0, 0, 0, 9])), 1n, 'IPv6: last 4 bytes of the source');
    assert.equal([...drops.keys()].length, 3);
    assert.equal(obj.readGlobal('blocked_port'), 8080);
    // Every run is seen: 5 single runs (non-IP included), 5 repeats, 1 IPv6.
    assert.equal(obj.readGlobal('seen_packets'), 11n);
    assert.equal(obj.readGlobal('non_ip_packets'), 1n);
    assert.throws(() => obj.writeGlobal('blocked_port', 1), (e: unknown) => e instanceof LoadError && /read-only/.test(e.message));
    // .rodata is frozen: even the raw map refuses writes from user space.
    assert.throws(() => obj.map<number, Uint8Array>('.rodata').set(0, new Uint8Array(2)), (e: unknown) => e instanceof SysError && e.code === 'EPERM');
  });
  // Defaults apply without constants.
  await withObject(corpusObject('udp_drop'), {}, (obj) => {
    assert.equal(obj.program('udp_drop').testRun(udp4({ dport: 9999 })).retval, XDP_DROP);
    assert.equal(obj.program('udp_drop').testRun(udp4({ dport: 8080 })).retval, XDP_PASS);
  });
});

test('constants: unknown names and values that do not fit are clear errors, and nothing stays open', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const before = bpfFds();
  await assert.rejects(loadObject(corpusObject('udp_drop'), { constants: { blocked_prot: 1 } }), (e: unknown) =>
    e instanceof LoadError && /'blocked_prot' is not a global variable/.test(e.message) && /blocked_port \(\.rodata\)/.test(e.hint ?? ''));
  await assert.rejects(loadObject(corpusObject('udp_drop'), { constants: { blocked_port: 70000 } }), (e: unknown) =>
    e instanceof LoadError && /constant 'blocked_port' \(\.rodata, 2 bytes\).*70000 does not fit/.test(e.message));
  assert.deepEqual(bpfFds(), before);
});

test('testRun agrees with `bpftool prog run` (return value and output packet)', async (t) => {
  if (!need(t, { kernel: true, tools: ['bpftool', 'clang'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-run-'));
  const pin = `/sys/fs/bpf/${unique('tsbpf-run')}`;
  try {
    await withObject(corpusObject('udp_drop'), { constants: { blocked_port: 5353 } }, (obj) => {
      const p = obj.program('udp_drop');
      p.pin(pin);
      try {
        for (const [i, packet] of [udp4({ dport: 5353 }), udp4({ dport: 53 }), udp6({ dport: 5353 }), nonIp(64)].entries()) {
          const ours = p.testRun(packet, { repeat: 3 });
          const input = join(dir, `in${i}`), output = join(dir, `out${i}`);
          writeFileSync(input, packet);
          const r = spawnSync(findTool('bpftool')!, ['prog', 'run', 'pinned', pin, 'data_in', input, 'data_out', output, 'repeat', '3'], { encoding: 'utf8' });
          assert.equal(r.status, 0, r.stderr);
          const m = /Return value: (\d+), duration \(average\): (\d+)ns/.exec(r.stdout + r.stderr);
          assert.ok(m, `unexpected bpftool output: ${r.stdout}${r.stderr}`);
          assert.equal(ours.retval, Number(m[1]), `packet ${i}: return value`);
          assert.deepEqual([...ours.data], [...readFileSync(output)], `packet ${i}: output packet`);
        }
      } finally {
        p.unpin();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(pin, { force: true });
  }
});

test('bpf-to-bpf calls and tail calls: prog array filled by name (options and API)', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  const short = nonIp(60), long = nonIp(200);
  await withObject(corpusObject('calls'), { tailCalls: { jump_table: { 0: 'xdp_tail' } } }, (obj) => {
    const d = obj.program('xdp_dispatch');
    assert.equal(d.testRun(short).retval, XDP_PASS);
    assert.equal(d.testRun(long).retval, XDP_DROP, 'the tail call ran xdp_tail (drops > 100 bytes)');
    assert.equal(obj.readGlobal('tail_hits'), 2);
    assert.equal(obj.progArray('jump_table').get(0), obj.program('xdp_tail').id);
  });
  await withObject(corpusObject('calls'), {}, (obj) => {
    const d = obj.program('xdp_dispatch');
    assert.equal(d.testRun(long).retval, XDP_PASS, 'empty slot: the tail call falls through');
    assert.equal(obj.readGlobal('tail_hits'), 0);
    obj.progArray('jump_table').set(0, obj.program('xdp_tail'));
    assert.equal(d.testRun(long).retval, XDP_DROP);
    assert.equal(obj.readGlobal('tail_hits'), 1);
    assert.equal(obj.progArray('jump_table').delete(0), true);
    assert.equal(d.testRun(long).retval, XDP_PASS);
  });
  await assert.rejects(loadObject(corpusObject('calls'), { tailCalls: { jump_table: { 0: 'nope' } } }), (e: unknown) => e instanceof LoadError && /slot program 'nope' is not in this object/.test(e.message));
});

test('per-CPU map values come back as one value per possible CPU', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await withObject(corpusObject('percpu_counter'), {}, (obj) => {
    obj.program('xdp_stats').testRun(nonIp(100), { repeat: 7 });
    const stats = obj.map<number, { rx_packets: bigint; rx_bytes: bigint }[]>('xdp_stats_map');
    const perCpu = stats.get(XDP_PASS)!;
    assert.equal(perCpu.length, possibleCpus());
    assert.equal(perCpu.reduce((s, x) => s + x.rx_packets, 0n), 7n);
    assert.equal(perCpu.reduce((s, x) => s + x.rx_bytes, 0n), 700n);
    const all = stats.readAll();
    assert.equal(all.length, 5);
  });
});

test('verifier rejection: VerifierError with the cause and the source line; nothing left loaded', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'bpftool'] })) return;
  const before = bpfFds();
  const path = compileC(join(CORPUS_DIR, 'bad', 'unchecked_packet.bpf.c'));
  const mapsBefore = new Set((bpftoolJson(['map', 'show']).json as { id: number }[]).map((m) => m.id));
  await assert.rejects(loadObject(path), (e: unknown) => {
    assert.ok(e instanceof VerifierError, describeError(e));
    assert.equal(e.program, 'unchecked_packet');
    assert.match(e.reason, /R1 offset is outside of the packet/);
    assert.match(e.source ?? '', /return eth->h_proto == 0 \? XDP_DROP : XDP_PASS; @ unchecked_packet\.bpf\.c:22/);
    assert.match(e.message, /^verifier rejected program 'unchecked_packet': .*R1 offset is outside of the packet \(insn \d+\); source: return eth->h_proto/);
    assert.match(e.log, /processed \d+ insns/);
    return true;
  });
  assert.deepEqual(bpfFds(), before, 'fds left open after the failed load');
  // The object's map and .bss were created before the verifier ran; they must be gone.
  const leftover = (bpftoolJson(['map', 'show']).json as { id: number; name?: string }[]).filter((m) => !mapsBefore.has(m.id) && (m.name === 'bad_counts'));
  for (const m of leftover) assert.ok(await gone('map', m.id), `map ${m.name} (${m.id}) left behind`);
});

test('no privileges: loading in a child without capabilities fails with EPERM and the hint', (t) => {
  if (!need(t, { kernel: true, tools: ['setpriv', 'clang'] })) return;
  const prefix = unprivilegedPrefix(findTool('setpriv'))!;
  const object = corpusObject('udp_drop');
  const src = `
import { loadObject } from '${distUrl('src/loader/index.js')}';
import { describeError } from '${distUrl('src/errors.js')}';
try {
  await loadObject(${JSON.stringify(object)});
  console.log(JSON.stringify({ ok: true }));
} catch (e) {
  console.log(JSON.stringify({ name: e.constructor.name, code: e.code, text: describeError(e) }));
}
`;
  const r = runChild(src, { prefix });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.name, 'BtfLoadError');
  assert.equal(res.code, 'EPERM');
  assert.match(res.text, /^bpf\(BPF_BTF_LOAD\) failed: EPERM \(operation not permitted\)\n  hint: run as root, or grant CAP_BPF and CAP_NET_ADMIN/);
});

test('unknown program names and sections, missing and bad files are clear errors', async (t) => {
  if (!need(t, { kernel: true, tools: ['clang'] })) return;
  await assert.rejects(loadObject('/nonexistent/x.o'), (e: unknown) => e instanceof LoadError && e.message === "cannot read object '/nonexistent/x.o': no such file");
  await assert.rejects(loadObject(new TextEncoder().encode('not an ELF file at all')), (e: unknown) => e instanceof TsbpfError && !(e instanceof SysError));
  await assert.rejects(loadObject(corpusObject('calls'), { programs: ['nope'] }), (e: unknown) => e instanceof LoadError && /no program 'nope'/.test(e.message) && /xdp_tail, xdp_dispatch/.test(e.hint ?? ''));
  await withObject(corpusObject('calls'), { programs: ['xdp_tail'] }, (obj) => {
    assert.deepEqual([...obj.programs.keys()], ['xdp_tail']);
    assert.throws(() => obj.program('xdp_dispatch'), (e: unknown) => e instanceof LoadError && /programs: xdp_tail/.test(e.hint ?? ''));
  });
});
