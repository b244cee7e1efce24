/**
 * \summary: live view of a recording: follows the capture files as tcpdump writes them and, every
 * interval, reports the open connections (the issue's `watch -n 2 ss ...`, from the packets).
 *
 * The files pass through the same stages as `analyze` (streaming record parsers, decodePacket,
 * the tracker); a connection is open until both FINs or a RST are seen. Nothing is kept per packet
 * and nothing per finished connection: memory follows the open connections.
 */
import { decodePacket } from '../decode/decode-packet.js';
import { DECODED_TCP, newDecodedPacket } from '../decode/decoded-packet.js';
import { clientState } from '../analyze/summarize-connection.js';
import { followFiles } from '../pcap/follow-capture.js';
import type { PacketRecord } from '../pcap/packet-record.js';
import type { ClientState } from '../report/model.js';
import type { Connection } from '../track/connection.js';
import { forEachConnection, newTracker, trackPacket } from '../track/tracker.js';

export interface LiveStatus {
  /** Seconds since the live view started (wall clock). */
  elapsedS: number;
  /** Packets read from the capture files so far (of any kind). */
  packets: number;
  /** Bytes of the capture files written so far (all files of a rotated recording). */
  fileBytes: number;
  /** tcpdump's "dropped by kernel" count, null if not known. */
  drops: number | null;
  /** Open connections to the target, sorted by id. */
  connections: LiveConnection[];
}

export interface LiveConnection {
  /** C1, C2 ... as in the analyse report (order of first packet in this recording). */
  id: string;
  /** "ip:port" or "[ipv6]:port". */
  client: string;
  server: string;
  /** now − the connection's first packet time. */
  ageS: number;
  /** The client's state as `ss` would show it (from the packets seen so far). */
  state: ClientState;
  /** now − the time of the server's last segment carrying data; null if the server never sent data. */
  serverSilenceS: number | null;
}

export interface LiveViewOptions {
  /** Capture files written so far, oldest first. */
  getFiles: () => string[];
  /** The target port (443): the server side of connections without a SYN, and which connections count. */
  serverPort: number;
  /** Which servers count (default all). */
  isTarget?: (serverIp: string) => boolean;
  /** tcpdump's dropped count if known. */
  getDrops: () => number | null;
  /** Time between two statuses (2000). */
  intervalMs: number;
  /** Epoch seconds (default the wall clock), for tests. */
  now?: () => number;
  /** Called with each periodic status and the last one (from stop()); the caller renders it. */
  onStatus: (status: LiveStatus) => void;
  /** A periodic poll that failed (an unreadable file); the view keeps polling. Default: ignored. */
  onError?: (err: unknown) => void;
}

export interface LiveView {
  /** Clears the timer, waits for a poll in progress, does one last poll (passed to onStatus), closes the file. */
  stop(): Promise<void>;
  /** Reads what was written since the last poll and returns the status (does not call onStatus). */
  poll(): Promise<LiveStatus>;
}

function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Open = neither both FINs nor a RST (the tracker keeps closed connections a while for late packets). */
function isOpen(conn: Connection): boolean {
  return !((conn.client.hasFin && conn.server.hasFin) || conn.client.hasRst || conn.server.hasRst);
}

export function startLiveView(options: LiveViewOptions): LiveView {
  const now = options.now ?? (() => Date.now() / 1000);
  const startedAt = now();
  const files = followFiles(options.getFiles);
  // Finished connections (a new SYN on their tuple, or closed and idle) need no row here.
  const tracker = newTracker({ serverPort: options.serverPort }, () => {});
  const decoded = newDecodedPacket();
  const isTarget = options.isTarget ?? (() => true);

  const onPacket = (packet: PacketRecord): void => {
    if (decodePacket(packet, decoded) === DECODED_TCP) trackPacket(tracker, decoded);
  };

  const status = (): LiveStatus => {
    const t = now();
    const open: Connection[] = [];
    forEachConnection(tracker, (conn) => {
      if (conn.serverPort === options.serverPort && isOpen(conn) && isTarget(conn.serverIp)) open.push(conn);
    });
    open.sort((a, b) => a.index - b.index);
    return {
      elapsedS: t - startedAt,
      packets: files.packets,
      fileBytes: files.fileBytes,
      drops: options.getDrops(),
      connections: open.map((conn) => ({
        id: `C${conn.index}`,
        client: formatEndpoint(conn.clientIp, conn.clientPort),
        server: formatEndpoint(conn.serverIp, conn.serverPort),
        ageS: t - conn.firstTime,
        state: clientState(conn),
        serverSilenceS: conn.server.lastDataTime === 0 ? null : t - conn.server.lastDataTime,
      })),
    };
  };

  // Polls run one after another: a timer tick never overlaps a poll in progress.
  let last: Promise<unknown> = Promise.resolve();
  let isBusy = false;
  const poll = (): Promise<LiveStatus> => {
    const run = last.then(async () => {
      isBusy = true;
      try {
        await files.poll(onPacket);
        return status();
      } finally {
        isBusy = false;
      }
    });
    last = run.catch(() => {});
    return run;
  };

  let timer: NodeJS.Timeout | null = setInterval(() => {
    if (isBusy) return; // behind (a large backlog): skip this tick rather than queue polls
    poll()
      .then((s) => options.onStatus(s))
      .catch((err: unknown) => options.onError?.(err));
  }, options.intervalMs);

  return {
    poll,
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      try {
        options.onStatus(await poll());
      } finally {
        await last;
        await files.close();
      }
    },
  };
}
