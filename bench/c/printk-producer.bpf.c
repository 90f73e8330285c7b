// Bench producer (row 4): the printk path for comparison with ring-buffer records: every run
// writes one line with its sequence number to the trace buffer, as bpf_printk users do.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 produced = 0;

SEC("xdp")
int printk_produce(struct xdp_md *ctx)
{
	__u64 seq = __sync_fetch_and_add(&produced, 1);
	bpf_printk("tsbpf-bench %llu", seq);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
