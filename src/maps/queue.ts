/** Queue and stack maps: keyless, values pushed and popped (FIFO for queues, LIFO for stacks). */
import { BPF_ANY, BPF_EXIST } from '../abi/index.js';
import { mapLookupAndDeleteElem, mapLookupElem, mapUpdateElem } from '../sys/bpf.js';
import { BpfMap, MapError } from './map.js';

export class QueueMap<V = unknown> extends BpfMap<never, V> {
  private readonly buf = new Uint8Array(Math.max(this.valueSize, 1));

  /** Adds a value; when full, `overwrite` drops the oldest instead of failing with E2BIG. */
  push(value: V, o: { overwrite?: boolean } = {}): void {
    mapUpdateElem(this.fd, null, this.encodeValue(value), o.overwrite ? BPF_EXIST : BPF_ANY);
  }

  /** Removes and returns the next value, or undefined when empty. */
  pop(): V | undefined {
    return mapLookupAndDeleteElem(this.fd, null, this.buf) ? this.valueCodec.decode(this.buf, 0) : undefined;
  }

  /** The next value without removing it, or undefined when empty. */
  peek(): V | undefined {
    return mapLookupElem(this.fd, null, this.buf) ? this.valueCodec.decode(this.buf, 0) : undefined;
  }

  /** Pops everything currently queued. */
  drain(): V[] {
    const out: V[] = [];
    for (let v = this.pop(); v !== undefined; v = this.pop()) out.push(v);
    return out;
  }

  override get(): never { throw this.keyless('get'); }
  override set(): never { throw this.keyless('set'); }
  override delete(): never { throw this.keyless('delete'); }
  override has(): never { throw this.keyless('has'); }
  override *keys(): IterableIterator<never> { throw this.keyless('keys'); }

  private keyless(op: string): MapError {
    return new MapError(`map '${this.name}' is a ${this.typeName}: it has no keys, so ${op}() does not apply`, 'use push(), pop() and peek()');
  }
}
