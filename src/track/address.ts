/** \summary: formats the address words the decoders fill (IPv4 dotted quad, IPv6 per RFC 5952). */

/**
 * The last two IPv4 addresses formatted: connections come and go between few addresses (the
 * server's, the agent's), so most calls are answered without building a string.
 */
const v4Words = new Float64Array([-1, -1]);
const v4Texts = ['', ''];
/** The slot used last; a new address replaces the other one. */
let v4Recent = 0;

export function formatAddress(words: Uint32Array, first: number, ipVersion: 4 | 6): string {
  if (ipVersion === 4) {
    const v = words[first + 3];
    if (v === v4Words[v4Recent]) return v4Texts[v4Recent];
    v4Recent ^= 1;
    if (v === v4Words[v4Recent]) return v4Texts[v4Recent];
    const text = `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
    v4Words[v4Recent] = v;
    v4Texts[v4Recent] = text;
    return text;
  }
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[first + i];
    groups.push(w >>> 16, w & 0xffff);
  }
  // RFC 5952 4.2: compress the longest run (of two or more) of zero groups, the first if tied.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/** "1.2.3.4:443" or "[::1]:443", as ss and curl write endpoints. */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
