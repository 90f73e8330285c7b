/** Program arrays (tail-call tables): slot index → program. User space stores fds, reads back ids. */
import { Fd, mapDeleteElem } from '../sys/bpf.js';
import { BpfMap, type MapSpec } from './map.js';
import { codecs } from './codec.js';

/** Anything that has a program fd: a loaded Program, an Fd or a raw fd number. */
export type ProgRef = { readonly fd: Fd } | Fd | number;

function progFd(p: ProgRef): number {
  if (typeof p === 'number') return p;
  if (p instanceof Fd) return p.value;
  return p.fd.value;
}

export class ProgArray extends BpfMap<number, number> {
  constructor(fd: Fd, spec: MapSpec) {
    super(fd, spec, { key: codecs.u32, value: codecs.u32 });
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.maxEntries) {
      throw new RangeError(`prog array '${this.name}': index ${i} is outside 0..${this.maxEntries - 1}`);
    }
  }

  /** Puts a program in slot `index`: tail calls to that index run it. */
  override set(index: number, prog: ProgRef): this {
    this.check(index);
    return super.set(index, progFd(prog));
  }

  /** The id of the program in slot `index` (the kernel answers ids, not fds), or undefined. */
  override get(index: number): number | undefined {
    this.check(index);
    return super.get(index);
  }

  /** Empties slot `index`; false when it was empty. */
  override delete(index: number): boolean {
    this.check(index);
    return mapDeleteElem(this.fd, this.encodeKey(index));
  }
}
