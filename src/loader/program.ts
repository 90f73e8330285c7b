/** A loaded program: its fd, test runs (BPF_PROG_TEST_RUN), pinning, kernel info. */
import { unlinkSync } from 'node:fs';
import { bpf_prog_type, progTypeName } from '../abi/index.js';
import { ensurePinDir } from '../maps/index.js';
import { E, SysError, objPin, progInfo, progTestRun, type Fd, type ProgInfo } from '../sys/bpf.js';
import { LoadError } from './errors.js';

export interface TestRunOptions {
  /** Runs the program this many times (the duration is the average); default 1. */
  repeat?: number;
  /** Input context (`struct xdp_md`, `struct __sk_buff`, …), for program types that take one. */
  ctxIn?: Uint8Array;
  /** Room for the output packet; default the input length + 512. */
  dataSizeOut?: number;
  /** BPF_F_TEST_RUN_ON_CPU, BPF_F_TEST_XDP_LIVE_FRAMES, … */
  flags?: number;
  cpu?: number;
}

export interface TestRunOutcome {
  /** The program's return value (e.g. XDP_DROP = 1, XDP_PASS = 2). */
  retval: number;
  /** The packet after the program ran (it may have been rewritten, grown or shrunk). */
  data: Uint8Array;
  /** Average time of one run, in ns, as the kernel measured it. */
  durationNs: number;
  /** The output context, when one was passed in. */
  ctx?: Uint8Array;
}

const NEEDS_ETHERNET = new Set<number>([bpf_prog_type.BPF_PROG_TYPE_XDP, bpf_prog_type.BPF_PROG_TYPE_SCHED_CLS, bpf_prog_type.BPF_PROG_TYPE_SCHED_ACT]);
const RAW_TP = new Set<number>([bpf_prog_type.BPF_PROG_TYPE_RAW_TRACEPOINT, bpf_prog_type.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE]);
/** The kernel's limit: a raw tracepoint passes at most 12 u64 arguments. */
const RAW_TP_MAX_ARGS = 12;

/** What the kernel refuses for raw tracepoint test runs, said before it answers EINVAL. */
function rawTpChecks(name: string, packet: Uint8Array, o: TestRunOptions): void {
  const where = `testRun of '${name}' (raw_tracepoint)`;
  if (packet.length) throw new LoadError(`${where}: raw tracepoint programs take no packet (got ${packet.length} bytes)`, 'pass the tracepoint\'s arguments as ctxIn (u64 each), and an empty packet');
  if (!o.ctxIn?.byteLength) throw new LoadError(`${where}: the tracepoint's arguments are missing`, 'pass them as ctxIn: a buffer of u64 values, at least as many as the program reads');
  if (o.ctxIn.byteLength > RAW_TP_MAX_ARGS * 8) throw new LoadError(`${where}: ctxIn holds ${o.ctxIn.byteLength} bytes, the kernel takes at most ${RAW_TP_MAX_ARGS} u64 arguments (${RAW_TP_MAX_ARGS * 8} bytes)`);
  if ((o.repeat ?? 1) > 1) throw new LoadError(`${where}: the kernel runs raw tracepoint programs once per call (repeat ${o.repeat} refused)`, 'call testRun in a loop; the kernel\'s run statistics (BPF_ENABLE_STATS) give the time per run');
  if (o.dataSizeOut) throw new LoadError(`${where}: raw tracepoint programs produce no output packet (dataSizeOut ${o.dataSizeOut} refused)`);
}

export class Program {
  /** Path this program is pinned at by us (pin()), if any. */
  pinnedAt?: string;

  constructor(
    /** The name in the object (the function's symbol). */
    readonly name: string,
    readonly section: string,
    /** `bpf_prog_type` value. */
    readonly type: number,
    readonly fd: Fd,
    /** Expected attach type passed at load, if any. */
    readonly expectedAttachType: number | undefined,
    /** The verifier log, when a log level was asked for at load ('' otherwise). */
    readonly log: string,
    /** What the section names as attach target (`kprobe/do_unlinkat` → `do_unlinkat`), if anything. */
    readonly attachTarget?: string,
  ) {}

  /** `xdp`, `sched_cls`, … as bpftool names program types. */
  get typeName(): string {
    return progTypeName(this.type) ?? String(this.type);
  }

  /**
   * Runs the program once (or `repeat` times) on `packet` in the kernel, without attaching it.
   * A raw tracepoint program takes no packet: its arguments come as `ctxIn` (u64 each, as the
   * tracepoint passes them), it runs once per call and the kernel reports no duration.
   */
  testRun(packet: Uint8Array, o: TestRunOptions = {}): TestRunOutcome {
    if (NEEDS_ETHERNET.has(this.type) && packet.length < 14) {
      throw new LoadError(`testRun of '${this.name}': a ${this.typeName} program needs a packet of at least 14 bytes (an Ethernet header), got ${packet.length}`);
    }
    const rawTp = RAW_TP.has(this.type);
    if (rawTp) rawTpChecks(this.name, packet, o);
    try {
      const r = rawTp
        ? progTestRun(this.fd, { ctxIn: o.ctxIn, repeat: 0, dataSizeOut: 0, ctxSizeOut: 0, flags: o.flags, cpu: o.cpu })
        : progTestRun(this.fd, { data: packet, repeat: o.repeat, ctxIn: o.ctxIn, dataSizeOut: o.dataSizeOut, flags: o.flags, cpu: o.cpu });
      return { retval: r.retval, data: r.data, durationNs: r.duration, ...(r.ctx ? { ctx: r.ctx } : {}) };
    } catch (e) {
      if (e instanceof SysError && (e.errno === E.EINVAL || e.errno === E.ENOTSUPP)) {
        throw new SysError(e.op, e.errno, `program '${this.name}' (${this.typeName}) cannot be test-run this way`,
          'BPF_PROG_TEST_RUN supports xdp, sched_cls/act, socket filters, flow dissector, raw tracepoints, tracing, syscall programs; check the packet and ctxIn sizes');
      }
      throw e;
    }
  }

  /** The kernel's view of the program (id, tag, map ids, run statistics). */
  info(): ProgInfo {
    return progInfo(this.fd);
  }

  get id(): number {
    return this.info().id;
  }

  /** Pins the program at `path` (mounting bpffs at /sys/fs/bpf when needed). */
  pin(path: string): void {
    ensurePinDir(path);
    objPin(this.fd, path);
    this.pinnedAt = path;
  }

  /** Removes the pin made by pin() (or at `path`). */
  unpin(path = this.pinnedAt): void {
    if (!path) throw new LoadError(`program '${this.name}' is not pinned`);
    unlinkSync(path);
    if (path === this.pinnedAt) this.pinnedAt = undefined;
  }

  /** Closes our fd; the program stays loaded while links, pins or prog arrays hold it. */
  close(): void {
    this.fd.close();
  }
}
