// cgroup/sysctl: counts sysctl reads and writes by the cgroup's processes and keeps the last name.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 accesses = 0;
char last_name[64] = {};

SEC("cgroup/sysctl")
int cg_sysctl(struct bpf_sysctl *ctx)
{
	bpf_sysctl_get_name(ctx, last_name, sizeof(last_name), 0);
	__sync_fetch_and_add(&accesses, 1);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
