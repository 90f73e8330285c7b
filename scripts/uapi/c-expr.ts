/**
 * Integer constant expressions of uapi headers (#define values, enum initialisers, array bounds,
 * bit-field widths, aligned(N)), evaluated with bigint arithmetic so 64-bit flags stay exact.
 * Both generators use it: gen-abi wants null for what does not evaluate (such a #define is not
 * a constant), gen-attr wants the reason.
 */

/** Why an expression did not evaluate; the message names the expression. */
export class CExprError extends Error {}

const TOKEN = /0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[()|&^+\-*/~]/g;
/** Binary operators by C precedence (higher binds tighter). */
const PREC = new Map<string, number>([['|', 1], ['^', 2], ['&', 3], ['<<', 4], ['>>', 4], ['+', 5], ['-', 5], ['*', 6], ['/', 6]]);

/**
 * Evaluates `expr`: numbers (U/L suffixes allowed), names (`lookup` gives their value, null when
 * unknown), parentheses, unary `- + ~` and binary `* / + - << >> & ^ |`. Throws CExprError.
 */
export function evaluateCExpr(expr: string, lookup: (name: string) => bigint | null): bigint {
  const tokens = expr.match(TOKEN) ?? [];
  const unreadable = (): CExprError => new CExprError(`cannot evaluate constant expression: ${expr}`);
  // Anything the token pattern skipped (a string, `%`, `?:`) makes the whole expression unreadable.
  if (tokens.join('') !== expr.replace(/\s+/g, '')) throw unreadable();
  let pos = 0;
  const primary = (): bigint => {
    const t = tokens[pos++];
    if (t === undefined) throw new CExprError(`incomplete constant expression: ${expr}`);
    if (t === '(') {
      const v = binary(0);
      if (tokens[pos++] !== ')') throw new CExprError(`missing ) in ${expr}`);
      return v;
    }
    if (t === '-' || t === '~' || t === '+') {
      const v = primary();
      return t === '-' ? -v : t === '+' ? v : ~v;
    }
    if (/^\d/.test(t)) return BigInt(t.replace(/[uUlL]+$/, ''));
    if (!/^[A-Za-z_]/.test(t)) throw unreadable();
    const v = lookup(t);
    if (v === null) throw new CExprError(`unknown constant ${t} in ${expr}`);
    return v;
  };
  const binary = (min: number): bigint => {
    let left = primary();
    for (;;) {
      const op = tokens[pos];
      const p = op === undefined ? undefined : PREC.get(op);
      if (p === undefined || p <= min) return left;
      pos++;
      const right = binary(p);
      if (op === '/' && right === 0n) throw new CExprError(`division by zero in ${expr}`);
      left = op === '|' ? left | right : op === '^' ? left ^ right : op === '&' ? left & right
        : op === '<<' ? left << right : op === '>>' ? left >> right : op === '+' ? left + right
        : op === '-' ? left - right : op === '*' ? left * right : left / right;
    }
  };
  const v = binary(0);
  if (pos !== tokens.length) throw unreadable();
  return v;
}

/** evaluateCExpr over already-known values; null when the expression does not evaluate. */
export function evalCExpr(expr: string, symbols: ReadonlyMap<string, bigint>): bigint | null {
  try {
    return evaluateCExpr(expr, (name) => symbols.get(name) ?? null);
  } catch (e) {
    if (e instanceof CExprError) return null;
    throw e;
  }
}
