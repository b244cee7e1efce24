/**
 * The live view on real captures: a fixture written to a temporary file in pieces (as tcpdump
 * writes it), polled with an injected clock; its open connections, states, ages and server silence
 * are checked against the analyser's report and an independent reading of the packets. Then the
 * renderers, and one run against a real tcpdump on the loopback interface (root only).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { analyzeCaptures } from '../../src/analyze/analyze-captures.js';
import { startLiveView, type LiveStatus } from '../../src/record/live-view.js';
import { CLEAR_SCREEN, formatBytes, formatDuration, renderLiveFrame, renderLiveLine } from '../../src/render/live-text.js';
import { FIXTURES, endpoint, tempDir } from '../helpers.js';

const CLOSE_WAIT = join(FIXTURES, 'close-wait.pcap');
const CLEAN = join(FIXTURES, 'clean-shutdown.pcap');

/** Byte offsets of each record header in a little-endian classic pcap (independent of src/). */
function recordOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 24; at + 16 <= file.length; at += 16 + file.readUInt32LE(at + 8)) offsets.push(at);
  return offsets;
}

/**
 * Independent of src/: per client port, the time of the last server segment carrying payload, and
 * the capture's last time (Ethernet + IPv4 + TCP, little-endian microsecond pcap, as the fixtures).
 */
function serverDataTimes(file: Buffer, serverPort: number): { lastData: Map<number, number>; lastTime: number } {
  const lastData = new Map<number, number>();
  let lastTime = 0;
  for (const at of recordOffsets(file)) {
    const time = file.readUInt32LE(at) + file.readUInt32LE(at + 4) / 1e6;
    lastTime = Math.max(lastTime, time);
    const ip = at + 16 + 14;
    if (file.readUInt16BE(at + 16 + 12) !== 0x0800) continue;
    const ihl = (file[ip] & 0x0f) * 4;
    const ipLength = file.readUInt16BE(ip + 2);
    const tcp = ip + ihl;
    const srcPort = file.readUInt16BE(tcp);
    const dstPort = file.readUInt16BE(tcp + 2);
    const payload = ipLength - ihl - (file[tcp + 12] >> 4) * 4;
    if (srcPort === serverPort && payload > 0) lastData.set(dstPort, time);
  }
  return { lastData, lastTime };
}

/** Writes `source` to `path` in `pieces` cuts at arbitrary byte offsets, polling after each. */
async function feed(source: Buffer, path: string, pieces: number, poll: () => Promise<LiveStatus>): Promise<LiveStatus[]> {
  writeFileSync(path, Buffer.alloc(0));
  const statuses: LiveStatus[] = [];
  let written = 0;
  for (let i = 1; i <= pieces; i++) {
    // Cut points that fall inside the header, record headers and packet data alike.
    const cut = i === pieces ? source.length : Math.min(source.length, Math.floor((source.length * i) / pieces) + ((i * 37) % 29) - 14);
    if (cut > written) {
      appendFileSync(path, source.subarray(written, cut));
      written = cut;
    }
    statuses.push(await poll());
  }
  return statuses;
}

describe('live view on real captures', () => {
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it('close-wait.pcap: 7 open connections in CLOSE-WAIT, ages and server silence from the capture times', async () => {
    const source = readFileSync(CLOSE_WAIT);
    const report = await analyzeCaptures([CLOSE_WAIT], { serverPort: 443, generator: 'test' });
    const { lastData, lastTime } = serverDataTimes(source, 443);
    const path = join(tmp.dir, 'close-wait.pcap');
    let clock = lastTime - 100; // the view started before the capture's packets (elapsed: 100 s + 4.5 s)
    const view = startLiveView({
      getFiles: () => [path],
      serverPort: 443,
      getDrops: () => 0,
      intervalMs: 60_000,
      now: () => clock,
      onStatus: () => {},
    });
    clock = lastTime + 4.5;
    const statuses = await feed(source, path, 23, view.poll);
    const final = statuses[statuses.length - 1];
    await view.stop();

    // Before the server's FINs the connections were established.
    expect(statuses.some((s) => s.connections.length === 7 && s.connections.every((c) => c.state === 'ESTAB'))).toBe(true);
    expect(final.packets).toBe(199);
    expect(final.fileBytes).toBe(source.length);
    expect(final.drops).toBe(0);
    expect(final.elapsedS).toBeCloseTo(104.5, 6);

    expect(report.connections).toHaveLength(7);
    expect(final.connections).toHaveLength(7);
    for (const [i, c] of final.connections.entries()) {
      const row = report.connections[i];
      expect(row.clientState).toBe('CLOSE-WAIT');
      expect(c).toMatchObject({ id: row.id, client: endpoint(row.client), server: endpoint(row.server), state: 'CLOSE-WAIT' });
      expect(c.ageS).toBeCloseTo(clock - row.start, 6);
      const serverData = lastData.get(row.client.port);
      expect(serverData).toBeDefined();
      expect(c.serverSilenceS).toBeCloseTo(clock - (serverData ?? 0), 6);
      // The server's last data (its close_notify) came after the connection opened.
      expect(c.serverSilenceS ?? Infinity).toBeLessThan(c.ageS);
    }
  });

  it('clean-shutdown.pcap fully fed: 0 open connections at the end', async () => {
    const source = readFileSync(CLEAN);
    const report = await analyzeCaptures([CLEAN], { serverPort: 443, generator: 'test' });
    const path = join(tmp.dir, 'clean.pcap');
    const view = startLiveView({ getFiles: () => [path], serverPort: 443, getDrops: () => null, intervalMs: 60_000, onStatus: () => {} });
    const statuses = await feed(source, path, 17, view.poll);
    await view.stop();
    const final = statuses[statuses.length - 1];
    expect(statuses.some((s) => s.connections.length === 7)).toBe(true);
    expect(final.packets).toBe(report.capture.packets);
    expect(final.connections).toEqual([]);
  });

  it('isTarget leaves other servers out; the timer calls onStatus and stop() gives a last status', async () => {
    const path = join(tmp.dir, 'timer.pcap');
    writeFileSync(path, readFileSync(CLOSE_WAIT));
    const seen: LiveStatus[] = [];
    const view = startLiveView({
      getFiles: () => [path],
      serverPort: 443,
      isTarget: (ip) => ip === '127.0.0.9',
      getDrops: () => null,
      intervalMs: 20,
      onStatus: (s) => seen.push(s),
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const ticks = seen.length;
    expect(ticks).toBeGreaterThanOrEqual(2);
    await view.stop();
    expect(seen.length).toBe(ticks + 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(seen.length).toBe(ticks + 1); // the timer is gone
    expect(seen[seen.length - 1]).toMatchObject({ packets: 199, connections: [] });
  });
});

describe('live renderers', () => {
  const status: LiveStatus = {
    elapsedS: 72.4,
    packets: 3412,
    fileBytes: 1_234_567,
    drops: 0,
    connections: [
      { id: 'C10', client: '127.0.0.1:40200', server: '127.0.0.2:443', ageS: 3.21, state: 'ESTAB', serverSilenceS: 0.25 },
      { id: 'C2', client: '127.0.0.1:40116', server: '127.0.0.2:443', ageS: 125.7, state: 'CLOSE-WAIT', serverSilenceS: 61.2 },
      { id: 'C3', client: '127.0.0.1:40130', server: '127.0.0.2:443', ageS: 7300, state: 'SYN-SENT', serverSilenceS: null },
    ],
  };

  it('frame: header, counts, rows sorted by id, within 100 columns; CLOSE-WAIT red only with colour', () => {
    const plain = renderLiveFrame(status, { color: false, host: 'fstream.binance.com:443' });
    expect(plain).not.toContain('\u001b');
    const lines = plain.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    expect(lines[0]).toBe('wscap record: fstream.binance.com:443   elapsed 1m12s   packets 3412   file 1.2 MiB   drops 0');
    expect(lines[1]).toBe('open connections: 3 (SYN-SENT 1, ESTAB 1, CLOSE-WAIT 1)');
    expect(lines[3]).toMatch(/^ID\s+CLIENT\s+SERVER\s+STATE\s+AGE\s+SERVER SILENT$/);
    const rows = lines.filter((l) => /^C\d/.test(l));
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['C2', 'C3', 'C10']);
    expect(rows[0]).toMatch(/^C2\s+127\.0\.0\.1:40116\s+127\.0\.0\.2:443\s+CLOSE-WAIT\s+2m05s\s+1m01s$/);
    expect(rows[1]).toMatch(/SYN-SENT\s+2h01m\s+-$/);
    expect(rows[2]).toMatch(/ESTAB\s+3\.2s\s+0\.3s$/);

    const coloured = renderLiveFrame(status, { color: true, host: 'fstream.binance.com:443' });
    expect(coloured).toContain('\u001b[31mCLOSE-WAIT');
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plain);
  });

  it('frame: IPv6 addresses drop the SERVER column to stay within 100 columns; maxRows; a hostile host is escaped', () => {
    const v6 = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const wide: LiveStatus = {
      ...status,
      drops: 5,
      connections: Array.from({ length: 5 }, (_, i) => ({
        id: `C${i + 1}`,
        client: `[${v6}]:6553${i}`,
        server: `[${v6}]:443`,
        ageS: 1,
        state: 'ESTAB' as const,
        serverSilenceS: 0.1,
      })),
    };
    const frame = renderLiveFrame(wide, { color: false, host: `evil\u001b[2Jhost${'x'.repeat(120)}`, maxRows: 2 });
    for (const line of frame.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(frame).not.toContain('\u001b');
    expect(frame).toContain('evil\\x1b[2Jhost');
    expect(frame).not.toContain('SERVER  ');
    expect(frame).toContain('… and 3 more');
    expect(renderLiveFrame(wide, { color: true, host: 'h' })).toContain('\u001b[31mdrops 5');
    expect(renderLiveFrame({ ...status, connections: [] }, { color: false, host: 'h' })).toContain('no open connection');
    expect(CLEAR_SCREEN).toBe('\u001b[H\u001b[2J');
  });

  it('log line: one plain line of key=value pairs', () => {
    expect(renderLiveLine(status, 'fstream.binance.com')).toBe(
      'host=fstream.binance.com elapsed=72s packets=3412 bytes=1234567 drops=0 open=3 states=SYN-SENT:1,ESTAB:1,CLOSE-WAIT:1 maxServerSilenceS=61.2',
    );
    expect(renderLiveLine({ elapsedS: 0.5, packets: 0, fileBytes: 24, drops: null, connections: [] }, 'a b\u001b')).toBe(
      'host="a b\\\\x1b" elapsed=0s packets=0 bytes=24 drops=unknown open=0 states=- maxServerSilenceS=-',
    );
    expect(formatDuration(-1)).toBe('0.0s');
    expect(formatDuration(90000)).toBe('1d01h');
    expect(formatBytes(10239)).toBe('10239 B');
  });
});

const canTcpdump = process.getuid?.() === 0 && (() => {
  try {
    return statSync('/usr/bin/tcpdump').isFile() || statSync('/usr/sbin/tcpdump').isFile();
  } catch {
    return false;
  }
})();

describe.skipIf(!canTcpdump)('live view on a real tcpdump (loopback, root)', () => {
  const tmp = tempDir();
  let tcpdump: ChildProcess | null = null;
  let server: Server | null = null;
  let client: Socket | null = null;
  let view: ReturnType<typeof startLiveView> | null = null;
  const serverSockets: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];

  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    await view?.stop().catch(() => {});
    client?.destroy();
    for (const s of serverSockets) s.destroy();
    if (server !== null) await new Promise((resolve) => server?.close(resolve));
    if (tcpdump !== null && tcpdump.exitCode === null && tcpdump.signalCode === null) tcpdump.kill('SIGKILL');
    tmp.cleanup();
  });

  it('shows the connection ESTAB while it runs, and none open after both FINs', async () => {
    const deadline = Date.now() + 9_000;
    server = createServer((s) => {
      serverSockets.push(s);
      s.on('data', (d) => s.write(d)); // echo: the server sends data too
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    expect(port).toBeGreaterThan(0);

    const path = join(tmp.dir, 'live.pcap');
    let stderr = '';
    const proc = spawn('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-n', '-w', path, `tcp port ${port}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    tcpdump = proc;
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    // tcpdump says "listening on lo" once the capture is open.
    while (!stderr.includes('listening on') && Date.now() < deadline - 6_000 && proc.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(stderr).toContain('listening on');

    const statuses: LiveStatus[] = [];
    view = startLiveView({ getFiles: () => [path], serverPort: port, getDrops: () => null, intervalMs: 200, onStatus: (s) => statuses.push(s) });

    const sock = connect(port, '127.0.0.1');
    client = sock;
    sock.on('error', () => {});
    sock.resume(); // read the echoes, or the client never sees the server's FIN
    await new Promise<void>((resolve) => sock.on('connect', resolve));
    const clientName = `127.0.0.1:${sock.localPort}`;
    const sender = setInterval(() => sock.write('ping\n'), 100);
    timers.push(sender);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    clearInterval(sender);

    const during = statuses.filter((s) => s.connections.some((c) => c.client === clientName));
    expect(during.length).toBeGreaterThanOrEqual(3);
    const last = during[during.length - 1].connections.find((c) => c.client === clientName);
    expect(last).toMatchObject({ state: 'ESTAB', server: `127.0.0.1:${port}` });
    expect(last?.ageS).toBeGreaterThan(1);
    expect(last?.ageS).toBeLessThan(5);
    expect(last?.serverSilenceS).not.toBeNull();
    expect(last?.serverSilenceS ?? Infinity).toBeLessThan(1);

    // Both sides close; tcpdump is stopped with SIGINT once the FINs are out.
    sock.end();
    await new Promise<void>((resolve) => sock.on('close', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    proc.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(100, deadline - Date.now())))]);
    expect(code).toBe(0);
    await view.stop();
    view = null;
    const final = statuses[statuses.length - 1];
    expect(final.connections.filter((c) => c.client === clientName)).toEqual([]);
    expect(final.packets).toBeGreaterThan(20);
    expect(final.fileBytes).toBe(statSync(path).size);
    expect(stderr).toMatch(/\b0 packets dropped by kernel/);
  }, 10_000);
});
