/**
 * The WebSocket frame header reader (`local/gateway/frames.ts`) behind the
 * 32 KB frame limit, on hand-made frames (RFC 6455 §5.2).
 */
import { describe, expect, it } from 'vitest';
import { frameSizes } from '../../local/gateway';

describe('frameSizes (frame header reader)', () => {
  /** One client frame (RFC 6455 §5.2): 7-, 16- or 64-bit payload length, masked unless `masked: false`. */
  function frame(opcode: number, fin: boolean, length: number, masked = true): Buffer {
    const extended = length > 0xffff ? 8 : length > 125 ? 2 : 0;
    const head = Buffer.alloc(2 + extended + (masked ? 4 : 0));
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = (masked ? 0x80 : 0) | (extended === 8 ? 127 : extended === 2 ? 126 : length);
    if (extended === 2) head.writeUInt16BE(length, 2);
    if (extended === 8) head.writeBigUInt64BE(BigInt(length), 2);
    if (masked) head.set([1, 2, 3, 4], 2 + extended);
    return Buffer.concat([head, Buffer.alloc(length, 0x81)]); // payload bytes that look like frame headers
  }

  const stream = Buffer.concat([
    frame(0x1, true, 5), // small text message
    frame(0x1, false, 300), // fragmented: 16-bit length
    frame(0x9, true, 4), // ping between fragments: not counted
    frame(0x0, false, 70_000), // 64-bit length
    frame(0x0, true, 0),
    frame(0x2, true, 126, false), // unmasked, the 16-bit boundary
    frame(0x1, true, 0),
  ]);
  const expected = [5, 70_000, 126, 0];

  it('reads each message\'s largest data frame from one chunk', () => {
    const sizes = frameSizes();
    sizes.push(stream);
    expect(expected.map(() => sizes.next())).toEqual(expected);
    expect(sizes.next()).toBe(0);
  });

  it('reads the same when every header is split across chunks', () => {
    const sizes = frameSizes();
    for (let i = 0; i < stream.length; i++) sizes.push(stream.subarray(i, i + 1));
    expect(expected.map(() => sizes.next())).toEqual(expected);
  });

  it('queues a message only when its final frame has arrived', () => {
    const sizes = frameSizes();
    sizes.push(frame(0x1, false, 40_000));
    expect(sizes.next()).toBe(0);
    sizes.push(frame(0x0, true, 10));
    expect(sizes.next()).toBe(40_000);
  });
});

