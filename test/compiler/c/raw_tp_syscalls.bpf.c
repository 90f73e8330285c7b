// The C equivalent of examples/raw-tracepoint-syscalls.bpf.ts (compared by the counts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u64);
	__uint(max_entries, 1024);
} syscalls SEC(".maps");

SEC("raw_tracepoint/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
	if (target_pid != 0 && (__u32)(bpf_get_current_pid_tgid() >> 32) != target_pid)
		return 0;
	__u64 id = ctx->args[1], one = 1;
	__u64 *n = bpf_map_lookup_elem(&syscalls, &id);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&syscalls, &id, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
