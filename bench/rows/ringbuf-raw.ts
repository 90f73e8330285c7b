/**
 * Row 7 (issue 3): raw ring-buffer reader throughput at 8, 64 and 256-byte records — the reader
 * alone, without a producer competing for the CPU: the producer (bench/c/rb-producer.bpf.c)
 * fills a 16 MiB ring while the consumer waits, then the consumer drains everything in one call
 * (tsbpf's RingBuffer.consume vs libbpf's ring_buffer__consume, each in its own process, timed
 * inside it). Several fill/drain rounds after a warm-up drain (V8 compiles the reader during the
 * first one; its rate is quoted in the note); the figure is the median rate. tsbpf is measured twice:
 * consumeRaw (DataView + offset per record, nothing allocated — what libbpf's callback gets) and
 * consume (a Uint8Array view per record, the convenient form).
 */
import { type BenchContext, type Row, median, reasonOf, requireKernel, row, unavailable } from '../harness.js';
import { buildConsumer } from '../lib/build.js';
import { Producer, ringFootprint } from '../lib/producer.js';
import { type LineChild, consumerChild, nodeConsumer, pinDir, schedulingNote } from '../lib/sandbox.js';

export const RAW_GROUP = '7. Raw ring-buffer reader throughput (pre-filled ring)';
const RING_BYTES = 16 << 20;
const SIZES = [8, 64, 256];

/**
 * Fill/drain rounds against one consumer process: one warm-up drain (for tsbpf, V8 compiles the
 * reader's loop during it; its rate is kept as `cold`), then `rounds` measured drains.
 */
async function drainRate(ctx: BenchContext, dir: string, size: number, rounds: number, consumer: (pin: string) => LineChild): Promise<{ rate: number; cold: number; records: number }> {
  const p = await Producer.load(ctx, dir, size, RING_BYTES);
  try {
    const child = consumer(p.pin);
    await child.expect('ready');
    // The kernel keeps one byte free (a full ring would look empty), so one record fewer fits.
    const fill = Math.floor((RING_BYTES - 1) / ringFootprint(size));
    const rates: number[] = [];
    for (let i = 0; i <= rounds; i++) {
      p.produce(fill);
      child.send('go');
      const r = await child.json<{ count: number; ns: number }>();
      if (r.count !== fill || p.failed !== 0) throw new Error(`${child.what} drained ${r.count} of ${fill} records (${p.failed} reservations failed)`);
      rates.push(r.count / (r.ns / 1e9));
    }
    child.send('quit');
    await child.finish();
    return { rate: median(rates.slice(1)), cold: rates[0]!, records: fill };
  } finally {
    p.close();
  }
}

export async function ringbufRawRows(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 3 : 9;
  const rows: Row[] = [];
  let dir: string | undefined;
  let consumerBin: string | undefined;
  let setupWhy: string | undefined;
  let anchorWhy = '';
  try {
    requireKernel();
    dir = pinDir(ctx);
    try {
      consumerBin = buildConsumer(ctx);
    } catch (e) {
      anchorWhy = reasonOf(e);
    }
  } catch (e) {
    setupWhy = reasonOf(e);
  }
  for (const size of SIZES) {
    const base = { group: RAW_GROUP, name: `${size}-byte records`, unit: 'records/s', anchorName: 'libbpf ring_buffer__consume (C)', better: 'higher' as const };
    const views = { ...base, name: `${size}-byte records, consume() (a Uint8Array per record)` };
    if (setupWhy || !dir) {
      rows.push(unavailable(base, setupWhy ?? 'no pin directory'), unavailable(views, setupWhy ?? 'no pin directory'));
      continue;
    }
    try {
      ctx.log(`drain ${size}-byte records`);
      const ts = await drainRate(ctx, dir, size, rounds, (pin) => nodeConsumer(ctx, 'ts-consumer', ['drain', pin, 'raw']));
      const tsViews = await drainRate(ctx, dir, size, rounds, (pin) => nodeConsumer(ctx, 'ts-consumer', ['drain', pin, 'views']));
      const mps = (x: number): string => `${(x / 1e6).toFixed(1)} M/s`;
      const note = (anchorCold: string): string =>
        `consumeRaw; ${ts.records.toLocaleString('en')} records per fill (16 MiB ring), median of ${rounds} drains after one warm-up drain per process ` +
        `(first drain: tsbpf ${mps(ts.cold)}, consume() ${mps(tsViews.cold)}${anchorCold}); ${schedulingNote()}`;
      if (!consumerBin) {
        rows.push(unavailable({ ...base, ours: ts.rate, note: note('') }, anchorWhy), unavailable({ ...views, ours: tsViews.rate }, anchorWhy));
        continue;
      }
      const c = await drainRate(ctx, dir, size, rounds, (pin) => consumerChild(ctx, 'bench/c/rb-consumer', consumerBin!, ['drain', pin]));
      rows.push(row({ ...base, ours: ts.rate, anchor: c.rate, note: note(`, libbpf ${mps(c.cold)}`) }));
      rows.push(row({ ...views, ours: tsViews.rate, anchor: c.rate, note: 'same anchor figure as the row above' }));
    } catch (e) {
      rows.push(unavailable(base, reasonOf(e)), unavailable(views, reasonOf(e)));
    }
  }
  return rows;
}
