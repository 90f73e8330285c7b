// tp_btf/sys_enter (BTF-typed raw tracepoint: args are (struct pt_regs *regs, long id)):
// counts getppid (110 on x86-64) calls of one process.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_tgid = 0;
__u64 hits = 0;

SEC("tp_btf/sys_enter")
int btf_sys_enter(__u64 *ctx)
{
	if ((long)ctx[1] != 110)
		return 0;
	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
