/**
 * libc through koffi, loaded on first use so that commands which never touch the kernel
 * (build, objdump, readelf) do not pay for it. Every other file in src/sys adds its own
 * functions through `libcFunc`, declared once and cached.
 */
import { createRequire } from 'node:module';
import { TsbpfError } from '../errors.js';

type Koffi = typeof import('koffi');
type KoffiFunc = (...args: unknown[]) => unknown;

let koffiModule: Koffi | undefined;
let libc: ReturnType<Koffi['load']> | undefined;
const funcs = new Map<string, KoffiFunc>();

export function koffi(): Koffi {
  if (!koffiModule) koffiModule = createRequire(import.meta.url)('koffi') as Koffi;
  return koffiModule;
}

/** A libc function from its C prototype, e.g. `unsigned int if_nametoindex(const char *)`. */
export function libcFunc(prototype: string): KoffiFunc {
  let f = funcs.get(prototype);
  if (!f) {
    libc ??= koffi().load('libc.so.6');
    f = libc.func(prototype) as unknown as KoffiFunc;
    funcs.set(prototype, f);
  }
  return f;
}

/** errno of the last libc call made on this thread. */
export function errno(): number {
  return koffi().errno();
}

/**
 * Address of a typed array's memory, for pointer fields inside attr structs. V8 keeps arrays of
 * 64 bytes or less inside the JS heap where the GC may move them: allocate pointer targets with
 * `pinnedBytes` instead of `new Uint8Array`.
 */
export function addressOf(bytes: Uint8Array): bigint {
  return BigInt(koffi().address(bytes) as bigint | number);
}

/** A byte array whose memory is outside the JS heap (never moved), safe to pass by address. */
export function pinnedBytes(size: number): Uint8Array {
  // Buffer.allocUnsafeSlow always allocates a dedicated off-heap backing store.
  const b = Buffer.allocUnsafeSlow(Math.max(size, 1));
  b.fill(0);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

/** System call numbers of the calls libc has no wrapper for, per architecture (asm/unistd_64.h). */
const SYSCALL_NUMBERS: Record<string, Record<string, number>> = {
  x64: { bpf: 321, perf_event_open: 298 },
  arm64: { bpf: 280, perf_event_open: 241 },
};

/** The number of system call `name` on this architecture; throws where we do not know it. */
export function syscallNumber(name: 'bpf' | 'perf_event_open'): number {
  const n = SYSCALL_NUMBERS[process.arch]?.[name];
  if (n === undefined) throw new TsbpfError('SYS', `tsbpf does not know the ${name} system call number on ${process.arch}`, 'tsbpf supports x86-64 and arm64 Linux');
  return n;
}

/**
 * `syscall(nr, a0, a1, ...)` with every argument passed as a C `long` (pointers as bigint
 * addresses of pinned memory). Returns the raw result: -1 means failure, read `errno()` at once.
 */
export function rawSyscall(nr: number, ...args: (number | bigint)[]): number {
  const f = libcFunc('long syscall(long number, ...)');
  const va: unknown[] = [];
  for (const a of args) va.push('long', a);
  return Number(f(nr, ...va));
}
