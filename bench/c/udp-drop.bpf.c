// Bench anchor: the C equivalent of examples/udp-drop.bpf.ts, built with clang -O2 at bench time (as test/corpus/udp_drop.bpf.c).
// Packet parsing: drop UDP datagrams to a configurable port, count drops per source address.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u16 blocked_port = 9999;
__u64 seen_packets = 0;          /* .bss */
__u64 non_ip_packets = 0;        /* .bss */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} drops SEC(".maps");

static __always_inline int handle_udp(void *l4, void *data_end, __u32 saddr)
{
	struct udphdr *udp = l4;
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	if (udp->dest != bpf_htons(blocked_port))
		return XDP_PASS;
	__u64 one = 1;
	__u64 *count = bpf_map_lookup_elem(&drops, &saddr);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&drops, &saddr, &one, BPF_NOEXIST);
	return XDP_DROP;
}

SEC("xdp")
int udp_drop(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;

	seen_packets++;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		if (ip->protocol != IPPROTO_UDP)
			return XDP_PASS;
		return handle_udp((void *)ip + ip->ihl * 4, data_end, ip->saddr);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		if (ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		return handle_udp(ip6 + 1, data_end, ip6->saddr.in6_u.u6_addr32[3]);
	}
	non_ip_packets++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
