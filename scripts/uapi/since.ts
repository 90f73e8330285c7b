/**
 * `since X.Y` markers: every supplement entry the header lacks names the Linux release that
 * added it in a comment on its line, and the generated tables repeat it next to the entry.
 */
import { SUPPLEMENT_NAME } from './files.js';

/** The release a comment's `since X.Y` names, if any. */
export function sinceIn(text: string): string | undefined {
  return /\bsince (\d+\.\d+)\b/.exec(text)?.[1];
}

/** `since X.Y` markers of a supplement, by the enum member or #define declared on the marked line. */
export function sinceMarks(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const v = sinceIn(line);
    if (!v) continue;
    const name = /^\s*#\s*define\s+(\w+)/.exec(line)?.[1] ?? /^\s*([A-Za-z_]\w*)\s*(?:=|,)/.exec(line)?.[1];
    if (name) out.set(name, v);
  }
  return out;
}

/** The end-of-line comment of a generated entry the supplement added (`version` undefined: none). */
export function sinceNote(version: string | undefined): string {
  return version ? ` // since Linux ${version} (${SUPPLEMENT_NAME})` : '';
}
