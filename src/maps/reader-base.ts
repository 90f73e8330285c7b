/**
 * What the BPF ring buffer reader (ringbuf.ts) and the perf buffer reader (perfbuf.ts) share:
 * waiting for records on the process-wide epoll poller (src/sys/poll.ts), subscriptions, the
 * async iterator, the guard against re-entering a reader from its own record callbacks, and
 * close() from inside one. The readers supply the fds to poll (one per ring), what to commit
 * before re-arming, whether records are waiting, and how to release their rings; their consume
 * loops stay their own (the hot paths: nothing here runs per record).
 *
 * Registrations are one-shot: after a wake-up (and the subscriber's drain) the reader commits
 * what it read, then re-arms the fd with EPOLL_CTL_MOD; the kernel re-checks readiness then, so
 * records committed while the fd was disarmed are reported at once and none is missed.
 */
import { TsbpfError } from '../errors.js';
import type { FdLike } from '../sys/bpf.js';
import { Poller } from '../sys/poll.js';

/** A map fd, or an object carrying one (a loaded map). */
export type MapSource = FdLike | { fd: FdLike; name?: string };

export function sourceFd(src: MapSource): { fd: FdLike; name?: string } {
  return typeof src === 'object' && src !== null && 'fd' in src ? src : { fd: src };
}

export abstract class BufferReader<T> implements AsyncIterable<T> {
  abstract readonly name: string;
  abstract readonly stats: { wakeups: number };
  /** Set while a consume call runs: the reader must not be re-entered from its callbacks. */
  protected inCallback = false;
  protected closed = false;
  /** What the reader's callbacks are called in messages ('record callbacks'; perf: 'callbacks', as they get losses too). */
  protected readonly callbacks: string = 'record callbacks';
  private readonly poller = Poller.shared();
  /** The fds added to the poller (set at the first wait or subscription; later readiness is asked for by re-arming). */
  private polled?: number[];
  private waiter?: () => void;
  private subscriber?: () => void;
  private onError?: (err: Error) => void;
  private failure?: Error;

  /** 'ring buffer' or 'perf buffer', for messages. */
  protected abstract readonly kind: string;
  /** The next record, or undefined when the reader has caught up. */
  abstract next(): T | undefined;
  /** Tells the kernel that everything handed out so far may be overwritten. */
  abstract commit(): void;
  /** The fds whose readiness means records (one per ring; asked once, at the first wait or subscription). */
  protected abstract pollFds(): number[];
  /** Whether a record is waiting now (a wait() then resolves at once). */
  protected abstract hasPending(): boolean;
  /** Gives the rings back (commit, unmap, close what the reader opened); the reader is closed and no longer polled. */
  protected abstract release(): void;
  /** Runs before an fd is armed: what must be committed for the kernel to wake us (default: nothing). */
  protected beforeArm(): void {}

  /** Marks a consume call as running; throws if one already is (a callback re-entering). */
  protected enter(): void {
    if (this.inCallback) throw this.reentered('consume/next');
    this.inCallback = true;
  }

  protected reentered(what: string): TsbpfError {
    return new TsbpfError('MAP', `${this.kind} '${this.name}': ${what}() called from inside one of its own ${this.callbacks}`, 'return from the callback first (close() is allowed there)');
  }

  /** Makes sure the next readiness of each fd is reported to ready() (one-shot). */
  private listen(): void {
    if (this.closed || this.failure) return;
    this.beforeArm();
    if (this.polled) {
      for (const fd of this.polled) this.poller.rearm(fd);
      return;
    }
    this.polled = this.pollFds();
    for (const fd of this.polled) {
      this.poller.add(fd, () => this.ready(fd), (e) => {
        this.failure = e;
        if (this.onError) this.onError(e);
        this.wake();
      });
    }
  }

  private ready(fd: number): void {
    this.stats.wakeups++;
    if (this.subscriber && !this.failure) {
      this.subscriber();
      if (!this.closed && !this.failure) {
        this.beforeArm();
        this.poller.rearm(fd);
      }
    }
    this.wake();
  }

  /** Ends a pending wait() (it resolves; an iteration then checks whether the reader was closed). */
  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /**
   * Delivers records through `drain` now and at every wake-up, until close(). An error thrown by
   * it (or by the wait) goes to `onError` (default: thrown from the next wait()/iteration) and
   * stops delivery.
   */
  protected startSubscription(drain: () => void, onError?: (err: Error) => void): void {
    if (this.subscriber) throw new TsbpfError('MAP', `${this.kind} '${this.name}' already has a subscriber`);
    this.onError = onError;
    this.subscriber = () => {
      try {
        drain();
      } catch (e) {
        this.failure = e instanceof Error ? e : new Error(String(e));
        this.subscriber = undefined;
        if (this.onError) this.onError(this.failure);
      }
    };
    this.subscriber();
    this.listen();
  }

  /** Resolves when records may be available (or the reader was closed). */
  async wait(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed) return;
    if (this.inCallback) throw this.reentered('wait');
    this.commit();
    this.listen();
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
      // A record may have been committed before we armed. (A BPF ring buffer record still being
      // written is left to the poller — the kernel wakes us when it is committed — so waiting
      // never spins on it.)
      if (this.hasPending()) this.wake();
    });
    if (this.failure) throw this.failure;
  }

  /** Records as they arrive, until close(). Each is valid until the next one is requested. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (!this.closed) {
      const rec = this.next();
      if (rec) {
        yield rec;
        continue;
      }
      await this.wait();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops waiting, ends iterations, releases the rings. The map fd stays open (it belongs to the caller). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Called from a record callback: the consume call commits its position and finishes on the way out.
    if (!this.inCallback) this.finishClose();
  }

  /**
   * The rest of close(), run by it or — when close() came from a callback — by the consume call on
   * its way out: stops polling the fds (before the reader closes them), releases, ends a wait().
   */
  protected finishClose(): void {
    if (this.polled) for (const fd of this.polled) this.poller.remove(fd);
    this.polled = undefined;
    this.release();
    this.wake();
  }
}
