// A classifier whose section names its hook (tc/egress): counts packets leaving the interface.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

__u64 packets = 0;

SEC("tc/egress")
int tc_egress(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&packets, 1);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
