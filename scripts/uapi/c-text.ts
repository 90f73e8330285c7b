/** Plain-text handling of C headers shared by the constant and layout readers. */

/** Removes comments and joins backslash-continued lines (line count is not preserved). */
export function stripC(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '').replace(/\\\r?\n/g, ' ');
}

/**
 * Name and value text of an object-like `#define` on one logical line (comments already
 * removed; value '' for a bare `#define NAME`); null for function-like macros and other lines.
 */
export function objectLikeDefine(line: string): { name: string; value: string } | null {
  const m = /^[ \t]*#[ \t]*define[ \t]+(\w+)(\(?)(.*)$/.exec(line);
  if (!m || m[2] === '(') return null;
  return { name: m[1]!, value: m[3]!.trim() };
}
