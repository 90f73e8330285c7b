/**
 * The ring-buffer producer of rows 4 and 7 (bench/c/rb-producer.bpf.c, clang-built, loaded by
 * tsbpf's loader): a fresh object per measurement, so every consumer starts from an empty ring
 * and zeroed counters. The ring map is pinned for the consumer process and unpinned on close.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject, type LoadedObject, type Program } from '../../src/loader/index.js';
import type { BenchContext } from '../harness.js';
import { benchC, clangBuild } from './build.js';
import { udp4Packet } from './packets.js';

export class Producer {
  private constructor(
    readonly obj: LoadedObject,
    readonly prog: Program,
    /** Where the ring map is pinned. */
    readonly pin: string,
  ) {}

  static async load(ctx: BenchContext, dir: string, recordSize: number, ringBytes: number): Promise<Producer> {
    const path = clangBuild(ctx, benchC(ctx, 'rb-producer.bpf.c'), [`RECORD_SIZE=${recordSize}`]);
    const obj = await loadObject(readFileSync(path), { name: 'rb_producer', mapOptions: { records: { maxEntries: ringBytes } } });
    const pin = join(dir, `records-${recordSize}-${Math.random().toString(36).slice(2, 8)}`);
    try {
      obj.map('records').pin(pin);
    } catch (e) {
      obj.close();
      throw e;
    }
    ctx.defer(() => rmSync(pin, { force: true }));
    return new Producer(obj, obj.program('rb_produce'), pin);
  }

  /** Runs the producer `repeat` times in one BPF_PROG_TEST_RUN; returns [start, end] in monotonic ns. */
  produce(repeat: number): [bigint, bigint] {
    const t0 = process.hrtime.bigint();
    this.prog.testRun(PACKET, { repeat });
    return [t0, process.hrtime.bigint()];
  }

  get produced(): number {
    return Number(this.obj.readGlobal('produced'));
  }

  /** Reservations refused because the ring was full. */
  get failed(): number {
    return Number(this.obj.readGlobal('failed'));
  }

  close(): void {
    rmSync(this.pin, { force: true });
    this.obj.close();
  }
}

const PACKET = udp4Packet(9, 64);

/** Bytes one record takes in the ring: 8-byte header + payload, rounded up to 8. */
export function ringFootprint(recordSize: number): number {
  return (recordSize + 8 + 7) & ~7;
}
