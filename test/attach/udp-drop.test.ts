/**
 * The corpus UDP-port drop program on a veth pair between two namespaces, with `.rodata`
 * blocked_port changed before load: datagrams to that port are dropped, others pass, observed with
 * real sockets (node dgram in each namespace), and the drops map counts exactly the datagrams sent
 * to the blocked port, keyed by the sender's address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { corpusObject } from '../helpers/corpus.js';
import { need } from '../helpers/env.js';
import { withNetnsPair } from '../helpers/netns.js';
import { loadObject } from '../../src/loader/index.js';
import { attachXdp } from '../../src/attach/xdp.js';
import { inNetns } from '../../src/sys/netns.js';

const BLOCKED = 7007; // the object's default is 9999
const OPEN = 7008;
const N = 25;

const RECEIVER = `
const dgram = require('node:dgram');
const counts = { ${BLOCKED}: 0, ${OPEN}: 0 };
let bound = 0;
for (const port of [${BLOCKED}, ${OPEN}]) {
  const s = dgram.createSocket('udp4');
  s.on('message', () => { counts[port]++; if (counts[${OPEN}] === ${N}) setTimeout(done, 300); });
  s.bind(port, '10.77.0.2', () => { if (++bound === 2) console.log('ready'); });
}
function done() { console.log(JSON.stringify(counts)); process.exit(0); }
setTimeout(done, 15000);
`;

const SENDER = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
let i = 0;
function next() {
  if (i === ${2 * N}) { s.close(); return; }
  const port = i % 2 ? ${OPEN} : ${BLOCKED};
  s.send(Buffer.from('datagram ' + i++), port, '10.77.0.2', () => setTimeout(next, 2));
}
next();
`;

test('udp_drop drops datagrams to the blocked port only, and counts them', { timeout: 120_000 }, async (t) => {
  if (!need(t, { kernel: true, tools: ['clang', 'ip', 'ping'] })) return;
  const obj = await loadObject(corpusObject('udp_drop'), { constants: { blocked_port: BLOCKED } });
  try {
    await withNetnsPair(async (a, b) => {
      a.veth('va', 'vb', b);
      a.exec('ip', ['addr', 'add', '10.77.0.1/24', 'dev', 'va']);
      b.exec('ip', ['addr', 'add', '10.77.0.2/24', 'dev', 'vb']);
      // Resolve ARP first so no datagram waits in a neighbour queue.
      assert.equal(a.exec('ping', ['-c', '1', '-W', '2', '10.77.0.2'], { allowFail: true }).status, 0, 'veth pair is up');

      const att = inNetns(b.name, () => attachXdp({ fd: obj.program('udp_drop').fd, name: 'udp_drop' }, 'vb'));
      try {
        assert.equal(att.mode, 'native');
        const rx = spawn('ip', ['netns', 'exec', b.name, process.execPath, '-e', RECEIVER], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        rx.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        const exited = new Promise<number | null>((r) => rx.once('exit', r));
        try {
          for (let i = 0; i < 200 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 25));
          assert.ok(out.includes('ready'), 'receiver bound');
          const tx = spawnSync('ip', ['netns', 'exec', a.name, process.execPath, '-e', SENDER], { encoding: 'utf8', timeout: 30_000 });
          assert.equal(tx.status, 0, tx.stderr);
          assert.equal(await exited, 0);
        } finally {
          rx.kill('SIGKILL');
        }
        const counts = JSON.parse(out.trim().split('\n').pop()!);
        assert.deepEqual(counts, { [BLOCKED]: 0, [OPEN]: N }, 'blocked port sees nothing, the other port everything');

        const drops = obj.map<number, bigint>('drops').readAll();
        const saddr = new DataView(Uint8Array.of(10, 77, 0, 1).buffer).getUint32(0, true); // as the packet carries it
        assert.deepEqual(drops, [[saddr, BigInt(N)]], 'one entry, keyed by the sender, counting every dropped datagram');
        assert.ok(Number(obj.readGlobal('seen_packets')) >= 2 * N);
      } finally {
        att.detach();
      }
    });
  } finally {
    obj.close();
  }
});
