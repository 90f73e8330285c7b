/**
 * tsbpf's side of rows 4 and 7: the RingBuffer reader in its own process, speaking the protocol of
 * bench/c/rb-consumer.c (the libbpf anchor), so both are driven and timed the same way.
 *   node dist/bench/proc/ts-consumer.js stream PIN — "ready", then consume as records arrive
 *     (wait() + consumeRaw(), what subscribeRaw() does) until SIGTERM; drain; one JSON line.
 *   node dist/bench/proc/ts-consumer.js drain PIN [raw|views] — "ready"; per "go" line on stdin,
 *     consume everything available now and print count and time; "quit" ends. `raw` (default)
 *     uses consumeRaw (DataView + offset, nothing allocated per record, as libbpf's callback gets
 *     a pointer), `views` uses consume() (a Uint8Array view per record).
 * Each record's first 8 bytes (the producer's sequence number) are read, as the C consumer does;
 * count and sum live in a Float64Array, like the C consumer's globals (a module-level `let`
 * holding a large number would allocate a heap number per record and measure that instead).
 */
import { createInterface } from 'node:readline';
import { RingBuffer } from '../../src/maps/ringbuf.js';
import { objGet } from '../../src/sys/bpf.js';

const [mode, pin, api = 'raw'] = process.argv.slice(2);
if ((mode !== 'stream' && mode !== 'drain') || !pin || (api !== 'raw' && api !== 'views')) {
  process.stderr.write('usage: ts-consumer stream|drain PINNED_MAP [raw|views]\n');
  process.exit(2);
}

const fd = objGet(pin);
const rb = RingBuffer.open({ fd, name: 'records' });
/** [count, sum of sequence numbers] */
const acc = new Float64Array(2);

function onRaw(view: DataView, off: number): void {
  acc[1]! += view.getUint32(off, true) + view.getUint32(off + 4, true) * 2 ** 32;
  acc[0]!++;
}

function onView(rec: Uint8Array): void {
  const lo = (rec[0]! | (rec[1]! << 8) | (rec[2]! << 16) | (rec[3]! << 24)) >>> 0;
  const hi = (rec[4]! | (rec[5]! << 8) | (rec[6]! << 16) | (rec[7]! << 24)) >>> 0;
  acc[1]! += hi * 2 ** 32 + lo;
  acc[0]!++;
}

const consume = api === 'raw' ? (): number => rb.consumeRaw(onRaw) : (): number => rb.consume(onView);
const now = (): bigint => process.hrtime.bigint();

if (mode === 'stream') {
  let first = 0n;
  let last = 0n;
  process.on('SIGTERM', () => {
    if (consume() > 0) last = now();
    process.stdout.write(`${JSON.stringify({ count: acc[0], first: String(first), last: String(last), sum: acc[1], wakeups: rb.stats.wakeups })}\n`, () => {
      rb.close();
      fd.close();
      process.exit(0);
    });
  });
  process.stdout.write('ready\n');
  for (;;) {
    await rb.wait();
    if (consume() > 0) {
      last = now();
      if (!first) first = last;
    }
  }
} else {
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.startsWith('quit')) break;
    acc[0] = 0;
    const t0 = now();
    consume();
    const ns = Number(now() - t0);
    process.stdout.write(`${JSON.stringify({ count: acc[0], ns })}\n`);
  }
  rb.close();
  fd.close();
}
