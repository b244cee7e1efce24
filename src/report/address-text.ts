/**
 * \summary: a server address as the report writes it in `summary.hosts[].addresses`: the
 * diagnosis builds the list with it and the HTML renderer matches rows against it, so both use
 * this one rule.
 */

/** "ip" for port 443, else "ip:port" / "[ip]:port". */
export function addressText(ip: string, port: number): string {
  if (port === 443) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
