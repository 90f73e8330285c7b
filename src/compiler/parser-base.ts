/**
 * Token cursor shared by the expression, type and statement parsers: lookahead, expectations
 * with diagnostics, and speculative parsing (for `f<T>(x)` vs `a < b` and arrow functions).
 */
import type { Diagnostics, DiagKind } from './diagnostics.js';
import type { Token } from './lexer.js';

/** Thrown to abandon a speculative parse or an unrecoverable statement. */
export class ParseAbort extends Error {}

export class ParserBase {
  protected i = 0;
  /** > 0 while parsing speculatively: errors abort instead of being reported. */
  private speculating = 0;

  constructor(protected readonly toks: Token[], protected readonly diags: Diagnostics) {}

  protected get tok(): Token {
    return this.toks[this.i];
  }
  protected peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)];
  }
  protected atEof(): boolean {
    return this.toks[this.i].kind === 'eof';
  }
  protected get prevEnd(): number {
    return this.i > 0 ? this.toks[this.i - 1].end : 0;
  }
  protected next(): Token {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  protected is(text: string): boolean {
    const t = this.tok;
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }
  protected isPunct(text: string): boolean {
    return this.tok.kind === 'punct' && this.tok.text === text;
  }
  protected eat(text: string): boolean {
    if (this.is(text)) {
      this.next();
      return true;
    }
    return false;
  }
  protected expect(text: string, what?: string): Token {
    if (this.is(text)) return this.next();
    this.fail(this.tok.pos, `expected '${text}'${what ? ` ${what}` : ''} but found ${describe(this.tok)}`);
  }
  protected ident(what = 'a name'): Token {
    if (this.tok.kind === 'ident') return this.next();
    this.fail(this.tok.pos, `expected ${what} but found ${describe(this.tok)}`);
  }

  /** Reports a syntax error and abandons the current statement (or the speculative parse). */
  protected fail(pos: number, message: string, kind: DiagKind = 'SYNTAX'): never {
    if (this.speculating === 0) this.diags.error(kind, pos, message);
    throw new ParseAbort(message);
  }
  /** Reports an error without abandoning (the construct parsed fine but is outside the subset). */
  protected report(kind: DiagKind, pos: number, message: string, hint?: string): void {
    if (this.speculating === 0) this.diags.error(kind, pos, message, hint);
  }

  /** Runs `fn`; on a parse failure restores the position and returns undefined. */
  protected attempt<T>(fn: () => T): T | undefined {
    const save = this.i;
    this.speculating++;
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof ParseAbort)) throw e;
      this.i = save;
      return undefined;
    } finally {
      this.speculating--;
    }
  }

  /** Automatic semicolon insertion: `;`, or a line break / `}` / end of file before the next token. */
  protected semicolon(): void {
    if (this.eat(';')) return;
    if (this.tok.nl || this.isPunct('}') || this.tok.kind === 'eof') return;
    this.fail(this.tok.pos, `expected ';' but found ${describe(this.tok)}`);
  }

  /** Skips a balanced `{ … }`, `( … )` or `[ … ]` group starting at the current token. */
  protected skipGroup(): void {
    const open = this.tok.text;
    const close = open === '{' ? '}' : open === '(' ? ')' : ']';
    let depth = 0;
    while (this.tok.kind !== 'eof') {
      const t = this.next();
      if (t.kind !== 'punct') continue;
      if (t.text === open) depth++;
      else if (t.text === close && --depth === 0) return;
    }
  }
}

export function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of file';
  if (t.kind === 'str' || t.kind === 'template') return 'a string';
  if (t.kind === 'num') return `'${t.text}'`;
  return `'${t.text}'`;
}
