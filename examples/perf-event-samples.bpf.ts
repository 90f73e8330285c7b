// A perf event program: the user side opens a sampling event on every CPU (e.g. the CPU clock at
// 99 Hz) and this program runs at each sample, counting samples per CPU and logging where the
// CPU was (debug level).
import { perfEvent, log, get_smp_processor_id, PerCpuArray, type u64 } from "tsbpf/kernel";

const samples = new PerCpuArray<u64>({ maxEntries: 1 });

export const on_sample = perfEvent((ctx) => {
  const n = samples.lookup(0);
  if (n) n.value += 1;
  log.debug(ctx, "cpu {} ip {:x} period {}", get_smp_processor_id(), ctx.regs.rip, ctx.samplePeriod);
});
