/**
 * \summary: target hosts: validation, `--resolve host:addr` overrides, and A/AAAA resolution.
 *
 * A BPF `host NAME` is resolved once, when tcpdump compiles the filter, and the Binance hosts'
 * addresses rotate; so wscap resolves every address itself and keeps re-resolving.
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { UsageError } from '../errors/usage-error.js';
import { escapeTerminal } from '../render/escape.js';

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/**
 * An RFC 1123 host name: labels of letters, digits and hyphens (not at either end), at most 253
 * characters, an optional final dot. The last label may not be all digits: getaddrinfo would read
 * "1.2.3" as the address 1.2.0.3.
 */
export function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (/^\d+$/.test(labels[labels.length - 1])) return false;
  return labels.every((l) => DNS_LABEL.test(l));
}

/** Throws a UsageError unless `host` is an IP literal or a valid DNS name (nothing a filter or shell could misread). */
export function validateHost(host: string): string {
  if (isIP(host) !== 0 || isHostName(host)) return host;
  throw new UsageError(`--host '${escapeTerminal(host)}' is not a host name or IP address`);
}

/** Parses curl-style `host:addr` (also `host:port:addr`, as curl writes it; the port is ignored). */
export function parseResolve(spec: string): { host: string; address: string } {
  const first = spec.indexOf(':');
  if (first <= 0) throw new UsageError(`--resolve '${escapeTerminal(spec)}' must be host:address`);
  const host = spec.slice(0, first);
  let address = spec.slice(first + 1);
  const portThenAddress = /^\d{1,5}:(.+)$/.exec(address);
  if (portThenAddress && isIP(address) === 0) address = portThenAddress[1];
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  validateHost(host);
  if (isIP(address) === 0) throw new UsageError(`--resolve '${escapeTerminal(spec)}': '${escapeTerminal(address)}' is not an IP address`);
  return { host, address };
}

export type Resolver = (host: string) => Promise<string[]>;

/** Every IPv4 and IPv6 address of `host` (getaddrinfo, as the agent's own resolver sees it). */
export const systemResolver: Resolver = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((a) => a.address);
};

/**
 * Resolves each host: IP literals stand for themselves, --resolve overrides win, the rest go to
 * `resolver`. A host that fails to resolve gets no addresses (the caller decides if that is fatal).
 */
export async function resolveHosts(
  hosts: string[],
  overrides: Map<string, string[]>,
  resolver: Resolver,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const host of hosts) {
    if (isIP(host) !== 0) out.set(host, [host]);
    else if (overrides.has(host)) out.set(host, [...(overrides.get(host) ?? [])]);
    else {
      try {
        out.set(host, [...new Set(await resolver(host))].sort());
      } catch {
        out.set(host, []);
      }
    }
  }
  return out;
}
