/**
 * `log` in tsbpf/kernel for editors: the real TypeScript checker counts a format's placeholders
 * and checks the shape of address arguments (the compiler checks exact widths), and the declared
 * methods are exactly the levels the compiler knows plus `configure`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOG_LEVELS } from '../../src/log/abi.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Type-checks `source` as if it were examples/NAME.bpf.ts (resolving tsbpf/kernel); returns `line: message`. */
function typecheck(source: string): string[] {
  const require = createRequire(import.meta.url);
  const ts = require('typescript') as typeof import('typescript');
  const file = join(ROOT, 'examples', '__log_api_check__.bpf.ts');
  const options = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [], skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

test('editors count placeholders and check address shapes (TypeScript checker)', { timeout: 60_000 }, () => {
  const ok = typecheck(`import { xdp, XdpAction, log, ntohs, type EthHdr, type Ipv4Hdr, type Ipv6Hdr } from "tsbpf/kernel";
log.configure({ ringSize: 4096 });
export const p = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (!eth) return XdpAction.PASS;
  const ip = ctx.header<Ipv4Hdr>(14);
  const ip6 = ctx.header<Ipv6Hdr>(14);
  if (!ip || !ip6) return XdpAction.PASS;
  log.info(ctx, "received a packet");
  log.warn(ctx, "{:ip} {:mac} {} {:x} {{literal}}", ip.saddr, eth.source, ntohs(eth.proto), ctx.len);
  log.debug(ctx, "{:ip} -> {:ip} {}", ip6.saddr, ip6.daddr, ip.ttl > 5);
  log.error(ctx, "bytes {:X}", eth.dest);
  return XdpAction.PASS;
});
`);
  assert.deepEqual(ok, []);
  const bad = typecheck(`import { xdp, XdpAction, log, type EthHdr } from "tsbpf/kernel";
export const p = xdp((ctx) => {
  const eth = ctx.header<EthHdr>(0);
  if (!eth) return XdpAction.PASS;
  log.info(ctx, "a {} b {}", 1);
  log.info(ctx, "a {}", 1, 2);
  log.info(ctx, "mac {:mac}", eth.proto);
  log.info(ctx, "ip {:ip}", eth.source);
  log.info(ctx, "{{}}", 1);
  log.notice(ctx, "x");
  return XdpAction.PASS;
});
`);
  assert.deepEqual(bad.map((d) => d.split(':')[0]), ['5', '6', '7', '8', '9', '10'], bad.join('\n'));
  assert.match(bad[0]!, /Expected 4 arguments, but got 3/);
  assert.match(bad[1]!, /Expected 3 arguments, but got 4/);
});

test('src/kernel/log.ts declares the compiler\'s levels and configure', () => {
  const text = readFileSync(join(ROOT, 'src', 'kernel', 'log.ts'), 'utf8');
  const body = /export interface Log \{([\s\S]*?)\n\}/.exec(text)![1]!;
  const methods = [...body.matchAll(/^\s+(\w+)[<(]/gm)].map((m) => m[1]);
  assert.deepEqual(methods, [...LOG_LEVELS, 'configure']);
});
