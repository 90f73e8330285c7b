/**
 * C types of helper signatures (as the uapi doc comments spell them) parsed into a shape the
 * compiler can check calls against: scalars with width and signedness, pointers with their
 * pointee and constness, structs by name.
 */

export type CTypeKind = 'void' | 'int' | 'struct' | 'union' | 'enum' | 'pointer';

export interface CType {
  /** The C spelling, normalised (`const char *`). */
  readonly text: string;
  readonly kind: CTypeKind;
  /** For `int`: width in bits and signedness (`char` counts as signed 8-bit, as on BPF). */
  readonly bits?: number;
  readonly signed?: boolean;
  /** For `struct`/`union`/`enum`: the tag name. */
  readonly tag?: string;
  /** For `pointer`: the pointee and whether it is `const`-qualified. */
  readonly pointee?: CType;
  readonly pointeeConst?: boolean;
}

const SCALARS: Record<string, [bits: number, signed: boolean]> = {
  char: [8, true], 'signed char': [8, true], 'unsigned char': [8, false],
  short: [16, true], 'unsigned short': [16, false],
  int: [32, true], 'unsigned int': [32, false], unsigned: [32, false],
  long: [64, true], 'unsigned long': [64, false], 'long long': [64, true], 'unsigned long long': [64, false],
  size_t: [64, false], ssize_t: [64, true], bool: [8, false], _Bool: [8, false],
  u8: [8, false], u16: [16, false], u32: [32, false], u64: [64, false],
  s8: [8, true], s16: [16, true], s32: [32, true], s64: [64, true],
  __u8: [8, false], __u16: [16, false], __u32: [32, false], __u64: [64, false],
  __s8: [8, true], __s16: [16, true], __s32: [32, true], __s64: [64, true],
  __be16: [16, false], __be32: [32, false], __wsum: [32, false],
};

/** Parses a C type as found in helper prototypes; unknown names are reported as `null`. */
export function parseCType(text: string): CType | null {
  const t = text.replace(/\s+/g, ' ').trim();
  const star = t.lastIndexOf('*');
  if (star >= 0) {
    const innerText = t.slice(0, star).trim();
    const isConst = /^const\b/.test(innerText) || /\bconst$/.test(innerText);
    const pointee = parseCType(innerText.replace(/^const\s+|\s+const$/g, ''));
    if (!pointee) return null;
    return { text: t, kind: 'pointer', pointee, pointeeConst: isConst };
  }
  const bare = t.replace(/^const\s+/, '');
  if (bare === 'void') return { text: t, kind: 'void' };
  const tagged = /^(struct|union|enum) (\w+)$/.exec(bare);
  if (tagged) return { text: t, kind: tagged[1] as 'struct' | 'union' | 'enum', tag: tagged[2] };
  const s = SCALARS[bare];
  return s ? { text: t, kind: 'int', bits: s[0], signed: s[1] } : null;
}
