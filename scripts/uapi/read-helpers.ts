/**
 * Helpers of a uapi linux/bpf.h: ids from the FN() mapper macro and C prototypes from the
 * helper doc comment, for gen-abi's helpers table.
 */
import { stripC } from './c-text.js';
import { HeaderParseError } from './errors.js';

/** A parsed C prototype of one helper (the doc comment may list several for one helper). */
export interface ProtoSig {
  ret: string;
  args: { type: string; name: string }[];
  variadic: boolean;
}

/** Names (without bpf_) and ids of the FN() mapper, in either the ≤6.1 `FN(name)` or the ≥6.2 `FN(name, id, ##ctx)` form. */
export function parseHelperIds(text: string): [string, number][] {
  const src = stripC(text);
  const m = /#\s*define\s+_{2,3}BPF_FUNC_MAPPER\s*\([^)]*\)([^\n]*)/.exec(src);
  if (!m) throw new HeaderParseError('linux/bpf.h: no __BPF_FUNC_MAPPER(FN) macro found');
  const out: [string, number][] = [];
  for (const fn of m[1]!.matchAll(/\bFN\(\s*(\w+)\s*(?:,\s*(\d+)\s*)?(?:,[^)]*)?\)/g)) {
    out.push([fn[1]!, fn[2] === undefined ? out.length : Number(fn[2])]);
  }
  if (out.length === 0) throw new HeaderParseError('linux/bpf.h: __BPF_FUNC_MAPPER lists no FN() entries');
  return out;
}

/** Normalises a C type's spelling: single spaces, `char *`, `struct x **`. */
function normType(t: string): string {
  return t.replace(/\s+/g, ' ').replace(/\s*\*\s*/g, '*').replace(/([^*\s])\*/, '$1 *').trim();
}

/** Parses `long bpf_name(const char *fmt, u32 size, ...)` into name and signature. */
export function parseProto(line: string): { name: string; sig: ProtoSig } {
  const m = /^(.*?)\b(bpf_\w+)\s*\((.*)\)\s*$/.exec(line.trim());
  if (!m) throw new HeaderParseError(`helper prototype '${line.trim()}': not of the form TYPE bpf_NAME(ARGS)`);
  const args: ProtoSig['args'] = [];
  let variadic = false;
  const list = m[3]!.trim();
  if (list !== '' && list !== 'void') {
    for (const raw of list.split(',').map((s) => s.trim())) {
      if (raw === '...') { variadic = true; continue; }
      const a = /^(.*?)(\w+)$/.exec(raw);
      if (!a || a[1]!.trim() === '') throw new HeaderParseError(`helper ${m[2]}: cannot parse argument '${raw}'`);
      args.push({ type: normType(a[1]!), name: a[2]! });
    }
  }
  return { name: m[2]!.slice('bpf_'.length), sig: { ret: normType(m[1]!), args, variadic } };
}

/** Prototypes from the helper doc comment: a ` * PROTO` line followed by ` * \tDescription`. */
export function parseHelperProtos(text: string): Map<string, ProtoSig[]> {
  const lines = text.split('\n');
  const out = new Map<string, ProtoSig[]>();
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = /^ \* (\S.*\))\s*$/.exec(lines[i]!);
    if (!m || !/^ \*\s+Description\s*$/.test(lines[i + 1]!)) continue;
    const { name, sig } = parseProto(m[1]!);
    const list = out.get(name) ?? [];
    list.push(sig);
    out.set(name, list);
  }
  return out;
}
