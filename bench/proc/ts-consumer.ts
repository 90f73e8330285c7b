/**
 * tsbpf's side of rows 4 and 7: the RingBuffer reader in its own process, speaking the protocol of
 * bench/c/rb-consumer.c (the libbpf anchor), so both are driven and timed the same way.
 *   node dist/bench/proc/ts-consumer.js stream PIN — "ready", then consume as records arrive
 *     (wait() + consume(), what subscribe() does) until SIGTERM; drain; one JSON line.
 *   node dist/bench/proc/ts-consumer.js drain PIN — "ready"; per "go" line on stdin, consume
 *     everything available now and print count and time; "quit" ends.
 * Each record's first 8 bytes (the producer's sequence number) are read, as the C consumer does.
 */
import { createInterface } from 'node:readline';
import { RingBuffer } from '../../src/maps/ringbuf.js';
import { objGet } from '../../src/sys/bpf.js';

const [mode, pin] = process.argv.slice(2);
if ((mode !== 'stream' && mode !== 'drain') || !pin) {
  process.stderr.write('usage: ts-consumer stream|drain PINNED_MAP\n');
  process.exit(2);
}

const fd = objGet(pin);
const rb = RingBuffer.open({ fd, name: 'records' });
let count = 0;
let seqSum = 0;

function onRecord(rec: Uint8Array): void {
  const lo = (rec[0]! | (rec[1]! << 8) | (rec[2]! << 16) | (rec[3]! << 24)) >>> 0;
  const hi = (rec[4]! | (rec[5]! << 8) | (rec[6]! << 16) | (rec[7]! << 24)) >>> 0;
  seqSum += hi * 2 ** 32 + lo;
  count++;
}

const now = (): bigint => process.hrtime.bigint();

if (mode === 'stream') {
  let first = 0n;
  let last = 0n;
  process.on('SIGTERM', () => {
    if (rb.consume(onRecord) > 0) last = now();
    process.stdout.write(`${JSON.stringify({ count, first: String(first), last: String(last), sum: seqSum })}\n`, () => {
      rb.close();
      fd.close();
      process.exit(0);
    });
  });
  process.stdout.write('ready\n');
  for (;;) {
    await rb.wait();
    if (rb.consume(onRecord) > 0) {
      last = now();
      if (!first) first = last;
    }
  }
} else {
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.startsWith('quit')) break;
    count = 0;
    const t0 = now();
    rb.consume(onRecord);
    const ns = Number(now() - t0);
    process.stdout.write(`${JSON.stringify({ count, ns })}\n`);
  }
  rb.close();
  fd.close();
}
