/**
 * conn_state and history against Zeek's own btest baselines. Zeek's traces are binary and not at
 * hand, so each test replays the packet flow that the baseline's history spells out (letter by
 * letter, per Zeek's update_history) through the tracker, and expects Zeek's printed result:
 * - testing/btest/Baseline/scripts.base.protocols.conn.conn_state-RST-behavior/out
 *   (single-rst "R, OTH"; syn-then-rst "SR, RSTOS0"; syn-then-ack-then-rst "SaR, RSTOS0";
 *   syn-then-stuff-then-rst "SaFR, OTH")
 * - testing/btest/Baseline/core.tcp.missing-syn/conn.log ("^hADdFaf", SF)
 * - testing/btest/Baseline/core.tcp.flip-without-syn/conn.log ("^hADadFf", SF)
 */
import { describe, expect, it } from 'vitest';
import { ACK, FIN, RST, SYN, PSH } from '../../src/decode/decoded-packet.js';
import { CLIENT_PORT, replay } from './replay.js';

const C = 1000; // client ISN
const S = 5000; // server ISN

describe('Zeek conn_state-RST-behavior baselines', () => {
  it('single-rst: R, OTH', () => {
    const [c] = replay([{ from: 'client', flags: RST, seq: C, ack: 0 }]);
    expect(c.zeek).toEqual({ connState: 'OTH', history: 'R' });
  });
  it('syn-then-rst: SR, RSTOS0', () => {
    const [c] = replay([
      { from: 'client', flags: SYN, seq: C, ack: 0 },
      { from: 'client', flags: RST, seq: C + 1, ack: 0 },
    ]);
    expect(c.zeek).toEqual({ connState: 'RSTOS0', history: 'SR' });
    expect(c.close).toMatchObject({ kind: 'unanswered', initiator: 'client' });
  });
  it('syn-then-ack-then-rst: SaR, RSTOS0', () => {
    const [c] = replay([
      { from: 'client', flags: SYN, seq: C, ack: 0 },
      { from: 'server', flags: ACK, seq: S, ack: C + 1 },
      { from: 'client', flags: RST, seq: C + 1, ack: 0 },
    ]);
    expect(c.zeek).toEqual({ connState: 'RSTOS0', history: 'SaR' });
  });
  it('syn-then-stuff-then-rst: SaFR, OTH', () => {
    const [c] = replay([
      { from: 'client', flags: SYN, seq: C, ack: 0 },
      { from: 'server', flags: ACK, seq: S, ack: C + 1 },
      { from: 'client', flags: FIN | ACK, seq: C + 1, ack: S },
      { from: 'client', flags: RST, seq: C + 2, ack: 0 },
    ]);
    expect(c.zeek).toEqual({ connState: 'OTH', history: 'SaFR' });
  });
});

describe('Zeek missing-SYN baselines (roles flipped by the well-known port)', () => {
  it('missing-syn: ^hADdFaf, SF', () => {
    const [c] = replay([
      { from: 'server', flags: SYN | ACK, seq: S, ack: C + 1 },
      { from: 'client', flags: ACK, seq: C + 1, ack: S + 1 },
      { from: 'client', flags: PSH | ACK, seq: C + 1, ack: S + 1, len: 98 },
      { from: 'server', flags: PSH | ACK, seq: S + 1, ack: C + 99, len: 1448 },
      { from: 'client', flags: FIN | ACK, seq: C + 99, ack: S + 1449 },
      { from: 'server', flags: ACK, seq: S + 1449, ack: C + 100 },
      { from: 'server', flags: FIN | ACK, seq: S + 1449, ack: C + 100 },
      { from: 'client', flags: ACK, seq: C + 100, ack: S + 1450 },
    ]);
    expect(c.zeek).toEqual({ connState: 'SF', history: '^hADdFaf' });
    expect(c.handshake.seen).toBe(false);
    expect(c.client).toEqual({ ip: '10.0.0.1', port: CLIENT_PORT });
    expect(c.clientState).toBe('TIME-WAIT');
  });
  it('flip-without-syn: ^hADadFf, SF', () => {
    const [c] = replay([
      { from: 'server', flags: SYN | ACK, seq: S, ack: C + 1 },
      { from: 'client', flags: ACK, seq: C + 1, ack: S + 1 },
      { from: 'client', flags: PSH | ACK, seq: C + 1, ack: S + 1, len: 136 },
      { from: 'server', flags: ACK, seq: S + 1, ack: C + 137 },
      { from: 'server', flags: PSH | ACK, seq: S + 1, ack: C + 137, len: 5007 },
      { from: 'client', flags: FIN | ACK, seq: C + 137, ack: S + 5008 },
      { from: 'server', flags: FIN | ACK, seq: S + 5008, ack: C + 138 },
      { from: 'client', flags: ACK, seq: C + 138, ack: S + 5009 },
    ]);
    expect(c.zeek).toEqual({ connState: 'SF', history: '^hADadFf' });
  });
});

describe('connection lifetimes on one 4-tuple', () => {
  it('a retransmitted SYN is the same attempt; a SYN with a new ISN after a close starts C2', () => {
    const rows = replay([
      { from: 'client', flags: SYN, seq: C, ack: 0 },
      { from: 'client', flags: SYN, seq: C, ack: 0 },
      { from: 'server', flags: RST | ACK, seq: 0, ack: C + 1 },
      { from: 'client', flags: SYN, seq: C + 7777, ack: 0 },
      { from: 'server', flags: SYN | ACK, seq: S, ack: C + 7778 },
      { from: 'client', flags: ACK, seq: C + 7778, ack: S + 1 },
    ]);
    expect(rows.map((r) => [r.id, r.close.kind, r.close.initiator, r.clientState, r.zeek.connState, r.zeek.history])).toEqual([
      ['C1', 'refused', 'server', 'CLOSED', 'REJ', 'Sr'],
      ['C2', 'open', null, 'ESTAB', 'S1', 'ShA'],
    ]);
    expect(rows[0].client2server.packets).toBe(2);
  });
});
