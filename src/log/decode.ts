/**
 * Records → LogRecord objects with the object's `.tsbpf.log` table. A record is the site id (u32
 * at 0) and the argument bytes at the offsets the table gives. Records that do not match the
 * table (unknown id, too short) become a warning record from target `tsbpf` instead of an
 * exception: the stream goes on.
 */
import type { LogMeta, LogSite } from '../object/log-meta.js';
import { argReader, escapeControl, type ArgReader, type LogRecord, type LogValue } from './format.js';

interface Site extends LogSite {
  targetName: string;
  /** Literal pieces with control characters escaped once, up front. */
  safeText: string[];
  readers: ArgReader[];
}

export class LogDecoder {
  private readonly dense: (Site | undefined)[] = [];
  private readonly sparse = new Map<number, Site>();

  constructor(readonly meta: LogMeta) {
    for (const s of meta.sites) {
      const site: Site = { ...s, targetName: meta.targets[s.target]!, safeText: s.text.map((t) => escapeControl(t)), readers: s.args.map((a) => argReader(a.kind, a.hint, a.offset, a.size)) };
      if (s.id < 65536) this.dense[s.id] = site;
      else this.sparse.set(s.id, site);
    }
  }

  /** The call site of an id, if the table has it. */
  site(id: number): LogSite | undefined {
    return this.dense[id] ?? this.sparse.get(id);
  }

  /** Decodes one record (a view into the ring is fine: nothing keeps a reference to it). */
  decode(rec: Uint8Array, time: Date): LogRecord {
    if (rec.length < 4) return notice(time, `undecodable log record: ${rec.length} bytes, shorter than a site id`);
    const id = (rec[0]! | (rec[1]! << 8) | (rec[2]! << 16)) + rec[3]! * 0x1000000;
    const site = this.dense[id] ?? this.sparse.get(id);
    if (!site) return notice(time, `undecodable log record: site id ${id} is not in this object's log table (${rec.length} bytes)`);
    if (rec.length < site.size) {
      return notice(time, `undecodable log record: site ${id} (${site.file}:${site.line}) has ${rec.length} bytes, expected ${site.size}`);
    }
    const args: LogValue[] = [];
    let message = site.safeText[0]!;
    for (let i = 0; i < site.readers.length; i++) message += site.readers[i]!(rec, args) + site.safeText[i + 1]!;
    return { time, level: site.level, target: site.targetName, message, args, file: site.file, line: site.line, id };
  }
}

/** A warning from the reader itself (target `tsbpf`). */
export function notice(time: Date, message: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { time, level: 'warn', target: 'tsbpf', message, args: [], file: '', line: 0, ...extra };
}

/** `N log records lost` as a record, so every consumer (text, JSON, a logger) sees it. */
export function lostNotice(time: Date, n: number): LogRecord {
  return notice(time, `${n} log record${n === 1 ? '' : 's'} lost (the ring buffer was full)`, { lost: n });
}
