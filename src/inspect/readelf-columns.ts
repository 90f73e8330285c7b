/**
 * Column layout shared by the readelf tables: each field starts at its column, or one space
 * after the previous field when that one ran past it (what llvm-readelf's GNU style prints).
 */
export function columns(fields: [col: number, text: string][]): string {
  let line = '';
  for (const [col, text] of fields) {
    if (line.length < col) line += ' '.repeat(col - line.length);
    else if (line.length > 0) line += ' ';
    line += text;
  }
  return line;
}

export const hexPad = (n: number | bigint, width: number): string => n.toString(16).padStart(width, '0');
export const rjust = (s: string | number, width: number): string => String(s).padStart(width, ' ');
export const ljust = (s: string, width: number): string => s.padEnd(width, ' ');
