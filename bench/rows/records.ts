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
 * tsbpf's TracePipe (bench/proc/ts-trace.ts).
 * Log records (issue 5): a TypeScript program compiled by tsbpf logs one 32-byte record per run
 * (`log.info(ctx, "record {} of {} bytes at {} on cpu {}", …)`: id, u32, 3 × u64) into its
 * `tsbpf_logs` ring (256 KiB, the default); the same PROG_TEST_RUN drives it while tsbpf's
 * LogReader (bench/proc/ts-log-consumer.ts: every record taken as a LogRecord object to keep, as
 * a reused object, with its message built, or printed as `tsbpf run` prints it) or libbpf's ring_buffer (the same C
 * consumer, raw records) reads the pinned ring; consumed + lost (the object's tsbpf_log_lost) =
 * produced is checked for both. Each round first streams a warm-up burst through the same ring
 * and waits until it is drained — identical for every consumer — and the share counts the records
 * produced after it: a JIT warms up in its first ~50 ms of a storm (the reader runs interpreted
 * code meanwhile), which is a start-up cost, reported apart in the note, not the streaming rate.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject } from '../../src/loader/index.js';
import { fdNum } from '../../src/sys/bpf.js';
import { Mapping, PROT_READ, pageSize } from '../../src/sys/mmap.js';
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
  /** Times the consumer was woken (tsbpf's reader reports it). */
  wakeups?: number;
}

interface ConsumerReport {
  count: number;
  first: string;
  last: string;
  wakeups?: number;
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
    return { rate: r.count / (Number(last - start) / 1e9), offered: produced / (Number(end - start) / 1e9), share: r.count / produced, consumed: r.count, produced, failed, wakeups: r.wakeups };
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

const LOG_PRODUCER = `import { xdp, XdpAction, log, ktime_get_ns, get_smp_processor_id, type u64 } from "tsbpf/kernel";
let seq: u64 = 0;
export const log_produce = xdp((ctx) => {
  seq++;
  log.info(ctx, "record {} of {} bytes at {} on cpu {}", seq, ctx.len, ktime_get_ns(), get_smp_processor_id() as u64);
  return XdpAction.PASS;
});
`;

/** Log-record rounds also report the warm-up burst's share (not counted in `share`). */
interface LogResult extends StreamResult {
  warmShare: number;
}

/**
 * Waits until the consumer has taken everything the producer committed (consumer position =
 * producer position), reading both through a read-only mapping of the ring's first two pages.
 */
async function ringDrained(ringFd: number, what: string, timeoutMs = 10_000): Promise<void> {
  const page = pageSize();
  const m = Mapping.map(ringFd, 2 * page, PROT_READ, 0, 'log ring positions');
  try {
    const pos = new BigUint64Array(m.buffer);
    const deadline = Date.now() + timeoutMs;
    while (pos[0] !== pos[page / 8]) {
      if (Date.now() > deadline) throw new Error(`${what} did not drain the warm-up records within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    m.close();
  }
}

/**
 * One log-record round: a fresh load of the compiled producer, its ring and .bss pinned for
 * `consumer`; `warmup` records streamed and drained first, then `repeat` measured ones.
 */
async function logRound(ctx: BenchContext, dir: string, objPath: string, consumer: (ring: string, bss: string) => LineChild, repeat: number, warmup: number): Promise<LogResult> {
  const obj = await loadObject(readFileSync(objPath), { name: 'log_produce' });
  const tag = Math.random().toString(36).slice(2, 8);
  const ringPin = join(dir, `logs-${tag}`);
  const bssPin = join(dir, `logs-bss-${tag}`);
  ctx.defer(() => { rmSync(ringPin, { force: true }); rmSync(bssPin, { force: true }); });
  try {
    const bss = obj.model.maps.find((m) => m.kind === 'data' && m.variables?.some((v) => v.name === 'tsbpf_log_lost'));
    if (!bss) throw new Error('the log producer has no tsbpf_log_lost');
    const ring = obj.map('tsbpf_logs');
    ring.pin(ringPin);
    obj.map(bss.name).pin(bssPin);
    const child = consumer(ringPin, bssPin);
    await child.expect('ready');
    const prog = obj.program('log_produce');
    const packet = udp4Packet(9, 64);
    prog.testRun(packet, { repeat: warmup });
    await ringDrained(fdNum(ring.fd), child.what);
    const warmLost = Number(obj.readGlobal('tsbpf_log_lost'));
    const start = process.hrtime.bigint();
    prog.testRun(packet, { repeat });
    const end = process.hrtime.bigint();
    child.signal('SIGTERM');
    const r = await child.json<ConsumerReport & { lost?: number }>(60_000);
    await child.finish();
    const total = Number(obj.readGlobal('seq'));
    const lost = Number(obj.readGlobal('tsbpf_log_lost'));
    if (total !== warmup + repeat) throw new Error(`the log producer ran ${total} times, not ${warmup + repeat}`);
    if (r.count + lost !== total) throw new Error(`${child.what}: consumed ${r.count} + lost ${lost} ≠ produced ${total}`);
    if (r.lost !== undefined && r.lost !== lost) throw new Error(`${child.what}: the reader reported ${r.lost} lost, the counter says ${lost}`);
    // The warm-up was drained before the measured burst: every record of it was consumed or lost.
    const failed = lost - warmLost;
    const consumed = repeat - failed;
    const last = BigInt(r.last) > end ? BigInt(r.last) : end;
    return { rate: consumed / (Number(last - start) / 1e9), offered: repeat / (Number(end - start) / 1e9), share: consumed / repeat, consumed, produced: repeat, failed, warmShare: 1 - warmLost / warmup };
  } finally {
    rmSync(ringPin, { force: true });
    rmSync(bssPin, { force: true });
    obj.close();
  }
}

/** Row 4's log-record rows: tsbpf's LogReader vs libbpf's ring_buffer on the same compiled producer. */
async function logRows(ctx: BenchContext, rounds: number, repeat: number): Promise<Row[]> {
  const warmup = ctx.quick ? 300_000 : 500_000;
  const anchorName = 'libbpf ring_buffer, identical records (raw)';
  const rateRow = { group: RECORDS_GROUP, name: 'log records consumed per second while the producer runs: LogReader → LogRecord objects', unit: 'records/s', anchorName, better: 'higher' as const };
  const shareRow = { group: RECORDS_GROUP, name: 'share of produced log records consumed (records as objects to keep)', unit: 'share', anchorName, better: 'higher' as const, goal: SHARE_GOAL };
  const reusedRow = { group: RECORDS_GROUP, name: 'share of produced log records consumed (records as reused objects: `reuse: true`, valid until the callback returns)', unit: 'share', anchorName, better: 'higher' as const, goal: SHARE_GOAL };
  const fmtShareRow = { group: RECORDS_GROUP, name: 'share of produced log records consumed, each message formatted (`record.message`; printed as `tsbpf run` prints them: see note)', unit: 'share', anchorName, better: 'higher' as const };
  try {
    requireKernel();
    const src = join(ctx.workDir, 'log_produce.bpf.ts');
    writeFileSync(src, LOG_PRODUCER);
    const { path } = await tsbpfBuild(ctx, src);
    const dir = pinDir(ctx);
    let consumerBin: string | undefined;
    let anchorWhy = '';
    try {
      consumerBin = buildConsumer(ctx);
    } catch (e) {
      anchorWhy = reasonOf(e);
    }
    const cRuns: LogResult[] = [];
    const tsRuns: LogResult[] = [];
    const reusedRuns: LogResult[] = [];
    const fmtRuns: LogResult[] = [];
    const printRuns: LogResult[] = [];
    const ours = (mode: string) => (ring: string, bss: string): LineChild => nodeConsumer(ctx, 'ts-log-consumer', [path, ring, bss, mode]);
    for (let i = 0; i < rounds; i++) {
      ctx.log(`log-record stream round ${i + 1}/${rounds}`);
      if (consumerBin) cRuns.push(await logRound(ctx, dir, path, (ring) => consumerChild(ctx, 'bench/c/rb-consumer', consumerBin!, ['stream', ring]), repeat, warmup));
      tsRuns.push(await logRound(ctx, dir, path, ours('objects'), repeat, warmup));
      reusedRuns.push(await logRound(ctx, dir, path, ours('reused'), repeat, warmup));
      fmtRuns.push(await logRound(ctx, dir, path, ours('formatted'), repeat, warmup));
      printRuns.push(await logRound(ctx, dir, path, ours('printed'), repeat, warmup));
    }
    const ts = summary(tsRuns);
    const c = cRuns.length ? summary(cRuns) : undefined;
    const pct = (xs: StreamResult[]): string => xs.map((x) => (x.share * 100).toFixed(1)).join(', ');
    const warm = (xs: LogResult[]): string => `${(median(xs.map((x) => x.warmShare)) * 100).toFixed(1)} %`;
    const note = `32-byte log records (id, u32, 3 × u64) from a tsbpf-compiled program into its 256 KiB tsbpf_logs ring, ${(repeat / 1e6).toFixed(0)} M produced per round after a ${(warmup / 1e3).toFixed(0)} k-record warm-up burst drained by the same consumer (not counted; its median share — JIT start-up for ours —: objects ${warm(tsRuns)}, reused ${warm(reusedRuns)}, messages ${warm(fmtRuns)}, printed ${warm(printRuns)}${c ? `, libbpf ${warm(cRuns)}` : ''}), median of ${rounds} rounds; ${schedulingNote()}; ` +
      `producer offered ${(ts.offered / 1e6).toFixed(2)} M/s (tsbpf objects rounds)${c ? ` / ${(c.offered / 1e6).toFixed(2)} M/s (libbpf rounds)` : ''}; shares per round, objects: ${pct(tsRuns)} %; reused: ${pct(reusedRuns)} %; messages: ${pct(fmtRuns)} %; ` +
      `printed (formatLine per record, one write of the batch's lines to /dev/null: what tsbpf run does): ${pct(printRuns)} % (median ${(summary(printRuns).share * 100).toFixed(1)} %)${c ? `; libbpf: ${pct(cRuns)} %` : ''}; ` +
      'the rest was counted lost by the program (tsbpf_log_lost) and reported by the reader; the libbpf consumer only counts raw records, ours takes each as a LogRecord (level and target read), builds its message, or prints it';
    const rows = [
      { ...rateRow, ours: ts.rate, anchor: c?.rate ?? null, note },
      { ...shareRow, ours: ts.share, anchor: c?.share ?? null },
      { ...reusedRow, ours: summary(reusedRuns).share, anchor: c?.share ?? null },
      { ...fmtShareRow, ours: summary(fmtRuns).share, anchor: c?.share ?? null },
    ];
    return c ? rows.map((r) => row(r)) : rows.map((r) => unavailable(r, anchorWhy));
  } catch (e) {
    return [rateRow, shareRow, reusedRow, fmtShareRow].map((r) => unavailable(r, reasonOf(e)));
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
    const fmtRuns: StreamResult[] = [];
    for (let i = 0; i < rounds; i++) {
      ctx.log(`ring-buffer stream round ${i + 1}/${rounds}`);
      if (consumerBin) cRuns.push(await streamRound(ctx, dir, (pin) => consumerChild(ctx, 'bench/c/rb-consumer', consumerBin!, ['stream', pin]), repeat));
      tsRuns.push(await streamRound(ctx, dir, (pin) => nodeConsumer(ctx, 'ts-consumer', ['stream', pin]), repeat));
    }
    ts = summary(tsRuns);
    const c = cRuns.length ? summary(cRuns) : undefined;
    const range = (xs: number[], f: (x: number) => string): string => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
    const woken = (xs: StreamResult[]): string => {
      const w = xs.filter((x) => x.wakeups !== undefined);
      return w.length ? `, woken ${median(w.map((x) => x.wakeups!)).toLocaleString('en')} times per round (${Math.round(median(w.map((x) => x.consumed / Math.max(1, x.wakeups!))))} records per wake-up)` : '';
    };
    const spread = (xs: StreamResult[]): string =>
      `share ${range(xs.map((x) => x.share * 100), (x) => x.toFixed(1))} %, ${range(xs.map((x) => x.rate / 1e6), (x) => x.toFixed(2))} M/s, producer offered ${(median(xs.map((x) => x.offered)) / 1e6).toFixed(2)} M/s${woken(xs)}`;
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

  // The same comparison for log records (issue 5): compiled log calls, LogReader vs libbpf.
  rows.push(...await logRows(ctx, rounds, repeat));

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
