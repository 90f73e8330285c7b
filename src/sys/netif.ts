/**
 * Interface names ↔ indexes (libc if_nametoindex / if_indextoname), with a typed error for an
 * unknown interface that lists the interfaces that do exist in the current network namespace.
 */
import { TsbpfError } from '../errors.js';
import { errno, libcFunc, pinnedBytes } from './libc.js';
import { listLinks } from './rtnetlink.js';

const IFNAMSIZ = 16;

/** No such interface in this network namespace (or a malformed name). */
export class InterfaceError extends TsbpfError {
  readonly iface: string;
  constructor(iface: string, message: string, hint?: string) {
    super('IFACE', message, hint);
    this.iface = iface;
  }
}

function existingNames(): string {
  try {
    const names = listLinks().map((l) => l.name);
    return names.length ? `interfaces here: ${names.join(', ')}` : 'this network namespace has no interfaces';
  } catch {
    return 'list the interfaces with `ip link`';
  }
}

/** The index of interface `name`; throws InterfaceError naming the existing ones when absent. */
export function ifNameToIndex(name: string): number {
  if (name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ || name.includes('/') || /\s/.test(name)) {
    throw new InterfaceError(name, `interface '${name}' is not a valid interface name (1-15 bytes, no '/' or spaces)`, existingNames());
  }
  const index = libcFunc('unsigned int if_nametoindex(const char *name)')(name) as number;
  if (index === 0) {
    const e = errno();
    // ENODEV is the normal "no such interface"; anything else (e.g. no socket) is reported as is.
    const why = e === 19 || e === 0 ? 'no such interface' : `if_nametoindex failed (errno ${e})`;
    throw new InterfaceError(name, `interface '${name}': ${why} in this network namespace`, existingNames());
  }
  return index;
}

/** The name of interface `index`; throws InterfaceError when there is none. */
export function ifIndexToName(index: number): string {
  if (!Number.isInteger(index) || index <= 0 || index > 0xffffffff) {
    throw new InterfaceError(String(index), `interface index ${index} is not a valid index`, existingNames());
  }
  const buf = pinnedBytes(IFNAMSIZ);
  const r = libcFunc('void *if_indextoname(unsigned int index, uint8_t *name)')(index, buf);
  if (r === null || r === 0n) {
    throw new InterfaceError(String(index), `interface index ${index}: no such interface in this network namespace`, existingNames());
  }
  const nul = buf.indexOf(0);
  return Buffer.from(buf.subarray(0, nul < 0 ? IFNAMSIZ : nul)).toString('utf8');
}

/**
 * An interface given by name or by number (a decimal string is taken as an index only when no
 * interface has that name) → { index, name }.
 */
export function resolveInterface(iface: string | number): { index: number; name: string } {
  if (typeof iface === 'number') return { index: iface, name: ifIndexToName(iface) };
  try {
    return { index: ifNameToIndex(iface), name: iface };
  } catch (e) {
    if (/^[1-9][0-9]*$/.test(iface)) return { index: Number(iface), name: ifIndexToName(Number(iface)) };
    throw e;
  }
}
