/** The tcpdump options the driver's unit tests start from (each test changes what it checks). */
import type { TcpdumpOptions } from '../../src/record/tcpdump.js';

export const TCPDUMP_OPTIONS: TcpdumpOptions = {
  tcpdumpPath: 'tcpdump',
  interface: 'any',
  file: '/tmp/x.pcap',
  filter: '(tcp port 443 and (host 1.2.3.4)) or (udp src port 53)',
  snaplen: 0,
  bufferKiB: 65536,
  user: 'root',
  packetCount: null,
  rotateSizeMB: null,
  rotateEveryS: null,
  ringFiles: null,
};
