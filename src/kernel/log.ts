/**
 * Structured logging from kernel programs:
 *   log.info(ctx, "udp from {:ip} port {}", ip.saddr, ntohs(udp.source));
 * `tsbpf run` prints `[2024-06-08T04:24:21Z INFO  udp_log] udp from 10.0.0.2 port 40123`.
 * The format is checked and interned at build time (a record carries an id and the argument
 * bytes only); calls below the load-time level (TSBPF_LOG, default info) are removed by the
 * verifier, and their arguments are not evaluated. Placeholders: `{}` (decimal; bytes as hex),
 * `{:x}` / `{:X}` (hex), `{:ip}` (be32, or 4/16-byte arrays: IPv4/IPv6), `{:mac}` (6-byte
 * arrays); `{{` and `}}` are literal braces. The target shown is the program's name.
 */
import type { be32, FixedArray } from './types.js';
import type { ProgramContext } from './programs.js';

/** What a log call can print: integers, bool, and fixed-size arrays (bytes, addresses). */
export type LogValue = number | boolean | FixedArray<number, number>;

/** The argument a placeholder takes (the compiler checks exact widths; editors check the shape). */
export type LogHoleArg<Spec extends string> =
  Spec extends ':ip' ? be32 | FixedArray<number, 4> | FixedArray<number, 16>
  : Spec extends ':mac' ? FixedArray<number, 6>
  : Spec extends ':x' | ':X' ? number | FixedArray<number, number>
  : Spec extends '' ? LogValue
  : never;

/** The arguments a format literal takes, one per placeholder (editors count them). */
export type LogArgs<F extends string> =
  string extends F ? LogValue[]
  : F extends `${string}{${infer Rest}`
    ? Rest extends `{${infer After}` ? LogArgs<After>
    : Rest extends `${infer Spec}}${infer After}` ? [LogHoleArg<Spec>, ...LogArgs<After>]
    : [never]
  : [];

/** Build-time options of the log transport (`log.configure`, at module level, once). */
export interface LogOptions {
  /** Bytes of the `tsbpf_logs` ring buffer: a power of 2, ≥ 4096 (default 262144 = 256 KiB). */
  ringSize?: number;
}

export interface Log {
  error<F extends string>(ctx: ProgramContext, format: F, ...args: LogArgs<F>): void;
  warn<F extends string>(ctx: ProgramContext, format: F, ...args: LogArgs<F>): void;
  info<F extends string>(ctx: ProgramContext, format: F, ...args: LogArgs<F>): void;
  debug<F extends string>(ctx: ProgramContext, format: F, ...args: LogArgs<F>): void;
  trace<F extends string>(ctx: ProgramContext, format: F, ...args: LogArgs<F>): void;
  /** A build-time setting, written at module level: `log.configure({ ringSize: 4096 });`. */
  configure(options: LogOptions): void;
}

export declare const log: Log;
