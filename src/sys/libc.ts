/**
 * libc through koffi, loaded on first use so that commands which never touch the kernel
 * (build, objdump, readelf) do not pay for it. Every other file in src/sys adds its own
 * functions through `libcFunc`, declared once and cached.
 */
import { createRequire } from 'node:module';

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
