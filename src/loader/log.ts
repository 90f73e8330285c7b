/**
 * `loadObject(…, { log })`: an object that logs (a `.tsbpf.log` section) gets its load-time level
 * setting from a TSBPF_LOG-style filter, so calls below it are removed by the verifier. The
 * loader imports the log layer here (loader → log; log never imports the loader: it reads a
 * LoadedObject through its structural LogHost).
 */
import type { BpfObject } from '../object/index.js';
import { readLogMeta } from '../object/log-meta.js';
import { parseLogFilter, type LogFilter } from '../log/filter.js';
import { logLoadConstants } from '../log/setup.js';
import type { ConstantValue } from './maps.js';

/** TSBPF_LOG text (`info`, `hello_world=debug,warn`; unset/blank = info), a parsed filter, or false (every log call disabled). */
export type LogOption = string | LogFilter | false | undefined;

export interface LogSettings {
  /** The `constants` to load with (the level setting first, the caller's own on top). */
  constants: Record<string, ConstantValue> | undefined;
  /** What LoadedObject.logFilter records: undefined when `log` was not given or the object does not log. */
  filter: LogFilter | false | undefined;
}

/**
 * The level setting for `option`, merged under the caller's constants. (Targets the filter names
 * that the object lacks are not an error, as in env_logger: `unknownTargets` finds them.)
 */
export function logSettings(model: BpfObject, option: LogOption, constants: Record<string, ConstantValue> | undefined): LogSettings {
  if (option === undefined) return { constants, filter: undefined };
  const meta = readLogMeta(model.elf);
  if (!meta) return { constants, filter: undefined };
  const filter = option === false ? parseLogFilter('off') : typeof option === 'string' ? parseLogFilter(option) : option;
  // Constants the caller gives explicitly (e.g. the levels variable itself) win.
  return { constants: { ...logLoadConstants(model, meta, filter), ...constants }, filter: option === false ? false : filter };
}
