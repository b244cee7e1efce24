/** The tcpdump driver's pure parts: argv, counts, and failure messages (texts tcpdump 4.99 prints). */
import { describe, expect, it } from 'vitest';
import { classifyFailure, parseCounts, tcpdumpArgs } from '../../src/record/tcpdump.js';
import { TCPDUMP_OPTIONS as options } from './tcpdump-options.js';

describe('tcpdumpArgs', () => {
  it('puts the filter after --, so it can never be read as an option', () => {
    expect(tcpdumpArgs({ ...options, filter: '-w /etc/x' })).toEqual([
      '-i', 'any', '-n', '-U', '--immediate-mode', '-B', '65536', '-s', '0', '-Z', 'root', '-w', '/tmp/x.pcap', '--', '-w /etc/x',
    ]);
  });
  it('adds -c, -C, -G and -W when asked, and no -Z when not root', () => {
    expect(tcpdumpArgs({ ...options, user: null, packetCount: 5, rotateSizeMB: 10, rotateEveryS: 60, ringFiles: 3 })).toEqual([
      '-i', 'any', '-n', '-U', '--immediate-mode', '-B', '65536', '-s', '0', '-c', '5', '-C', '10', '-G', '60', '-W', '3', '-w', '/tmp/x.pcap', '--', options.filter,
    ]);
  });
});

describe('parseCounts', () => {
  it('reads the counts tcpdump prints at exit, one per line', () => {
    const stderr = 'tcpdump: listening on lo\n340 packets captured\n680 packets received by filter\n2 packets dropped by kernel\n';
    expect(parseCounts(stderr)).toEqual({ captured: 340, receivedByFilter: 680, droppedByKernel: 2, droppedByInterface: null });
  });
  it('reads the latest of the one-line counts tcpdump prints on SIGUSR1', () => {
    const stderr =
      'tcpdump: 10 packets captured, 20 packets received by filter, 0 packets dropped by kernel\n' +
      'tcpdump: 15 packets captured, 30 packets received by filter, 1 packet dropped by kernel\n';
    expect(parseCounts(stderr)).toEqual({ captured: 15, receivedByFilter: 30, droppedByKernel: 1, droppedByInterface: null });
  });
  it('is all null before tcpdump said anything', () => {
    expect(parseCounts('tcpdump: listening on lo\n')).toEqual({ captured: null, receivedByFilter: null, droppedByKernel: null, droppedByInterface: null });
  });
});

describe('classifyFailure', () => {
  it('privilege', () => {
    const e = classifyFailure('tcpdump: lo: You don\'t have permission to capture on that device\n(socket: Operation not permitted)\n', options);
    expect([e.exitCode, e.message]).toEqual([3, "not enough privilege to capture on 'any' (tcpdump: lo: You don't have permission to capture on that device)"]);
  });
  it('unknown interface', () => {
    const e = classifyFailure('tcpdump: nosuch0: No such device exists\n(SIOCGIFHWADDR: No such device)\n', { ...options, interface: 'nosuch0' });
    expect([e.exitCode, e.message]).toEqual([2, "unknown interface 'nosuch0' (tcpdump: nosuch0: No such device exists)"]);
  });
  it('filter syntax', () => {
    const e = classifyFailure('tcpdump: syntax error in filter expression: syntax error\n', options);
    expect([e.exitCode, e.message]).toEqual([2, 'invalid capture filter (tcpdump: syntax error in filter expression: syntax error)']);
  });
  it('anything else is a failed capture, exit 4', () => {
    expect(classifyFailure('tcpdump: something odd\n', options).exitCode).toBe(4);
  });
});
