/**
 * TSBPF_LOG: which log records are shown, in env_logger's grammar — comma-separated directives,
 * each `LEVEL` (the default for every target), `TARGET=LEVEL`, or a bare `TARGET` (everything
 * from it). Levels: off, error, warn, info, debug, trace (any case). Later directives win.
 * Unset or empty means `info`, so info lines show by default.
 *
 * The same filter decides the load-time setting (`tsbpf_log_levels`): a level that is off for a
 * target is removed from its program by the verifier, not just hidden.
 */
import { TsbpfError } from '../errors.js';
import { LOG_LEVELS, levelNumber, type LogLevelName, type LogMeta } from '../object/log-meta.js';

export class LogFilterError extends TsbpfError {
  constructor(message: string, hint?: string) {
    super('LOG', message, hint);
  }
}

export interface LogFilter {
  /** The text it was parsed from (after trimming). */
  readonly spec: string;
  /** 0 (off) … 5 (trace) for targets no directive names. */
  readonly defaultLevel: number;
  /** Per-target settings. */
  readonly targets: ReadonlyMap<string, number>;
}

const LEVEL_WORDS = ['off', ...LOG_LEVELS] as const;
const HINT = 'TSBPF_LOG is a comma-separated list of LEVEL, TARGET=LEVEL or TARGET; levels: off, error, warn, info, debug, trace (e.g. TSBPF_LOG=hello_world=debug,warn)';

function levelOf(word: string): number | undefined {
  const i = (LEVEL_WORDS as readonly string[]).indexOf(word.toLowerCase());
  return i < 0 ? undefined : i;
}

/** Parses a TSBPF_LOG value; undefined or blank → `info`. Errors name the directive. */
export function parseLogFilter(spec: string | undefined): LogFilter {
  const text = (spec ?? '').trim();
  let defaultLevel = levelNumber('info');
  const targets = new Map<string, number>();
  if (text.length > 4096) throw new LogFilterError(`TSBPF_LOG is ${text.length} characters long; at most 4096 are read`, HINT);
  for (const raw of text.split(',')) {
    const d = raw.trim();
    if (d === '') continue;
    const eq = d.indexOf('=');
    if (eq < 0) {
      const l = levelOf(d);
      if (l !== undefined) defaultLevel = l;
      else if (validTarget(d)) targets.set(d, levelNumber('trace'));
      else throw new LogFilterError(`TSBPF_LOG: '${d}' is neither a level nor a target name`, HINT);
      continue;
    }
    const target = d.slice(0, eq).trim();
    const word = d.slice(eq + 1).trim();
    if (!validTarget(target)) throw new LogFilterError(`TSBPF_LOG: '${d}' has no valid target name before '='`, HINT);
    const l = levelOf(word);
    if (l === undefined) throw new LogFilterError(`TSBPF_LOG: '${d}': '${word}' is not a level`, HINT);
    targets.set(target, l);
  }
  return { spec: text, defaultLevel, targets };
}

function validTarget(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(s) && s.length <= 256;
}

/** The setting for a target: 0 off … 5 trace. */
export function targetLevel(f: LogFilter, target: string): number {
  return f.targets.get(target) ?? f.defaultLevel;
}

export function logEnabled(f: LogFilter, level: LogLevelName, target: string): boolean {
  return levelNumber(level) <= targetLevel(f, target);
}

/** `tsbpf_log_levels` for an object under this filter: one setting per target of its table. */
export function loadTimeLevels(meta: Pick<LogMeta, 'targets'>, f: LogFilter): number[] {
  return meta.targets.map((t) => targetLevel(f, t));
}

/** Targets the filter names that the object has no log calls for (likely typos, worth a note). */
export function unknownTargets(f: LogFilter, meta: Pick<LogMeta, 'targets'>): string[] {
  const have = new Set(meta.targets);
  return [...f.targets.keys()].filter((t) => !have.has(t));
}

/** The level names, for messages: `info` for 3. */
export const levelWord = (n: number): string => LEVEL_WORDS[n] ?? String(n);
