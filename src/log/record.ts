/**
 * The record objects a LogReader hands out. Taking a record from the ring copies only its
 * argument words (see site.ts); `message`, `args` and `time` are made on first access and kept.
 * Level, target, file and line come from the call site, shared by all its records. A reader
 * whose subscriber asked for `reuse` resets pooled entries in place instead of making new ones.
 */
import type { LogLevelName } from '../object/log-meta.js';
import { messageOf, valuesOf, type CompiledSite, type LogValue, type Words } from './site.js';
import type { LogRecord } from './format.js';
import { jsonValue } from './text.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * When a ring read happened, shared by the records it took: a time in milliseconds is a double,
 * which V8 would box once per record if each record held it.
 */
export class Stamp {
  constructor(readonly ms: number) {}
}

export class LogEntry implements LogRecord, Words {
  private declare s: CompiledSite;
  private declare t: Stamp;
  // The argument words (site.ts), inline: taking a record allocates this object only.
  /** @internal */ declare w0: number;
  /** @internal */ declare w1: number;
  /** @internal */ declare w2: number;
  /** @internal */ declare w3: number;
  /** @internal */ declare w4: number;
  /** @internal */ declare w5: number;
  /** @internal */ declare w6: number;
  /** @internal */ declare w7: number;
  /** @internal */ declare wx: (number | Uint8Array)[] | undefined;
  private declare msg: string | undefined;
  private declare vals: LogValue[] | undefined;
  private declare date: Date | undefined;

  /**
   * A record of `site` taken at `stamp`. Given `h` (a ring's data area as int32) and `i` (the
   * record's word index there), an `aligned` site's words are read here (one call per record
   * instead of two: it matters before V8 has optimised the reader); else readWords fills them.
   */
  constructor(site: CompiledSite, stamp: Stamp, h?: Int32Array, i = 0) {
    // Plain assignments in a fixed order (not field initializers): one hidden class, all in-object.
    this.s = site;
    this.t = stamp;
    if (h === undefined) {
      this.w0 = this.w1 = this.w2 = this.w3 = this.w4 = this.w5 = this.w6 = this.w7 = 0;
    } else {
      const x = site.wordIdx;
      const n = x.length;
      this.w0 = n > 0 ? h[i + x[0]!]! : 0;
      this.w1 = n > 1 ? h[i + x[1]!]! : 0;
      this.w2 = n > 2 ? h[i + x[2]!]! : 0;
      this.w3 = n > 3 ? h[i + x[3]!]! : 0;
      this.w4 = n > 4 ? h[i + x[4]!]! : 0;
      this.w5 = n > 5 ? h[i + x[5]!]! : 0;
      this.w6 = n > 6 ? h[i + x[6]!]! : 0;
      this.w7 = n > 7 ? h[i + x[7]!]! : 0;
    }
    this.wx = undefined;
    this.msg = undefined;
    this.vals = undefined;
    this.date = undefined;
  }

  /**
   * @internal Makes this object a new record, as the constructor would (a reader's reused
   * records, see LogReader's `reuse`). The constructor keeps its own copy of these assignments:
   * V8 sizes the object from the assignments in the constructor's body.
   */
  reset(site: CompiledSite, stamp: Stamp, h?: Int32Array, i = 0): this {
    this.s = site;
    this.t = stamp;
    if (h === undefined) {
      this.w0 = this.w1 = this.w2 = this.w3 = this.w4 = this.w5 = this.w6 = this.w7 = 0;
    } else {
      const x = site.wordIdx;
      const n = x.length;
      this.w0 = n > 0 ? h[i + x[0]!]! : 0;
      this.w1 = n > 1 ? h[i + x[1]!]! : 0;
      this.w2 = n > 2 ? h[i + x[2]!]! : 0;
      this.w3 = n > 3 ? h[i + x[3]!]! : 0;
      this.w4 = n > 4 ? h[i + x[4]!]! : 0;
      this.w5 = n > 5 ? h[i + x[5]!]! : 0;
      this.w6 = n > 6 ? h[i + x[6]!]! : 0;
      this.w7 = n > 7 ? h[i + x[7]!]! : 0;
    }
    this.wx = undefined;
    this.msg = undefined;
    this.vals = undefined;
    this.date = undefined;
    return this;
  }

  /** Milliseconds since the epoch: when the reader took the record from the ring. */
  get timeMs(): number { return this.t.ms; }
  get level(): LogLevelName { return this.s.level; }
  get target(): string { return this.s.targetName; }
  get file(): string { return this.s.file; }
  get line(): number { return this.s.line; }
  get id(): number { return this.s.id; }
  get lost(): undefined { return undefined; }

  /** The formatted message (control characters escaped), made on first access. */
  get message(): string {
    return (this.msg ??= messageOf(this.s, this));
  }

  /** Argument values in format order (strings unescaped), made on first access. */
  get args(): LogValue[] {
    return (this.vals ??= valuesOf(this.s, this));
  }

  get time(): Date {
    return (this.date ??= new Date(this.t.ms));
  }

  /** @internal The formatJson line, `iso` being the time (the site has the fixed parts as JSON already). */
  jsonLine(iso: string): string {
    const s = this.s;
    let a = '';
    for (let i = 0; i < s.json.length; i++) a += (i ? ',' : '') + s.json[i]!(this);
    return `{"time":"${iso}"${s.jsonHead}"${s.jsonMessage(this)}","args":[${a}]${s.jsonTail}`;
  }

  /** A plain object with every field (what `{ ...record }` does not give: the fields are getters). */
  toObject(): LogRecord {
    return { time: this.time, level: this.level, target: this.target, message: this.message, args: this.args, file: this.file, line: this.line, id: this.id };
  }

  /** JSON.stringify(record): the fields, 64-bit integers as numbers when exact (else text), bytes as hex. */
  toJSON(): object {
    return { time: this.time.toISOString(), level: this.level, target: this.target, message: this.message, args: this.args.map(jsonValue), file: this.file, line: this.line, id: this.id };
  }

  [INSPECT](): LogRecord {
    return this.toObject();
  }
}
