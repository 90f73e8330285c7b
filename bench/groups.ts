/**
 * The row groups of `npm run bench`, in table order (issue 7). Each lives in bench/rows/; the key
 * selects groups on the command line (`npm run bench -- --quick size testrun`).
 */
import type { RowGroup } from './harness.js';
import { SIZE_GROUP, sizeRows } from './rows/size.js';
import { TESTRUN_GROUP, testRunRows } from './rows/testrun.js';
import { LOG_GROUP, logLineRows } from './rows/logline.js';
import { RECORDS_GROUP, recordsRows } from './rows/records.js';
import { RAW_GROUP, ringbufRawRows } from './rows/ringbuf-raw.js';
import { LOAD_GROUP, loadAttachRows } from './rows/load-attach.js';
import { BUILD_GROUP, buildRows } from './rows/build-time.js';

export const GROUPS: [string, { title: string; run: RowGroup }][] = [
  ['size', { title: SIZE_GROUP, run: sizeRows }],
  ['testrun', { title: TESTRUN_GROUP, run: testRunRows }],
  ['logline', { title: LOG_GROUP, run: logLineRows }],
  ['records', { title: RECORDS_GROUP, run: recordsRows }],
  ['load-attach', { title: LOAD_GROUP, run: loadAttachRows }],
  ['build', { title: BUILD_GROUP, run: buildRows }],
  ['ringbuf-raw', { title: RAW_GROUP, run: ringbufRawRows }],
];
