/** \summary: the one reused record a capture cursor fills for each packet (no per-packet allocation). */

/** Where and when one captured packet is; rewritten in place for every packet. */
export interface PacketRecord {
  /** Index of the capture file in the list given to the reader. */
  fileIndex: number;
  /** Byte offset of this packet's record header in the (decompressed) file. */
  fileOffset: number;
  /** libpcap LINKTYPE_* value of the interface the packet was captured on. */
  linkType: number;
  /** Whole seconds since the epoch. */
  tsSec: number;
  /** Nanoseconds within the second (0..999999999), whatever the file's resolution. */
  tsNsec: number;
  /** Seconds since the epoch as a float (microsecond-exact; nanoseconds are kept in tsNsec). */
  time: number;
  /**
   * False for pcapng simple packet blocks, which carry no timestamp: their time is the file's
   * previous timestamp (0 if none), kept only so the packet can be ordered.
   */
  hasTimestamp: boolean;
  /** Bytes captured (what is present in `data`). */
  capturedLength: number;
  /** Bytes the packet had on the wire. */
  originalLength: number;
  /** Buffer that holds the packet bytes at [offset, offset + capturedLength). Valid until the next packet. */
  data: Buffer;
  offset: number;
}

export function newPacketRecord(fileIndex: number): PacketRecord {
  return {
    fileIndex,
    fileOffset: 0,
    linkType: 0,
    tsSec: 0,
    tsNsec: 0,
    time: 0,
    hasTimestamp: true,
    capturedLength: 0,
    originalLength: 0,
    data: Buffer.alloc(0),
    offset: 0,
  };
}
