/**
 * The storage port's contract (`AttachmentStorage` in
 * `functions/domain/ports.ts`), run against the in-memory fake and the S3
 * adapter on the local S3 server (`test/integration/storage.contract.test.ts`).
 * `put` uploads bytes the way a client does (the fake's `upload`, or a
 * presigned PUT).
 */
import { describe, expect, it } from 'vitest';
import type { AttachmentStorage } from '../../../functions/domain/ports';
import { sampleFile } from '../sample-files';

export type MakeStorage = () => Promise<{ storage: AttachmentStorage; put: (key: string, contentType: string, bytes: Uint8Array) => Promise<void> }>;

let n = 0;
const key = () => `pending/contract-${process.pid}-${Date.now()}-${n++}/a`;

export function describeStorageContract(name: string, make: MakeStorage) {
  describe(`${name} keeps the storage contract`, () => {
    it('readStart answers type, total size and at most the first n bytes; undefined for a missing object', async () => {
      const { storage, put } = await make();
      const big = key();
      const bytes = sampleFile('image/png', 5000);
      await put(big, 'image/png', bytes);
      const start = await storage.readStart(big, 64);
      expect(start).toMatchObject({ contentType: 'image/png', size: 5000 });
      expect(Buffer.from(start!.head).equals(bytes.subarray(0, 64))).toBe(true);

      const small = key();
      await put(small, 'application/pdf', sampleFile('application/pdf', 20));
      const short = await storage.readStart(small, 64);
      expect(short).toMatchObject({ contentType: 'application/pdf', size: 20 });
      expect(short!.head.length).toBe(20);

      expect(await storage.readStart(key(), 64)).toBeUndefined();
    });

    it('copy keeps the bytes and type; remove deletes them and never throws', async () => {
      const { storage, put } = await make();
      const [from, to] = [key(), key()];
      const bytes = sampleFile('audio/ogg', 300);
      await put(from, 'audio/ogg', bytes);
      await storage.copy(from, to);
      const copied = await storage.readStart(to, 64);
      expect(copied).toMatchObject({ contentType: 'audio/ogg', size: 300 });
      expect(Buffer.from(copied!.head).equals(bytes.subarray(0, 64))).toBe(true);
      await storage.remove([from, to, key()]);
      expect(await storage.readStart(from, 64)).toBeUndefined();
      expect(await storage.readStart(to, 64)).toBeUndefined();
      await expect(storage.remove([])).resolves.toBeUndefined();
    });
  });
}
