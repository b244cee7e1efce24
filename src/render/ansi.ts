/** \summary: terminal colours shared by the text renderers (ECMA-48 SGR codes). */
import type { ClientState } from '../report/model.js';

export const RESET = '\u001b[0m';
export const RED = '\u001b[31m';
export const GREEN = '\u001b[32m';
export const YELLOW = '\u001b[33m';
export const DIM = '\u001b[2m';
export const BOLD = '\u001b[1m';

/** Client states by how worried an on-call engineer should be (the guide's state table). */
export const stateColors: Partial<Record<ClientState, string>> = {
  ESTAB: GREEN,
  'CLOSE-WAIT': RED,
  'SYN-SENT': YELLOW,
  'FIN-WAIT-1': YELLOW,
  'FIN-WAIT-2': YELLOW,
  'LAST-ACK': YELLOW,
  CLOSING: YELLOW,
};

/** Wraps text in a colour when colour is on. */
export function paint(text: string, code: string | undefined, color: boolean): string {
  return color && code ? `${code}${text}${RESET}` : text;
}
