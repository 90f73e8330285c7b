// Builds the kernel program and loads it, which runs the kernel's verifier over it: `sudo npm test`.
// (The kernel cannot run tracepoint programs on demand — BPF_PROG_TEST_RUN does not take them —
// so this test stops at the load; `sudo npm start` attaches the program for real.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadObject } from 'tsbpf';

const OBJECT = fileURLToPath(new URL('../../target/bpf/__NAME__.o', import.meta.url));

test('__PROG__ passes the verifier', async () => {
  const bpf = await loadObject(OBJECT);
  try {
    const program = bpf.program('__PROG__');
    assert.ok(program.info().id > 0, 'loaded');
    assert.ok(bpf.maps.has('tsbpf_logs'), 'the log ring buffer was created');
  } finally {
    bpf.close();
  }
});
