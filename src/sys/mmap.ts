/**
 * Shared memory mappings of kernel fds (ring buffer maps, perf event rings, mmapable arrays) as
 * zero-copy ArrayBuffers (koffi.view).
 *
 * V8 cannot detach an external ArrayBuffer, so a view kept past `close()` would point at unmapped
 * memory and crash the process. `close()` therefore replaces the mapping in place (MAP_FIXED)
 * with an anonymous read-only zero mapping — kernel memory is released at once, stale views read
 * zeros — and the placeholder is unmapped when the ArrayBuffer is garbage-collected.
 */
import { koffi, errno, libcFunc } from './libc.js';
import { SysError } from './errors.js';

export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;
const MAP_FAILED = 0xffffffffffffffffn;
const SC_PAGESIZE = 30;

const fn = {
  mmap: () => libcFunc('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)'),
  munmap: () => libcFunc('int munmap(void *addr, size_t len)'),
};

let cachedPageSize = 0;

/** The kernel's page size (sysconf(_SC_PAGESIZE)). */
export function pageSize(): number {
  if (!cachedPageSize) cachedPageSize = Number(libcFunc('long sysconf(int name)')(SC_PAGESIZE));
  return cachedPageSize;
}

// Unmaps placeholders once nothing can read them any more.
const placeholders = new FinalizationRegistry<{ address: bigint; length: number }>((p) => {
  fn.munmap()(p.address, p.length);
});

function toBigInt(p: unknown): bigint {
  if (typeof p === 'bigint') return p;
  if (p === null || p === undefined) return 0n;
  return BigInt(koffi().address(p) as bigint);
}

/** One MAP_SHARED mapping of an fd. */
export class Mapping {
  private closed = false;

  private constructor(
    /** Start address of the mapping. */
    readonly address: bigint,
    readonly length: number,
    /** Zero-copy view of the mapped memory; reads zeros after close(). */
    readonly buffer: ArrayBuffer,
  ) {}

  /**
   * Maps `length` bytes of `fd` from `offset` (a multiple of the page size). `what` names the
   * mapping in errors, e.g. 'ring buffer map events (data pages)'.
   */
  static map(fd: number, length: number, prot: number, offset: number, what: string): Mapping {
    if (!Number.isSafeInteger(length) || length <= 0) throw new RangeError(`mmap ${what}: bad length ${length}`);
    if (offset % pageSize() !== 0) throw new RangeError(`mmap ${what}: offset ${offset} is not page-aligned`);
    const p = toBigInt(fn.mmap()(null, length, prot, MAP_SHARED, fd, BigInt(offset)));
    if (p === MAP_FAILED || p === 0n) throw new SysError(`mmap(${what})`, errno());
    return new Mapping(p, length, koffi().view(p, length) as ArrayBuffer);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const p = toBigInt(fn.mmap()(this.address, this.length, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0n));
    if (p === this.address) {
      placeholders.register(this.buffer, { address: this.address, length: this.length });
    } else {
      // Could not place the zero mapping (out of memory): unmapping is the only way to free the
      // kernel's pages; views kept past close() are then invalid.
      fn.munmap()(this.address, this.length);
    }
  }
}
