// cgroup_skb/egress and ingress: count the packets the cgroup's processes send and receive (and let them pass).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 egress_packets = 0;
__u64 ingress_packets = 0;

SEC("cgroup_skb/egress")
int cg_egress(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&egress_packets, 1);
	bpf_printk("tsbpf cgroup_skb egress len=%u", skb->len);
	return 1;
}

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&ingress_packets, 1);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
