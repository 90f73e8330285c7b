/**
 * The assembled logging XDP programs the kernel and CLI tests run: the seed's hello world, a UDP
 * logger (source address, MAC, port), an ICMP echo-request logger (one line per ping), and a
 * storm producer (one record per run, carrying bpf_ktime_get_ns).
 */
import type { Assembler } from '../../src/insn/index.js';
import type { SiteSpec } from './producer.js';

type Body = (a: Assembler, log: (s: SiteSpec) => void) => void;

/** `log.info(ctx, "received a packet"); return XDP_PASS;` */
export const hello: Body = (a, log) => {
  log({ format: 'received a packet' });
  a.mov64('r0', 2).exit();
};

/** r7 = data, r8 = data_end; leaves for 'out' unless the frame holds `need` bytes of IPv4 with protocol `proto`. */
function ipv4(a: Assembler, need: number, proto: number): void {
  a.mov64('r6', 'r1').ldx('u32', 'r7', 'r6', 0).ldx('u32', 'r8', 'r6', 4);
  a.mov64('r2', 'r7').add64('r2', need).jgt('r2', 'r8', 'out');
  a.ldx('u16', 'r2', 'r7', 12).jne('r2', 0x0008, 'out'); // ETH_P_IP, read little-endian
  a.ldx('u8', 'r2', 'r7', 14).jne('r2', 0x45, 'out'); // IPv4 without options
  a.ldx('u8', 'r2', 'r7', 23).jne('r2', proto, 'out');
}

/** Every UDP/IPv4 datagram: `udp from {:ip} mac {:mac} port {} ({:x})`. */
export const udp: Body = (a, log) => {
  ipv4(a, 42, 17);
  a.ldx('u32', 'r9', 'r7', 26).ldx('u16', 'r3', 'r7', 34);
  log({ format: 'udp from {:ip} mac {:mac} port {} ({:x})', args: [
    { type: 'be32', value: 'r9' }, { type: 'u8[6]', from: 'r7', fromOff: 6, unaligned: true }, { type: 'be16', value: 'r3' }, { type: 'be16', value: 'r3' }] });
  a.label('out').mov64('r0', 2).exit();
};

/** ICMP echo requests only: `echo request from {:ip} id {} seq {}`. */
export const ping: Body = (a, log) => {
  ipv4(a, 42, 1);
  a.ldx('u8', 'r2', 'r7', 34).jne('r2', 8, 'out');
  a.ldx('u32', 'r9', 'r7', 26).ldx('u16', 'r2', 'r7', 38).ldx('u16', 'r3', 'r7', 40);
  log({ format: 'echo request from {:ip} id {} seq {}', args: [{ type: 'be32', value: 'r9' }, { type: 'be16', value: 'r2' }, { type: 'be16', value: 'r3' }] });
  a.label('out').mov64('r0', 2).exit();
};

/** One record per run with the time: `t={}`. */
export const storm: Body = (a, log) => {
  a.call('ktime_get_ns').mov64('r6', 'r0');
  log({ format: 't={}', args: [{ type: 'u64', value: 'r6' }] });
  a.mov64('r0', 2).exit();
};
