// Per-action counters (struct datarec per XDP action, per CPU) read from user space, summed over
// the CPUs and printed with rates, as the tutorial's xdp_stats does.
import { codecs, type BpfMap, type Codec } from 'tsbpf';

export const ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'] as const;

export interface DataRec {
  rx_packets: bigint;
  rx_bytes: bigint;
}

/** struct datarec as bytes, for a map opened by path (a pin carries no BTF to decode it with). */
export const dataRecCodec: Codec<DataRec> = {
  size: 16,
  typeName: 'struct datarec',
  encode(v, b, o) {
    codecs.u64.encode(v.rx_packets, b, o);
    codecs.u64.encode(v.rx_bytes, b, o + 8);
  },
  decode: (b, o) => ({ rx_packets: codecs.u64.decode(b, o), rx_bytes: codecs.u64.decode(b, o + 8) }),
};

/** Totals per action: each CPU's record added up. */
export function readTotals(map: BpfMap<number, DataRec[]>): DataRec[] {
  return ACTIONS.map((_, action) => {
    const total: DataRec = { rx_packets: 0n, rx_bytes: 0n };
    for (const cpu of map.get(action) ?? []) {
      total.rx_packets += BigInt(cpu.rx_packets);
      total.rx_bytes += BigInt(cpu.rx_bytes);
    }
    return total;
  });
}

/** One line per action: `XDP_PASS          12 pkts (     4.0 pps)       1176 bytes (     0.0 Mbit/s)`. */
export function formatTotals(now: DataRec[], before: DataRec[] | undefined, seconds: number): string {
  return ACTIONS.map((name, i) => {
    const n = now[i]!;
    const p = before?.[i] ?? { rx_packets: 0n, rx_bytes: 0n };
    const pps = seconds > 0 ? Number(n.rx_packets - p.rx_packets) / seconds : 0;
    const mbit = seconds > 0 ? (Number(n.rx_bytes - p.rx_bytes) * 8) / seconds / 1e6 : 0;
    return `${name.padEnd(13)}${String(n.rx_packets).padStart(10)} pkts (${pps.toFixed(1).padStart(10)} pps) ${String(n.rx_bytes).padStart(12)} bytes (${mbit.toFixed(3).padStart(9)} Mbit/s)`;
  }).join('\n');
}

/** Prints the totals every `intervalMs` until `stop` resolves or `count` reports were printed. */
export async function printEvery(read: () => DataRec[], intervalMs: number, count: number | undefined, stop: Promise<void>): Promise<void> {
  let before: DataRec[] | undefined;
  let at = Date.now();
  let stopped = false;
  let wake: (() => void) | undefined;
  void stop.then(() => {
    stopped = true;
    wake?.();
  });
  for (let n = 0; !stopped && (count === undefined || n < count); n++) {
    await new Promise<void>((r) => {
      const t = setTimeout(r, intervalMs);
      wake = () => (clearTimeout(t), r());
    });
    if (stopped) return;
    const now = read();
    const t = Date.now();
    console.log(`${formatTotals(now, before, (t - at) / 1000)}\n`);
    before = now;
    at = t;
  }
}
