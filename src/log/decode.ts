/**
 * Records → LogRecord objects with the object's `.tsbpf.log` table. A record is the site id (u32
 * at 0) and the argument bytes at the offsets the table gives. Each site is compiled once
 * (site.ts); with a filter, each site also knows once whether its records are shown, so a
 * filtered record costs one id lookup. Records that do not match the table (unknown id, too
 * short) become a warning record from target `tsbpf` instead of an exception: the stream goes on.
 */
import type { LogMeta, LogSite } from '../object/log-meta.js';
import { logEnabled, type LogFilter } from './filter.js';
import type { LogRecord } from './format.js';
import { LogEntry, Stamp } from './record.js';
import { compileSite, readWords, type CompiledSite } from './site.js';

/** Site ids below this are looked up in an array, others in a map. */
const DENSE_IDS = 65536;

export class LogDecoder {
  /** Compiled sites by id (ids < 65536), and the others. */
  readonly dense: (CompiledSite | undefined)[] = [];
  readonly sparse = new Map<number, CompiledSite>();

  /** With a filter, each site's `enabled` says whether the filter shows its records. */
  constructor(readonly meta: LogMeta, filter?: LogFilter) {
    for (const s of meta.sites) {
      const site = compileSite(s, meta.targets[s.target]!);
      if (filter) site.enabled = logEnabled(filter, s.level, site.targetName);
      if (s.id < DENSE_IDS) this.dense[s.id] = site;
      else this.sparse.set(s.id, site);
    }
  }

  /** The call site of an id, if the table has it. */
  site(id: number): LogSite | undefined {
    return this.compiled(id)?.site;
  }

  /** The compiled call site of an id. */
  compiled(id: number): CompiledSite | undefined {
    return id < DENSE_IDS ? this.dense[id] : this.sparse.get(id);
  }

  /**
   * The record at `off` (`len` bytes) of a ring's data area (`view` and `bytes` over the same
   * memory), taken at `timeMs`: a LogEntry (arguments copied out, message made on first access),
   * or a notice when the record does not match the table. Ignores the filter.
   */
  read(view: DataView, bytes: Uint8Array, off: number, len: number, timeMs: number): LogRecord {
    if (len < 4) return notice(new Date(timeMs), `undecodable log record: ${len} bytes, shorter than a site id`);
    const id = view.getUint32(off, true);
    const site = this.compiled(id);
    if (!site) return notice(new Date(timeMs), `undecodable log record: site id ${id} is not in this object's log table (${len} bytes)`);
    if (len < site.size) return invalidLength(site, len, timeMs);
    const e = new LogEntry(site, new Stamp(timeMs));
    readWords(site, e, view, bytes, off);
    return e;
  }

  /** Decodes one record into a plain object (a view into a ring is fine: nothing keeps a reference to it). */
  decode(rec: Uint8Array, time: Date): LogRecord {
    const r = this.read(new DataView(rec.buffer, rec.byteOffset, rec.byteLength), rec, 0, rec.length, time.getTime());
    if (!(r instanceof LogEntry)) return { ...r, time };
    return { ...r.toObject(), time };
  }
}

/** The notice for a record shorter than its site's records. */
export function invalidLength(site: CompiledSite, len: number, timeMs: number): LogRecord {
  return notice(new Date(timeMs), `undecodable log record: site ${site.id} (${site.file}:${site.line}) has ${len} bytes, expected ${site.size}`);
}

/** A warning from the reader itself (target `tsbpf`). */
export function notice(time: Date, message: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { time, level: 'warn', target: 'tsbpf', message, args: [], file: '', line: 0, ...extra };
}

/** `N log records lost` as a record, so every consumer (text, JSON, a logger) sees it. */
export function lostNotice(time: Date, n: number): LogRecord {
  return notice(time, `${n} log record${n === 1 ? '' : 's'} lost (the ring buffer was full)`, { lost: n });
}
