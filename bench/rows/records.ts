/**
 * Row 4 (issues 3 and 5): records per second consumed while a producer runs, and the share of
 * produced records each consumer got. The producer is the same clang-built XDP program
 * (bench/c/rb-producer.bpf.c: fixed-size records into a 256 KiB ring; reservations refused
 * because the ring was full are counted in a global), driven by one PROG_TEST_RUN with a large
 * repeat from the bench process while the consumer — tsbpf's RingBuffer (bench/proc/ts-consumer.ts)
 * or libbpf's ring_buffer (bench/c/rb-consumer.c) — runs in its own process, both SCHED_FIFO
 * when possible (see realtimeConsumers). Rate = records consumed / (last consumption − start of
 * production); it depends on how fast the producer ran, so the share is the comparison. Rounds
 * alternate the consumers; medians.
 * The printk comparison runs a producer printing one bpf_printk line per run, read through
 * tsbpf's TracePipe (bench/proc/ts-trace.ts). Log records (issue 5) come when a log call compiles.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject } from '../../src/loader/index.js';
import { type BenchContext, type Row, Unavailable, median, reasonOf, requireKernel, row, unavailable } from '../harness.js';
import { benchC, buildConsumer, clangBuild, tsbpfBuild } from '../lib/build.js';
import { udp4Packet } from '../lib/packets.js';
import { Producer } from '../lib/producer.js';
import { type LineChild, consumerChild, nodeConsumer, pinDir, schedulingNote } from '../lib/sandbox.js';

export const RECORDS_GROUP = '4. Records consumed per second (producer running)';
const RECORD_SIZE = 32;
const RING_BYTES = 256 * 1024;
const SHARE_GOAL = { text: 'the same share as libbpf (issues 3, 5)', min: 0.99 };

interface StreamResult {
  rate: number;
  /** Records the producer attempted per second (it runs slower when its reservations succeed). */
  offered: number;
  share: number;
  consumed: number;
  produced: number;
  failed: number;
}

interface ConsumerReport {
  count: number;
  first: string;
  last: string;
}

async function streamRound(ctx: BenchContext, dir: string, consumer: (pin: string) => LineChild, repeat: number): Promise<StreamResult> {
  const p = await Producer.load(ctx, dir, RECORD_SIZE, RING_BYTES);
  try {
    const child = consumer(p.pin);
    await child.expect('ready');
    const [start, end] = p.produce(repeat);
    child.signal('SIGTERM');
    const r = await child.json<ConsumerReport>();
    await child.finish();
    const last = BigInt(r.last) > end ? BigInt(r.last) : end;
    const produced = p.produced;
    const failed = p.failed;
    if (r.count + failed !== produced) throw new Error(`${child.what}: consumed ${r.count} + failed ${failed} ≠ produced ${produced}`);
    return { rate: r.count / (Number(last - start) / 1e9), offered: produced / (Number(end - start) / 1e9), share: r.count / produced, consumed: r.count, produced, failed };
  } finally {
    p.close();
  }
}

function summary(xs: StreamResult[]): StreamResult {
  return {
    rate: median(xs.map((x) => x.rate)),
    offered: median(xs.map((x) => x.offered)),
    share: median(xs.map((x) => x.share)),
    consumed: median(xs.map((x) => x.consumed)),
    produced: median(xs.map((x) => x.produced)),
    failed: median(xs.map((x) => x.failed)),
  };
}

async function printkRound(ctx: BenchContext, repeat: number): Promise<StreamResult & { overruns: number }> {
  const obj = await loadObject(readFileSync(clangBuild(ctx, benchC(ctx, 'printk-producer.bpf.c'))), { name: 'printk_producer' });
  try {
    const child = nodeConsumer(ctx, 'ts-trace', ['tsbpf-bench ']);
    await child.expect('ready');
    const t0 = process.hrtime.bigint();
    obj.program('printk_produce').testRun(udp4Packet(9, 64), { repeat });
    const end = process.hrtime.bigint();
    child.signal('SIGTERM');
    const r = await child.json<ConsumerReport & { overruns: number }>(60_000);
    await child.finish();
    const produced = Number(obj.readGlobal('produced'));
    const last = BigInt(r.last) > end ? BigInt(r.last) : end;
    return { rate: r.count / (Number(last - t0) / 1e9), offered: produced / (Number(end - t0) / 1e9), share: r.count / produced, consumed: r.count, produced, failed: produced - r.count, overruns: r.overruns };
  } finally {
    obj.close();
  }
}

/** Whether a log call compiles yet (issue 5); the reason when not. */
async function logProbe(ctx: BenchContext): Promise<string | null> {
  const src = join(ctx.workDir, 'log_probe.bpf.ts');
  writeFileSync(src, 'import { xdp, XdpAction, log } from "tsbpf/kernel";\nexport const log_probe = xdp((ctx) => {\n  log.info(ctx, "received a packet");\n  return XdpAction.PASS;\n});\n');
  try {
    await tsbpfBuild(ctx, src);
    return null;
  } catch (e) {
    return reasonOf(e);
  }
}

export async function recordsRows(ctx: BenchContext): Promise<Row[]> {
  const rounds = ctx.quick ? 3 : 9;
  const repeat = ctx.quick ? 2_000_000 : 5_000_000;
  const printkRepeat = ctx.quick ? 100_000 : 300_000;
  const setup = `${RECORD_SIZE}-byte records, ${RING_BYTES / 1024} KiB ring, ${(repeat / 1e6).toFixed(0)} M produced per round, median of ${rounds} rounds`;
  const rateRow = { group: RECORDS_GROUP, name: 'ring-buffer records consumed per second while the producer runs (bound by the producer: see note; reader speed is group 7)', unit: 'records/s', anchorName: 'libbpf ring_buffer (C, gcc -O2)', better: 'higher' as const };
  const shareRow = { group: RECORDS_GROUP, name: 'share of produced records consumed', unit: 'share', anchorName: 'libbpf ring_buffer (C, gcc -O2)', better: 'higher' as const, goal: SHARE_GOAL };
  const rows: Row[] = [];
  let ts: StreamResult | undefined;
  try {
    requireKernel();
    const dir = pinDir(ctx);
    let consumerBin: string | undefined;
    let anchorWhy = '';
    try {
      consumerBin = buildConsumer(ctx);
    } catch (e) {
      anchorWhy = reasonOf(e);
    }
    const cRuns: StreamResult[] = [];
    const tsRuns: StreamResult[] = [];
    for (let i = 0; i < rounds; i++) {
      ctx.log(`ring-buffer stream round ${i + 1}/${rounds}`);
      if (consumerBin) cRuns.push(await streamRound(ctx, dir, (pin) => consumerChild(ctx, 'bench/c/rb-consumer', consumerBin!, ['stream', pin]), repeat));
      tsRuns.push(await streamRound(ctx, dir, (pin) => nodeConsumer(ctx, 'ts-consumer', ['stream', pin]), repeat));
    }
    ts = summary(tsRuns);
    const c = cRuns.length ? summary(cRuns) : undefined;
    const range = (xs: number[], f: (x: number) => string): string => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
    const spread = (xs: StreamResult[]): string =>
      `share ${range(xs.map((x) => x.share * 100), (x) => x.toFixed(1))} %, ${range(xs.map((x) => x.rate / 1e6), (x) => x.toFixed(2))} M/s, producer offered ${(median(xs.map((x) => x.offered)) / 1e6).toFixed(2)} M/s`;
    const note = `${setup}; ${schedulingNote()}; over the rounds, tsbpf: ${spread(tsRuns)}${c ? `; libbpf: ${spread(cRuns)}` : ''}; ` +
      'the rest failed to reserve (ring full), counted by the producer. The producer runs faster when its reservations fail and slower when a consumer that keeps up is woken for every record, so this rate measures the pair, not the reader: compare the share row';
    if (c) {
      rows.push(row({ ...rateRow, ours: ts.rate, anchor: c.rate, note }));
      rows.push(row({ ...shareRow, ours: ts.share, anchor: c.share }));
    } else {
      rows.push(unavailable({ ...rateRow, ours: ts.rate }, anchorWhy));
      rows.push(unavailable({ ...shareRow, ours: ts.share }, anchorWhy));
    }
  } catch (e) {
    rows.push(unavailable(rateRow, reasonOf(e)), unavailable(shareRow, reasonOf(e)));
  }

  // The same comparison for log records needs issue 5's log calls and reader.
  const logWhy = await logProbe(ctx);
  const logRow = { group: RECORDS_GROUP, name: 'log records consumed (tsbpf log reader)', unit: 'records/s', anchorName: 'libbpf ring_buffer, identical records', better: 'higher' as const };
  rows.push(unavailable(logRow, logWhy ? `needs structured logging (issue 5): ${logWhy}` : 'a log call compiles, but the bench does not drive the log reader (src/log) yet: add it to bench/rows/records.ts'));

  // printk through the trace pipe: what people use today instead of a ring buffer.
  const pkRate = { group: RECORDS_GROUP, name: 'records consumed: tsbpf ring buffer vs bpf_printk lines', unit: 'records/s', anchorName: 'bpf_printk via trace pipe (tsbpf TracePipe)', better: 'higher' as const };
  const pkShare = { ...pkRate, name: 'share consumed: tsbpf ring buffer vs bpf_printk lines', unit: 'share' };
  try {
    requireKernel();
    if (!ts) throw new Unavailable('the ring-buffer side above could not be measured');
    const pk: (StreamResult & { overruns: number })[] = [];
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
      ctx.log(`printk round ${i + 1}`);
      pk.push(await printkRound(ctx, printkRepeat));
    }
    const s = summary(pk);
    const note = `printk: ${printkRepeat.toLocaleString('en')} lines per round offered at ${(s.offered / 1e6).toFixed(2)} M/s, ${s.failed.toLocaleString('en')} lost (kernel overruns ${median(pk.map((x) => x.overruns)).toLocaleString('en')}; 4 MiB per-CPU trace buffer), parsed into TraceLine objects; ring buffer as above (producer offered ${(ts.offered / 1e6).toFixed(2)} M/s)`;
    rows.push(row({ ...pkRate, ours: ts.rate, anchor: s.rate, note }));
    rows.push(row({ ...pkShare, ours: ts.share, anchor: s.share }));
  } catch (e) {
    rows.push(unavailable(pkRate, reasonOf(e)), unavailable(pkShare, reasonOf(e)));
  }
  return rows;
}
