/**
 * The generators' error classes. Two, because each generator's tests and messages name its own
 * (`HeaderParseError: …` in a gen-abi stack trace, `instanceof GenAttrError` in test/sys).
 */

/** gen-abi: a header (or the supplement) it cannot make sense of; names the construct. */
export class HeaderParseError extends Error {}

/** gen-attr: a declaration it cannot lay out, or a supplement layout that disagrees with the header. */
export class GenAttrError extends Error {}
