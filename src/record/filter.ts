/** \summary: builds the BPF capture filter from the target addresses and port (pcap-filter(7)). */
import { isIP } from 'node:net';

export interface FilterSpec {
  addresses: string[];
  port: number;
  /** Also capture DNS answers (UDP source port 53), so the analyser can name addresses. */
  withDns: boolean;
}

/** `(tcp port 443 and (host a or host b)) or (udp src port 53)`; every address is a validated literal. */
export function buildFilter(spec: FilterSpec): string {
  for (const a of spec.addresses) if (isIP(a) === 0) throw new Error(`not an IP address: ${a}`);
  const hosts = spec.addresses.map((a) => `host ${a}`).join(' or ');
  const tcp = `tcp port ${spec.port} and (${hosts})`;
  return spec.withDns ? `(${tcp}) or (udp src port 53)` : tcp;
}
