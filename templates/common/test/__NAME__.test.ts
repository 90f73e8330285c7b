// __TESTABOUT__
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { __TESTIMPORTS__ } from 'tsbpf';
__KERNELIMPORT__

const OBJECT = fileURLToPath(new URL('../../target/bpf/__NAME__.o', import.meta.url));

__HELPER__
test('__PROG__ __TITLE__', async (__T__) => {
  __LOAD__
  try {
    __CHECKS__
  } finally {
    bpf.close();
  }
});
