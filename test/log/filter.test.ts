/** TSBPF_LOG: env_logger's grammar, the default (info), errors, and the load-time settings it yields. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogFilterError, loadTimeLevels, logEnabled, parseLogFilter, targetLevel, unknownTargets } from '../../src/log/filter.js';

const levels = (spec: string | undefined, targets: string[]) => loadTimeLevels({ targets }, parseLogFilter(spec));

test('default: info for everyone (info lines are shown unless told otherwise)', () => {
  for (const spec of [undefined, '', '  ', ',', ' , ']) {
    const f = parseLogFilter(spec);
    assert.equal(f.defaultLevel, 3, JSON.stringify(spec));
    assert.ok(logEnabled(f, 'info', 'hello_world'));
    assert.ok(!logEnabled(f, 'debug', 'hello_world'));
  }
});

test('LEVEL, TARGET=LEVEL, bare TARGET; later directives win; any case', () => {
  assert.deepEqual(levels('warn', ['a', 'b']), [2, 2]);
  assert.deepEqual(levels('hello_world=debug,info', ['hello_world', 'other']), [4, 3]);
  assert.deepEqual(levels('info,hello_world=debug', ['hello_world', 'other']), [4, 3]);
  assert.deepEqual(levels('hello_world', ['hello_world', 'other']), [5, 3], 'a bare target means everything from it');
  assert.deepEqual(levels('off', ['a']), [0]);
  assert.deepEqual(levels('a=off,trace', ['a', 'b']), [0, 5]);
  assert.deepEqual(levels('a=debug,a=error', ['a']), [1]);
  assert.deepEqual(levels(' WARN , a = Trace ', ['a', 'b']), [5, 2]);
  assert.deepEqual(levels('error,warn', ['a']), [2], 'the last bare level is the default');
  const f = parseLogFilter('xdp.prog=debug');
  assert.equal(targetLevel(f, 'xdp.prog'), 4);
  assert.ok(logEnabled(f, 'error', 'anything'));
  assert.ok(logEnabled(f, 'info', 'other'), 'others keep the default');
  assert.ok(!logEnabled(parseLogFilter('error'), 'warn', 'other'));
});

test('bad directives are errors that name the directive and show the grammar', () => {
  for (const [spec, re] of [
    ['hello_world=verbose', /TSBPF_LOG: 'hello_world=verbose': 'verbose' is not a level/],
    ['=info', /'=info' has no valid target name before '='/],
    ['a b', /'a b' is neither a level nor a target name/],
    ['x=', /'x=': '' is not a level/],
    ['9lives', /neither a level nor a target/],
  ] as const) {
    assert.throws(() => parseLogFilter(spec), (e: unknown) => e instanceof LogFilterError && re.test(e.message) && /TSBPF_LOG=hello_world=debug,warn/.test(e.hint ?? ''), spec);
  }
  assert.throws(() => parseLogFilter('a,'.repeat(3000)), /at most 4096/);
});

test('targets the object does not have are found (a likely typo)', () => {
  assert.deepEqual(unknownTargets(parseLogFilter('helo_world=debug,info,other'), { targets: ['hello_world'] }), ['helo_world', 'other']);
  assert.deepEqual(unknownTargets(parseLogFilter('hello_world=debug'), { targets: ['hello_world'] }), []);
});
