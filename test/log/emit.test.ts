/** The kernel-side sequence as text: the exact instructions of a call, arguments, swaps, copies, and refused inputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Assembler, formatInsn } from '../../src/insn/index.js';
import { emitLogCall, lostCounterFunction, logObjectParts, type LogCall } from '../../src/log/emit.js';
import { LOG_LOST_FUNC, LOG_LOST_VAR } from '../../src/log/abi.js';
import { TsbpfError } from '../../src/errors.js';

function text(c: LogCall): string[] {
  const a = new Assembler();
  emitLogCall(a, { end: 'end', ...c });
  a.mov64('r0', 2).exit();
  const p = a.finish();
  return p.insns.map(formatInsn);
}

test('a call without arguments: the 12 documented instructions', () => {
  assert.deepEqual(text({ id: 7, level: 'warn', target: 2, frame: -8, size: 4 }), [
    'r1 = 0 ll', 'r1 = *(u32 *)(r1 + 8)', 'if r1 < 2 goto +10', '*(u64 *)(r10 - 8) = 7',
    'r1 = 0 ll', 'r2 = r10', 'r2 += -8', 'r3 = 4', 'r4 = 0', 'call 130', 'if r0 == 0 goto +1', 'call -1',
    'r0 = 2', 'exit',
  ]);
  const a = new Assembler();
  emitLogCall(a, { id: 0, level: 'info', target: 0, frame: -8, size: 4 });
  a.exit();
  assert.deepEqual(a.finish().relocs.map((r) => [r.kind, r.symbol]), [['map_value', 'tsbpf_log_levels'], ['map', 'tsbpf_logs'], ['func', LOG_LOST_FUNC]]);
});

test('arguments: registers, constants (swapped at build time, wide ones through r1), byte swaps, copies', () => {
  const t = text({ id: 1, level: 'info', target: 0, frame: -32, size: 30, levelReg: 'r9',
    args: [
      { offset: 4, size: 4, value: 'r6' },
      { offset: 8, size: 8, value: 0x1_0000_0001n },
      { offset: 16, size: 2, value: 0x3500, swap: 16 },
      { offset: 18, size: 2, value: 'r2', swap: 16 },
      { offset: 20, size: 2, value: 'r7', swap: 16 },
    ],
    copies: [{ offset: 22, size: 6, from: 'r8', fromOff: 6, unaligned: true }, { offset: 28, size: 2, from: 'r8', fromOff: 1 }] });
  assert.deepEqual(t.slice(0, 19), [
    'if r9 < 3 goto +28', '*(u64 *)(r10 - 32) = 1', '*(u32 *)(r10 - 28) = r6',
    'r1 = 4294967297 ll', '*(u64 *)(r10 - 24) = r1',
    '*(u16 *)(r10 - 16) = 53',
    'r2 = be16 r2', '*(u16 *)(r10 - 14) = r2',
    'r1 = r7', 'r1 = be16 r1', '*(u16 *)(r10 - 12) = r1',
    'r1 = *(u16 *)(r8 + 6)', '*(u16 *)(r10 - 10) = r1', 'r1 = *(u32 *)(r8 + 8)', '*(u32 *)(r10 - 8) = r1',
    'r1 = *(u8 *)(r8 + 1)', '*(u8 *)(r10 - 4) = r1', 'r1 = *(u8 *)(r8 + 2)', '*(u8 *)(r10 - 3) = r1',
  ]);
});

test('inconsistent calls are refused with a LOG error', () => {
  const base: LogCall = { id: 0, level: 'info', target: 0, frame: -8, size: 4 };
  for (const [c, re] of [
    [{ ...base, frame: -4 }, /frame offset -4/],
    [{ ...base, frame: 0 }, /frame offset 0/],
    [{ ...base, size: 12 }, /record of 12 bytes does not fit at r10-8/],
    [{ ...base, id: -1 }, /id -1/],
    [{ ...base, size: 8, args: [{ offset: 6, size: 4, value: 'r2' }] }, /argument at offset 6 \(4 bytes\) is misplaced/],
    [{ ...base, size: 8, args: [{ offset: 4, size: 4, value: 'r1' }] }, /r1 holds the level/],
    [{ ...base, size: 8, levelReg: 'r9', args: [{ offset: 4, size: 4, value: 'r1' }, { offset: 4, size: 4, value: 'r6', swap: 32 }] }, /needs r1 as scratch/],
    [{ ...base, size: 8, copies: [{ offset: 4, size: 4, from: 'r1', fromOff: 0 }] }, /r1 is the copy scratch register/],
    [{ ...base, size: 8, copies: [{ offset: 4, size: 8, from: 'r2', fromOff: 0 }] }, /copied argument at offset 4 \(8 bytes\) is misplaced/],
  ] as [LogCall, RegExp][]) {
    assert.throws(() => emitLogCall(new Assembler(), c), (e: unknown) => e instanceof TsbpfError && e.kind === 'LOG' && re.test(e.message), re.source);
  }
});

test('the lost-counter function and the object parts', () => {
  const f = lostCounterFunction();
  assert.deepEqual(f.insns.map(formatInsn), ['r1 = 0 ll', 'r0 = 1', 'lock *(u64 *)(r1 + 0) += r0', 'exit']);
  assert.deepEqual(f.relocs.map((r) => [r.kind, r.symbol]), [['map_value', LOG_LOST_VAR]]);
  const p = logObjectParts({ targets: ['a', 'b'] }, { ringSize: 8192 });
  assert.deepEqual(p.maps, [{ name: 'tsbpf_logs', type: 27, keySize: 0, valueSize: 0, maxEntries: 8192 }]);
  assert.deepEqual([...p.data[0]!.data!], [3, 0, 0, 0, 3, 0, 0, 0], 'info for every target by default');
  assert.throws(() => logObjectParts({ targets: ['a'] }, { ringSize: 5000 }), /ring size 5000 is not a power of 2/);
});
