#!/usr/bin/env node
/**
 * Records the ss fixtures in this folder from real loopback sockets (Linux, iproute2, run as root
 * so ss shows every process): `node test/fixtures-ss/record.mjs`. Needs python3 for a listener
 * that never accepts (SYN-SENT). Writes *.txt (ss output) and meta.json (ports and pids).
 *
 * The scene: this script runs the servers; a child titled `data_agent` is the agent. One server
 * port on 127.0.0.3 plays every part through the first line the agent sends:
 *   keep  – server greets (100 bytes) and stays: ESTAB (x3, keepalive timers)
 *   close – server greets then closes; the agent does not: agent CLOSE-WAIT
 *   half  – agent sends and shuts its side; the server does not: agent FIN-WAIT-2
 *   tw    – agent closes, server closes after: agent TIME-WAIT
 *   share – like keep, and the agent hands the socket to a `sleep` child: two users
 * plus one ESTAB to [::1] (IPv6), one from an AF_INET6 socket to ::ffff:127.0.0.3 (mapped), and
 * three to a python3 listener on 127.0.0.4 with backlog 0 that never accepts (SYN-SENT after the
 * queue is full). Three more children take hostile names (process.title sets the kernel comm):
 * `a"b)c(d` (ss cuts names at the first `)`), "x<ESC>[31my<TAB>z<LF>w" and "e<LF><TAB>f".
 */
import net from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const OUT = dirname(fileURLToPath(import.meta.url));
const GREETING = 'g'.repeat(100);

function serve(host) {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.write(GREETING);
    let seen = '';
    s.on('data', (d) => {
      seen += d.toString();
      if (seen.startsWith('close\n')) s.end();
    });
    s.on('end', () => {
      if (seen.startsWith('tw\n')) s.end();
    });
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)));
}

const agentSource = String.raw`
const net = require('node:net');
const { spawn } = require('node:child_process');
process.title = 'data_agent';
const [port, port6, portMapped, portSyn] = process.argv.slice(1).map(Number);
const keep = [];
let pending = 0;
let sleepPid = 0;
const done = () => { if (--pending === 0) console.log('ready ' + sleepPid); };
function connect(opts, line, onGreeting) {
  pending++;
  const s = net.connect({ ...opts, allowHalfOpen: true });
  keep.push(s);
  s.on('error', () => {});
  s.setKeepAlive(line === 'keep\n', 60000);
  let got = 0;
  s.on('data', (d) => { got += d.length; if (got >= 100) { onGreeting(s); } });
  s.on('connect', () => s.write(line));
  return s;
}
for (let i = 0; i < 3; i++) connect({ host: '127.0.0.3', port }, 'keep\n', (s) => { if (!s.done) { s.done = 1; done(); } });
connect({ host: '127.0.0.3', port }, 'close\n', (s) => { s.on('end', () => done()); });
connect({ host: '127.0.0.3', port }, 'half\n', (s) => { if (!s.done) { s.done = 1; s.end(); done(); } });
connect({ host: '127.0.0.3', port }, 'tw\n', (s) => { if (!s.done) { s.done = 1; s.end(); s.on('close', () => done()); } });
connect({ host: '127.0.0.3', port }, 'share\n', (s) => {
  if (s.done) return; s.done = 1;
  const child = spawn('sleep', ['30'], { stdio: ['ignore', 'ignore', 'ignore', s] });
  child.unref();
  sleepPid = child.pid;
  setTimeout(done, 200);
});
connect({ host: '::1', port: port6 }, 'keep\n', (s) => { if (!s.done) { s.done = 1; done(); } });
connect({ host: '::ffff:127.0.0.3', port: portMapped }, 'keep\n', (s) => { if (!s.done) { s.done = 1; done(); } });
for (let i = 0; i < 3; i++) { const s = net.connect({ host: '127.0.0.4', port: portSyn }); s.on('error', () => {}); keep.push(s); }
setTimeout(() => process.exit(0), 30000);
`;

const hostileSource = String.raw`
const net = require('node:net');
process.title = process.argv[1];
const s = net.connect({ host: '127.0.0.3', port: Number(process.argv[2]) });
s.on('connect', () => s.write('keep\n'));
s.on('data', () => { if (!s.done) { s.done = 1; console.log('ready'); } });
setTimeout(() => process.exit(0), 30000);
`;

const synSource = `
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.4', 0)); s.listen(0)
print(s.getsockname()[1], flush=True)
time.sleep(30)
`;

async function firstLine(child) {
  let text = '';
  for await (const chunk of child.stdout) {
    text += chunk;
    if (text.includes('\n')) return text.split('\n')[0];
  }
  throw new Error('child ended without a line');
}

const children = [];
let sleepPid = 0;
try {
  const main = await serve('127.0.0.3');
  const v6 = await serve('::1');
  const mapped = await serve('::ffff:127.0.0.3');
  const syn = spawn('python3', ['-c', synSource], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(syn);
  const ports = {
    main: main.address().port,
    ipv6: v6.address().port,
    mapped: mapped.address().port,
    synSent: Number(await firstLine(syn)),
  };
  const agent = spawn(process.execPath, ['-e', agentSource, String(ports.main), String(ports.ipv6), String(ports.mapped), String(ports.synSent)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(agent);
  const names = ['a"b)c(d', 'x\u001b[31my\tz\nw', 'e\n\tf'];
  const hostile = names.map((name) => {
    const c = spawn(process.execPath, ['-e', hostileSource, name, String(ports.main)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(c);
    return c;
  });
  const [agentReady] = await Promise.all([agent, ...hostile].map(firstLine));
  sleepPid = Number(agentReady.split(' ')[1]);
  await new Promise((r) => setTimeout(r, 300));

  const filter = ['('];
  for (const p of Object.values(ports)) filter.push(...(filter.length > 1 ? ['or'] : []), 'dport', '=', `:${p}`, 'or', 'sport', '=', `:${p}`);
  filter.push(')');
  const runs = {
    'connected.txt': ['-tnpioH', 'state', 'connected'],
    'connected-header.txt': ['-tnpio', 'state', 'connected'],
    'established.txt': ['-tnpioH', 'state', 'established'],
    'default-states.txt': ['-tnpioH'],
    'plain-tn.txt': ['-tnH', 'state', 'connected'],
  };
  for (const [file, args] of Object.entries(runs)) {
    writeFileSync(join(OUT, file), execFileSync('ss', [...args, ...filter], { encoding: 'utf8' }));
  }
  const meta = {
    made: new Date().toISOString(),
    ss: execFileSync('ss', ['-V'], { encoding: 'utf8' }).trim(),
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    recorderPid: process.pid,
    ports,
    pids: { agent: agent.pid, sharingSleep: sleepPid, synListener: syn.pid, hostile: Object.fromEntries(names.map((n, i) => [n, hostile[i].pid])) },
    filter: filter.join(' '),
  };
  writeFileSync(join(OUT, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  for (const s of [main, v6, mapped]) s.close();
} finally {
  for (const c of children) c.kill('SIGKILL');
  if (sleepPid > 0) {
    try {
      process.kill(sleepPid, 'SIGKILL');
    } catch {}
  }
}
process.exit(0);
