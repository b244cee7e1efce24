/**
 * \summary: the `record` command's options (commander), apart from the command itself so that
 * `wscap analyze` does not load the recorder to describe them.
 */
import type { Command } from 'commander';

export interface RecordCommandOptions {
  host: string[];
  port: string;
  interface: string;
  write?: string;
  outDir: string;
  duration?: string;
  packets?: string;
  rotateSize?: string;
  rotateEvery?: string;
  keep?: string;
  snaplen: string;
  bufferSize: string;
  filter?: string;
  resolve: string[];
  reresolveEvery: string;
  socketsEvery: string;
  analyze?: boolean;
  force?: boolean;
  live: boolean;
  statusEvery: string;
  tcpdump: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function describeRecordOptions(cmd: Command): Command {
  return cmd
    .description('capture the connections to the target host with tcpdump, until Ctrl-C (or --duration / --packets)')
    .option('--host <host>', 'target host name or address (repeatable)', collect, [])
    .option('--port <port>', 'target TCP port', '443')
    .option('-i, --interface <name>', 'interface to capture on', 'any')
    .option('-w, --write <file>', 'capture file (must end in .pcap); default: wscap-<UTC time>.pcap in --out-dir')
    .option('--out-dir <dir>', 'directory for the capture files', '.')
    .option('--duration <time>', 'stop after this long (e.g. 90s, 10m, 2h)')
    .option('--packets <n>', 'stop after n packets (tcpdump -c)')
    .option('--rotate-size <MB>', 'start a new file every MB million bytes (tcpdump -C)')
    .option('--rotate-every <time>', 'start a new file every period (tcpdump -G)')
    .option('--keep <n>', 'ring buffer: keep at most n files (with --rotate-size or --rotate-every)')
    .option('--snaplen <bytes>', 'bytes kept per packet; 0 = whole packets', '0')
    .option('--buffer-size <KiB>', 'kernel capture buffer (tcpdump -B); raise it if packets are dropped', '65536')
    .option('--filter <bpf>', 'a BPF expression instead of the built filter (wscap then cannot follow address changes)')
    .option('--resolve <host:addr>', 'use addr for host instead of DNS (repeatable, as curl --resolve)', collect, [])
    .option('--reresolve-every <time>', 're-resolve the hosts this often; new addresses are captured too (0 = never)', '60s')
    .option('--sockets-every <time>', 'snapshot `ss -tnpi` this often to name each connection\'s process (0 = only at start and stop)', '2s')
    .option('--analyze', 'when the recording stops, write the report next to the capture (.report.txt and .report.json)')
    .option('--force', 'overwrite existing files of the same name')
    .option('--no-live', 'no live view')
    .option('--status-every <time>', 'live status line interval when stderr is not a terminal', '10s')
    .option('--tcpdump <path>', 'tcpdump binary', process.env.WSCAP_TCPDUMP ?? 'tcpdump');
}

