/**
 * Ring-buffer reservations: a record from `rb.reserve<T>()` must be submitted or discarded exactly
 * once on every path where it is not null, and not used afterwards — the rules the verifier
 * enforces with its reference tracking, checked here so they are reported as diagnostics on the
 * right line. Path state follows the same joins as null narrowing.
 */
import type { Checker } from './check-context.js';
import { intersect, union } from './check-ops.js';
import type { LocalSym } from './typed.js';

export interface ResvState {
  /** Submitted, discarded, or known null on this path: nothing left to release. */
  done: Set<LocalSym>;
  /** Submitted or discarded on some path here (no more uses). */
  maybe: Set<LocalSym>;
}

export function emptyResv(): ResvState {
  return { done: new Set(), maybe: new Set() };
}

export function declareReservation(cx: Checker, sym: LocalSym): void {
  cx.resv.push({ sym, nest: cx.loopDepth + cx.switchDepth });
}

/** `rb.submit(e)` / `rb.discard(e)`. */
export function release(cx: Checker, sym: LocalSym, pos: number): void {
  const r = cx.resv.find((x) => x.sym === sym);
  if (!r || cx.rs.maybe.has(sym)) return; // a use after release is reported where the record is named
  if (cx.loopDepth + cx.switchDepth > r.nest) {
    cx.error('RINGBUF', pos, `submit or discard '${sym.name}' outside loops and switches (or reserve it inside them)`);
    return;
  }
  cx.rs = { done: union(cx.rs.done, new Set([sym])), maybe: union(cx.rs.maybe, new Set([sym])) };
}

/** A use of the record after it was handed over. */
export function checkUse(cx: Checker, sym: LocalSym, pos: number): boolean {
  if (!cx.rs.maybe.has(sym)) return true;
  cx.error('RINGBUF', pos, `'${sym.name}' was already submitted or discarded: it cannot be used any more`);
  return false;
}

/** At a return: every record reserved so far must be released or null on this path. */
export function checkExit(cx: Checker, pos: number): void {
  for (const { sym } of cx.resv) {
    if (cx.rs.done.has(sym)) continue;
    cx.error('RINGBUF', pos, `'${sym.name}' is neither submitted nor discarded before this return`, `call ${'submit'}(${sym.name}) or discard(${sym.name}) on every path where it is not null`);
  }
}

/** Adds null facts (a branch where the test proved records null). */
export function withNull(s: ResvState, nulls: Set<LocalSym>): ResvState {
  return nulls.size ? { ...s, done: union(s.done, nulls) } : s;
}

/**
 * The state after two paths meet. Records reserved on one path only count as null on the other
 * (they do not exist there).
 */
export function join(a: ResvState, aReach: boolean, aNew: LocalSym[], b: ResvState, bReach: boolean, bNew: LocalSym[]): ResvState | undefined {
  if (!aReach && !bReach) return undefined;
  if (!aReach) return b;
  if (!bReach) return a;
  return { done: intersect(union(a.done, new Set(bNew)), union(b.done, new Set(aNew))), maybe: union(a.maybe, b.maybe) };
}

/** At break/continue: records reserved inside the construct being left must be released or null. */
export function checkLeave(cx: Checker, pos: number): void {
  const nest = cx.loopDepth + cx.switchDepth;
  for (const { sym, nest: n } of cx.resv) {
    if (n < nest || cx.rs.done.has(sym)) continue;
    cx.error('RINGBUF', pos, `'${sym.name}' is neither submitted nor discarded before leaving this block`);
  }
}

/** After a loop or switch body: its records do not exist on the path that continues. */
export function afterBody(cx: Checker, before: ResvState, firstNew: number): ResvState {
  return withNull(before, new Set(cx.resv.slice(firstNew).map((r) => r.sym)));
}
