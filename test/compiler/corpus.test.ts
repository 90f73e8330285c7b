/**
 * The TypeScript versions of the clang corpus (examples/*.bpf.ts) against the clang builds of
 * test/corpus/*.bpf.c under BPF_PROG_TEST_RUN: over the same crafted packets (too short, non-IP,
 * IPv4 with options, IPv6, UDP to and not to the port, TCP, …) both must return the same action,
 * leave the same output packet, and end with the same map contents and globals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { loadObject, type LoadOptions } from '../../src/loader/index.js';
import type { LoadedObject } from '../../src/loader/index.js';
import { RingBuffer, bytesCodec } from '../../src/maps/index.js';
import { buildExample, craftedPackets } from './helpers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function mapDump(obj: LoadedObject, name: string): string[] {
  const base = obj.map(name);
  const m = obj.map(name, { key: bytesCodec(base.keySize), value: bytesCodec(base.valueSize) });
  return m.readAll().map(([k, v]) => `${hex(k as Uint8Array)}=${Array.isArray(v) ? (v as Uint8Array[]).map(hex).join('/') : hex(v as Uint8Array)}`).sort();
}

function globals(obj: LoadedObject): Map<string, string> {
  const out = new Map<string, string>();
  for (const def of obj.model.maps) {
    if (def.kind !== 'data') continue;
    for (const v of def.variables ?? []) {
      if (v.name.includes('____fmt')) continue;
      const val = obj.readGlobal(v.name);
      out.set(v.name, typeof val === 'bigint' ? val.toString() : JSON.stringify(val, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? hex(x) : x)));
    }
  }
  return out;
}

interface Pair {
  ts: string;
  c: string;
  prog: string;
  port?: number;
  options?: LoadOptions;
  /** Compare ring-buffer records without the bytes that hold timestamps. */
  ring?: { map: string; skip: [number, number] };
}

const PAIRS: Pair[] = [
  { ts: 'percpu-counter', c: 'percpu_counter', prog: 'xdp_stats' },
  { ts: 'udp-drop', c: 'udp_drop', prog: 'udp_drop', port: 9999 },
  { ts: 'udp-drop', c: 'udp_drop', prog: 'udp_drop', port: 7007, options: { constants: { blocked_port: 7007 } } },
  { ts: 'ringbuf-events', c: 'ringbuf', prog: 'ringbuf_events', ring: { map: 'events', skip: [8, 16] } },
  { ts: 'tail-call', c: 'calls', prog: 'xdp_dispatch' },
  { ts: 'tail-call', c: 'calls', prog: 'xdp_dispatch', options: { tailCalls: { jump_table: { 0: 'xdp_tail' } } } },
  { ts: 'tail-call', c: 'calls', prog: 'xdp_tail' },
];

for (const p of PAIRS) {
  const label = `${p.ts} ≡ ${p.c}.bpf.c (${p.prog}${p.options ? `, ${JSON.stringify(p.options)}` : ''})`;
  test(label, { timeout: 60_000 }, async (t) => {
    if (!need(t, { kernel: true, tools: ['clang'] })) return;
    const ours = await loadObject(buildExample(p.ts).object, { ...p.options, name: `ts_${p.c}` });
    const theirs = await loadObject(corpusObject(p.c), { ...p.options, name: `c_${p.c}` });
    const rings = p.ring ? [RingBuffer.open(ours.map(p.ring.map)), RingBuffer.open(theirs.map(p.ring.map))] : [];
    try {
      const records: string[][] = [[], []];
      for (const pkt of craftedPackets(p.port ?? 9999)) {
        const a = ours.program(p.prog).testRun(pkt.data);
        const b = theirs.program(p.prog).testRun(pkt.data);
        assert.equal(a.retval, b.retval, `${pkt.name}: return value`);
        assert.equal(hex(a.data), hex(b.data), `${pkt.name}: output packet`);
        rings.forEach((r, i) => {
          for (let rec = r.next(); rec; rec = r.next()) {
            const c = Uint8Array.from(rec);
            c.fill(0, p.ring!.skip[0], p.ring!.skip[1]);
            records[i].push(hex(c));
          }
          r.commit();
        });
      }
      if (p.ring) {
        assert.ok(records[0].length > 0, 'ring buffer records were produced');
        assert.deepEqual(records[0], records[1], 'ring buffer records (timestamps masked)');
      }
      for (const def of theirs.model.maps) {
        if (def.kind !== 'btf' || def.type === 27 /* ringbuf */ || def.type === 3 /* prog_array */) continue;
        assert.deepEqual(mapDump(ours, def.name), mapDump(theirs, def.name), `map ${def.name}`);
      }
      const gc = globals(theirs);
      const gt = globals(ours);
      for (const [name, v] of gc) assert.equal(gt.get(name), v, `global ${name}`);
    } finally {
      for (const r of rings) r.close();
      ours.close();
      theirs.close();
    }
  });
}
