// Rejected by the verifier: reads the Ethernet header without checking it against data_end.
// The object also has a map and global data, so a failed load must clean them up.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} bad_counts SEC(".maps");

__u64 bad_seen = 0;

SEC("xdp")
int unchecked_packet(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	bad_seen++;
	return eth->h_proto == 0 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
