// kprobe/kretprobe on the getppid system call (x86-64 entry __x64_sys_getppid): counts one
// process's calls and keeps the return value (the parent's pid, in rax on return).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* x86-64 struct pt_regs, as the kernel lays it out. */
struct regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

const volatile __u32 target_tgid = 0;
__u64 hits = 0;
__u64 returns = 0;
long last_ret = 0;

SEC("kprobe/__x64_sys_getppid")
int kprobe_getppid(struct regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (target_tgid && tgid != target_tgid)
		return 0;
	__sync_fetch_and_add(&hits, 1);
	bpf_printk("tsbpf kprobe getppid tgid=%u", tgid);
	return 0;
}

SEC("kretprobe/__x64_sys_getppid")
int kretprobe_getppid(struct regs *ctx)
{
	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	last_ret = ctx->ax;
	__sync_fetch_and_add(&returns, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
