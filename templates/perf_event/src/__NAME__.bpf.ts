// The kernel side of __NAME__: a perf event program. src/main.ts opens a sampling event on every
// CPU (the CPU clock, 99 times a second) and the program runs at each sample: it logs the CPU and
// the instruction pointer. `npm run build` compiles it to target/bpf/__NAME__.o.
import { perfEvent, log, get_smp_processor_id } from "tsbpf/kernel";

export const __PROG__ = perfEvent((ctx) => {
  log.info(ctx, "sample on cpu {} at {:x}", get_smp_processor_id(), ctx.regs.rip);
});
