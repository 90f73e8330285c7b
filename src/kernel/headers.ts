/**
 * Common packet headers, laid out as on the wire (field names follow the kernel's structs without
 * their prefixes). Multi-byte fields are network byte order (`be16`/`be32`): compare them with
 * `ntohs(eth.proto) === EtherType.IPV4`; the compiler folds the swap into the constant.
 * Read them with `ctx.header<Ipv4Hdr>(offset)`.
 */
import type { u8, be16, be32, FixedArray } from './types.js';

export interface EthHdr {
  dest: FixedArray<u8, 6>;
  source: FixedArray<u8, 6>;
  proto: be16;
}

/** 802.1Q tag following an Ethernet header whose proto is VLAN or QINQ. */
export interface VlanHdr {
  tci: be16;
  proto: be16;
}

export interface Ipv4Hdr {
  ver_ihl: u8;
  tos: u8;
  tot_len: be16;
  id: be16;
  frag_off: be16;
  ttl: u8;
  protocol: u8;
  check: be16;
  saddr: be32;
  daddr: be32;
  /** High 4 bits of ver_ihl. */
  readonly version: u8;
  /** Header length in 32-bit words: low 4 bits of ver_ihl (the header is ihl * 4 bytes). */
  readonly ihl: u8;
}

export interface Ipv6Hdr {
  ver_tc_flow: be32;
  payload_len: be16;
  nexthdr: u8;
  hop_limit: u8;
  saddr: FixedArray<be32, 4>;
  daddr: FixedArray<be32, 4>;
}

/** Generic IPv6 extension header (hop-by-hop, routing, destination options): (hdrlen + 1) * 8 bytes. */
export interface Ipv6OptHdr {
  nexthdr: u8;
  hdrlen: u8;
}

export interface IcmpHdr {
  type: u8;
  code: u8;
  checksum: be16;
  id: be16;
  sequence: be16;
}

export interface Icmp6Hdr {
  type: u8;
  code: u8;
  checksum: be16;
  id: be16;
  sequence: be16;
}

export interface UdpHdr {
  source: be16;
  dest: be16;
  len: be16;
  check: be16;
}

export interface TcpHdr {
  source: be16;
  dest: be16;
  seq: be32;
  ack_seq: be32;
  /** Data offset (high 4 bits) and reserved bits. */
  doff_res: u8;
  /** FIN, SYN, RST, PSH, ACK, URG, ECE, CWR: see TcpFlags. */
  flags: u8;
  window: be16;
  check: be16;
  urg_ptr: be16;
  /** Header length in 32-bit words: high 4 bits of doff_res. */
  readonly doff: u8;
}

/** Ethernet protocol numbers in host order (compare with `ntohs(eth.proto)`). */
export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;

export const IpProto = {
  HOPOPTS: 0, ICMP: 1, TCP: 6, UDP: 17, ROUTING: 43, FRAGMENT: 44, ICMPV6: 58, NONE: 59, DSTOPTS: 60,
} as const;

export const TcpFlags = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 } as const;

/** Header sizes in bytes. */
export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;
export const UDP_HLEN = 8;
export const TCP_HLEN = 20;
