/** The row groups of `npm run bench`, in table order (issue 7). Each lives in bench/rows/. */
import type { RowGroup } from './harness.js';

export const GROUPS: Record<string, RowGroup> = {};
