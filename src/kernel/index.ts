/**
 * `tsbpf/kernel`: what kernel programs import. Declarations for editors; the tsbpf compiler
 * knows every name here and gives it meaning (src/compiler/builtins.ts). The only runtime values
 * are the constant tables (XdpAction, EtherType, …).
 */
export * from './types.js';
export * from './programs.js';
export * from './skb.js';
export * from './tracing.js';
export * from './cgroup.js';
export * from './helpers.js';
export * from './maps.js';
export * from './headers.js';
export * from './log.js';
export * from './sk-msg.js';
