/**
 * Tokens of a C header for gen-attr's declaration parser: identifiers, numbers, punctuation and
 * comments (kept: they name anonymous bpf_attr members and carry `since` markers), with line
 * numbers. Preprocessor lines become no tokens; their object-like #defines are collected.
 */
import { objectLikeDefine } from './c-text.js';

export interface Token { kind: 'id' | 'num' | 'punct' | 'comment'; text: string; line: number }

/** Tokenizes `src`; object-like #defines with a value go into `defines` (name → value text). */
export function tokenize(src: string, defines: Map<string, string>): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let atLineStart = true;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { line++; i++; atLineStart = true; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    if (c === '#' && atLineStart) {
      // A preprocessor line, with backslash continuations joined.
      let j = i;
      let text = '';
      while (j < src.length && src[j] !== '\n') {
        if (src[j] === '\\' && src[j + 1] === '\n') { j += 2; line++; text += ' '; continue; }
        text += src[j++];
      }
      const d = objectLikeDefine(text.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, ''));
      if (d && d.value !== '') defines.set(d.name, d.value);
      i = j;
      continue;
    }
    atLineStart = false;
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      const text = src.slice(i, stop);
      out.push({ kind: 'comment', text, line });
      line += text.split('\n').length - 1;
      i = stop;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      out.push({ kind: 'comment', text: src.slice(i, stop), line });
      i = stop;
      continue;
    }
    const id = /^[A-Za-z_]\w*/.exec(src.slice(i, i + 128));
    if (id) { out.push({ kind: 'id', text: id[0], line }); i += id[0].length; continue; }
    const num = /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*/.exec(src.slice(i, i + 64));
    if (num) { out.push({ kind: 'num', text: num[0], line }); i += num[0].length; continue; }
    if (c === '"' || c === "'") {
      // Strings only appear in macros we skip; step over them so their contents are not tokens.
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    out.push({ kind: 'punct', text: c!, line });
    i++;
  }
  return out;
}
