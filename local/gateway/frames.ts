/**
 * Largest frame payload (bytes) of each complete message a WebSocket client
 * sent, read from the frame headers of the raw socket bytes (RFC 6455 §5.2).
 * `ws` reassembles fragments and never exposes frame sizes, so the gateway
 * taps the same bytes ahead of it to enforce `WS_MAX_FRAME_BYTES` (`functions/api-gateway.ts`).
 */
export interface FrameSizes {
  /** Feeds socket bytes in arrival order; chunks may split frame headers anywhere. */
  push(chunk: Buffer): void;
  /**
   * Takes the largest frame payload of the oldest complete message not yet
   * taken; 0 when none is queued. Data frames only: control frames (ping,
   * pong, close; ≤ 125 bytes) may sit between fragments and are not counted.
   */
  next(): number;
}

/**
 * Creates a {@link FrameSizes} reader. It parses headers only (FIN, opcode,
 * 7/16/64-bit payload length, mask bit) and skips payloads without copying,
 * so it costs a few operations per frame. A 64-bit length above 2^53 loses
 * precision but still reads as far above any limit; `ws` closes such a
 * connection (1009) anyway.
 */
export function frameSizes(): FrameSizes {
  const header = Buffer.alloc(14); // 2 + 8 (64-bit length) + 4 (masking key): the longest header
  let headerBytes = 0;
  let skip = 0; // payload bytes of the current frame still to pass over
  let largest = 0; // largest data frame so far in the message being received
  const messages: number[] = [];

  /** Header length once its first two bytes are known. */
  const headerLength = () => {
    const length7 = header[1] & 0x7f;
    return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (header[1] & 0x80 ? 4 : 0);
  };

  return {
    push(chunk) {
      let i = 0;
      while (i < chunk.length) {
        if (skip > 0) {
          const step = Math.min(skip, chunk.length - i);
          skip -= step;
          i += step;
          continue;
        }
        header[headerBytes++] = chunk[i++];
        if (headerBytes < 2 || headerBytes < headerLength()) continue;
        headerBytes = 0;
        const fin = (header[0] & 0x80) !== 0;
        const opcode = header[0] & 0x0f;
        const length7 = header[1] & 0x7f;
        const length = length7 === 126 ? header.readUInt16BE(2) : length7 === 127 ? Number(header.readBigUInt64BE(2)) : length7;
        skip = length;
        if (opcode >= 0x8) continue; // control frame
        if (length > largest) largest = length;
        if (fin) {
          messages.push(largest);
          largest = 0;
        }
      }
    },
    next: () => messages.shift() ?? 0,
  };
}
