// A uprobe and a uretprobe on libc's getpid(): counts the calls per process and logs what each
// returned. Attached for every process that maps libc (`tsbpf run` resolves libc.so.6 in the usual
// library directories), so it sees any program calling getpid().
import {
  uprobe, uretprobe, log, get_current_pid_tgid, HashMap, UpdateFlags, atomic_add, type u32, type u64, type i32,
} from "tsbpf/kernel";

/** tgid → getpid() calls. */
const calls = new HashMap<u32, u64>({ maxEntries: 4096 });

export const getpid_entry = uprobe("libc.so.6:getpid", () => {
  const tgid = (get_current_pid_tgid() >> 32) as u32;
  const n = calls.lookup(tgid);
  if (n) atomic_add(n.value, 1);
  else calls.update(tgid, 1, UpdateFlags.NOEXIST);
});

export const getpid_exit = uretprobe("libc.so.6:getpid", (ctx) => {
  log.debug(ctx, "getpid() = {}", ctx.ret() as i32);
});
