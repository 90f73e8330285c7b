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

  /** Runs the program once (or `repeat` times) on `packet` in the kernel, without attaching it. */
  testRun(packet: Uint8Array, o: TestRunOptions = {}): TestRunOutcome {
    if (NEEDS_ETHERNET.has(this.type) && packet.length < 14) {
      throw new LoadError(`testRun of '${this.name}': a ${this.typeName} program needs a packet of at least 14 bytes (an Ethernet header), got ${packet.length}`);
    }
    try {
      const r = progTestRun(this.fd, { data: packet, repeat: o.repeat, ctxIn: o.ctxIn, dataSizeOut: o.dataSizeOut, flags: o.flags, cpu: o.cpu });
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
