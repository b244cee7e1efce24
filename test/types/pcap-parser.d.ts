/** Minimal types for the pcap-parser package, used only as a test oracle. */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  export interface PacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }
  export function parse(input: string | NodeJS.ReadableStream): EventEmitter;
}
