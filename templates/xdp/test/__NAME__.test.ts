// Runs the kernel program on a crafted packet in the kernel (BPF_PROG_TEST_RUN), without
// attaching it anywhere: `sudo npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadObject } from 'tsbpf';
import { XdpAction } from 'tsbpf/kernel';

const OBJECT = fileURLToPath(new URL('../../target/bpf/__NAME__.o', import.meta.url));

/** An Ethernet frame carrying an IPv4/UDP header: 14 + 20 + 8 bytes and a few of payload. */
function packet(): Uint8Array {
  const p = new Uint8Array(64);
  p.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00], 0); // dest, source, IPv4
  p.set([0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14); // 10.0.0.1 → 10.0.0.2, UDP
  p.set([0x30, 0x39, 0x00, 0x35, 0, 30, 0, 0], 34); // port 12345 → 53
  return p;
}

test('__PROG__ passes a packet and logs it', async () => {
  const bpf = await loadObject(OBJECT, { log: 'info' });
  try {
    const logs = bpf.logs();
    const run = bpf.program('__PROG__').testRun(packet());
    assert.equal(run.retval, XdpAction.PASS);
    assert.deepEqual(run.data, packet(), 'the packet is passed unchanged');
    const record = logs.next();
    assert.equal(record?.level, 'info');
    assert.equal(record?.target, '__PROG__');
    assert.equal(record?.message, 'received a packet');
    logs.close();
  } finally {
    bpf.close();
  }
});
