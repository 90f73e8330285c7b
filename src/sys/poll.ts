/**
 * Readiness waiting (ring buffer maps, perf event rings, trace_pipe) that never blocks the main
 * thread and never spins: one epoll instance per process; while any registration is armed,
 * exactly one `epoll_wait` runs as a koffi async call on a libuv pool thread with no timeout, and
 * its completion dispatches the ready callbacks on the main thread.
 *
 * Registrations are one-shot (EPOLLONESHOT): a callback fires once, then the fd stays quiet until
 * its owner calls `rearm` — after draining it, or when someone waits for more. A reader whose
 * consumer is busy elsewhere therefore cannot make the poller spin on a still-readable fd. An
 * eventfd in the set wakes the pending wait when nothing armed is left, releasing the pool thread
 * so the process can exit. See docs/architecture.md (sys: waiting) for the measurements.
 */
import { readSync, writeSync } from 'node:fs';
import { errno, libcFunc, pinnedBytes, addressOf } from './libc.js';
import { SysError } from './errors.js';

export const EPOLLIN = 0x001;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
const EPOLL_CLOEXEC = 0o2000000;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLLONESHOT = 1 << 30;
const MAX_EVENTS = 64;
// struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16) elsewhere.
const EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const DATA_OFFSET = process.arch === 'x64' ? 4 : 8;
/** Consecutive failed waits tolerated (EINTR) before giving up and reporting an error. */
const MAX_FAILURES = 8;

const fn = {
  create: () => libcFunc('int epoll_create1(int flags)'),
  ctl: () => libcFunc('int epoll_ctl(int epfd, int op, int fd, void *event)'),
  // The events buffer is passed by address: it is pinned off-heap and outlives the async call.
  wait: () => libcFunc('int epoll_wait(int epfd, intptr_t events, int maxevents, int timeout)'),
  eventfd: () => libcFunc('int eventfd(unsigned int initval, int flags)'),
};

interface Registration {
  fd: number;
  token: number;
  armed: boolean;
  onReady: (events: number) => void;
  onError: (err: Error) => void;
}

export class Poller {
  private static instance: Poller | undefined;
  private readonly regs = new Map<number, Registration>();
  private readonly byFd = new Map<number, number>();
  private nextToken = 1;
  /** Registrations that will fire when ready (not yet fired since add/rearm). */
  private armed = 0;
  private waiting = false;
  private failures = 0;
  private readonly events = pinnedBytes(MAX_EVENTS * EVENT_SIZE);
  private readonly eventsAddr = addressOf(this.events);
  private readonly counter = pinnedBytes(8);
  /** Number of completed epoll_wait calls (for tests and benchmarks: proves there is no spinning). */
  waits = 0;

  private constructor(
    private readonly epfd: number,
    private readonly wakeFd: number,
  ) {}

  /** The process-wide poller (created on first use, lives as long as the process). */
  static shared(): Poller {
    if (!Poller.instance) {
      const epfd = fn.create()(EPOLL_CLOEXEC) as number;
      if (epfd < 0) throw new SysError('epoll_create1', errno());
      const wake = fn.eventfd()(0, EFD_CLOEXEC | EFD_NONBLOCK) as number;
      if (wake < 0) throw new SysError('eventfd', errno());
      const p = new Poller(epfd, wake);
      p.ctl(EPOLL_CTL_ADD, wake, EPOLLIN, 0);
      // Node waits for pool threads when it exits: a pending epoll_wait would hang process.exit().
      process.once('exit', () => {
        if (p.waiting) p.wake();
      });
      Poller.instance = p;
    }
    return Poller.instance;
  }

  private ctl(op: number, fd: number, events: number, token: number): void {
    const ev = pinnedBytes(16);
    const dv = new DataView(ev.buffer, ev.byteOffset, 16);
    dv.setUint32(0, events, true);
    dv.setBigUint64(DATA_OFFSET, BigInt(token), true);
    if ((fn.ctl()(this.epfd, op, fd, ev) as number) < 0) {
      throw new SysError(`epoll_ctl(${op === EPOLL_CTL_ADD ? 'ADD' : op === EPOLL_CTL_MOD ? 'MOD' : 'DEL'}, fd ${fd})`, errno());
    }
  }

  /**
   * Calls `onReady` once, on the main thread, when `fd` is readable; call `rearm(fd)` for the next
   * time. `onError` hears about a failure of the wait itself. One registration per fd; the new
   * registration is armed.
   */
  add(fd: number, onReady: (events: number) => void, onError: (err: Error) => void = () => {}): void {
    if (this.byFd.has(fd)) throw new RangeError(`Poller.add: fd ${fd} is already registered`);
    const token = this.nextToken++;
    this.ctl(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLONESHOT, token);
    this.regs.set(token, { fd, token, armed: true, onReady, onError });
    this.byFd.set(fd, token);
    this.armed++;
    this.arm();
  }

  /** Re-enables a registration after it fired (no-op while still armed). */
  rearm(fd: number): void {
    const token = this.byFd.get(fd);
    const r = token === undefined ? undefined : this.regs.get(token);
    if (!r) throw new RangeError(`Poller.rearm: fd ${fd} is not registered`);
    if (r.armed) return;
    // MOD re-evaluates readiness: data that arrived while disarmed is reported at once.
    this.ctl(EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLONESHOT, r.token);
    r.armed = true;
    this.armed++;
    this.arm();
  }

  has(fd: number): boolean {
    return this.byFd.has(fd);
  }

  /** Stops watching `fd` (call before closing it). Releases the waiting thread when nothing armed is left. */
  remove(fd: number): void {
    const token = this.byFd.get(fd);
    if (token === undefined) return;
    const r = this.regs.get(token)!;
    this.byFd.delete(fd);
    this.regs.delete(token);
    if (r.armed) this.armed--;
    try {
      this.ctl(EPOLL_CTL_DEL, fd, 0, 0);
    } catch {
      // Already closed: the kernel dropped it from the set by itself.
    }
    if (this.armed === 0 && this.waiting) this.wake();
  }

  get size(): number {
    return this.regs.size;
  }

  private wake(): void {
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    try {
      writeSync(this.wakeFd, one);
    } catch {
      // The counter is already non-zero (EAGAIN): the wait is being woken anyway.
    }
  }

  private arm(): void {
    if (this.waiting || this.armed === 0) return;
    this.waiting = true;
    (fn.wait() as unknown as { async: (...a: unknown[]) => void }).async(this.epfd, this.eventsAddr, MAX_EVENTS, -1, (err: unknown, n: number) => {
      this.waiting = false;
      this.waits++;
      this.completed(err, n);
    });
  }

  private completed(err: unknown, n: number): void {
    if (err || n < 0) {
      // errno of a pool thread is not visible here; EINTR is the only expected cause.
      if (++this.failures >= MAX_FAILURES) {
        const e = err instanceof Error ? err : new SysError('epoll_wait', errno() || 4);
        for (const r of [...this.regs.values()]) if (r.armed) r.onError(e);
        return;
      }
      this.arm();
      return;
    }
    this.failures = 0;
    const dv = new DataView(this.events.buffer, this.events.byteOffset, this.events.byteLength);
    for (let i = 0; i < n; i++) {
      const events = dv.getUint32(i * EVENT_SIZE, true);
      const token = Number(dv.getBigUint64(i * EVENT_SIZE + DATA_OFFSET, true));
      if (token === 0) {
        try {
          readSync(this.wakeFd, this.counter);
        } catch {
          // EAGAIN: already reset.
        }
        continue;
      }
      const r = this.regs.get(token);
      if (!r || !r.armed) continue; // removed (or re-registered) while the wait was in flight
      r.armed = false; // EPOLLONESHOT disarmed it in the kernel
      this.armed--;
      try {
        r.onReady(events);
      } catch (e) {
        r.onError(e instanceof Error ? e : new Error(String(e)));
      }
    }
    this.arm();
  }
}
