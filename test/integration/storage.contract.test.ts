/**
 * One storage contract, two implementations: the in-memory fake of the unit
 * tests and the S3 adapter (`functions/lib/storage.ts`) on the local S3
 * server answer alike (`test/support/port-contract/storage.ts`).
 */
import { inject } from 'vitest';
import { createStorage } from '../../functions/lib/storage';
import { MemoryStorage } from '../support/memory';
import { describeStorageContract } from '../support/port-contract/storage';

describeStorageContract('the in-memory fake', async () => {
  const storage = new MemoryStorage();
  return { storage, put: async (key, contentType, bytes) => storage.upload(key, contentType, bytes) };
});

describeStorageContract('S3 (local S3 server)', async () => {
  const stack = inject('stack');
  const storage = createStorage({ bucket: stack.bucketName, endpoint: stack.s3Endpoint, region: stack.region, credentials: stack.credentials });
  return {
    storage,
    put: async (key, contentType, bytes) => {
      const upload = await storage.presignUpload(key, contentType, bytes.length, 60);
      const res = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: new Uint8Array(bytes) });
      if (res.status !== 200) throw new Error(`PUT ${res.status}: ${await res.text()}`);
    },
  };
});
