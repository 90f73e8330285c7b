/** Trace pipe lines: parsing the kernel's columns and printing them in the seed's format. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTraceLine, parseTraceLine } from '../../src/trace/trace-line.js';

test('parses the seed line and prints it back in the seed format', () => {
  const raw = '            ping-75348   [000] ..s21 47214.233803: bpf_trace_printk: packet  received!';
  const l = parseTraceLine(raw)!;
  assert.deepEqual({ ...l, raw: undefined }, {
    task: 'ping', pid: 75348, cpu: 0, flags: '..s21', timestamp: 47214.233803, timestampText: '47214.233803',
    event: 'bpf_trace_printk', message: 'packet  received!', raw: undefined,
  });
  assert.equal(formatTraceLine(l), 'ping-75348   [000] ..s21 47214.233803: bpf_trace_printk: packet  received!');
});

test('the kernel line without its leading padding is what formatTraceLine prints', () => {
  // Lines as this kernel (6.18) writes them, flags with the migrate-disable column.
  for (const raw of [
    '            ping-7910    [001] ..s21   709.975833: bpf_trace_printk: packet  received!',
    '          <idle>-0       [001] d.s3.  1234.000001: bpf_trace_printk: x',
    '              sh-5609    [000] ...1.   469.922513: tracing_mark_write: hello-marker',
  ]) {
    assert.equal(formatTraceLine(parseTraceLine(raw)!), raw.trimStart());
  }
});

test('task names with dashes and spaces, tgid column, empty message', () => {
  const a = parseTraceLine('  kworker/u8:2-my-task-123 [003] .... 10.000001: bpf_trace_printk: hi: there')!;
  assert.equal(a.task, 'kworker/u8:2-my-task');
  assert.equal(a.pid, 123);
  assert.equal(a.message, 'hi: there');
  const b = parseTraceLine('      Web Content-4242  (   4240) [002] d..2. 99.5: bpf_trace_printk: ')!;
  assert.equal(b.task, 'Web Content');
  assert.equal(b.tgid, 4240);
  assert.equal(b.cpu, 2);
  assert.equal(b.message, '');
  const c = parseTraceLine('    <...>-77 (-------) [000] .... 1.000000: bpf_trace_printk: m')!;
  assert.equal(c.tgid, undefined);
  assert.equal(c.task, '<...>');
});

test('lines in other shapes are not parsed', () => {
  for (const raw of ['', '# tracer: nop', 'CPU:1 [LOST 12 EVENTS]', 'garbage without columns']) {
    assert.equal(parseTraceLine(raw), undefined, raw);
  }
});
