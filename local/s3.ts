/**
 * A local S3-compatible server for the attachment bucket: `@20minutes/s3rver`,
 * which, unlike s3rver 3.x, checks SigV4 signatures (tampered or expired
 * presigned URLs answer 403). Requests must be signed with the access key
 * `S3RVER` / secret `S3RVER` (see `LOCAL_CREDENTIALS` in `./dynamo`) and use
 * path-style URLs (`forcePathStyle: true`).
 *
 * Known gaps (TOOLCHAIN.md): ListObjectsV2 and DeleteObjects fail, and
 * presigned-POST policies (size, type) are not enforced, so the service must
 * verify uploads itself (type, size and first bytes: one ranged GetObject).
 * Its SigV4 query canonicalization is fixed on load (`./s3rver-sigv4`).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// Before the server: its SigV4 query canonicalization is fixed on load (`filename*=UTF-8''…` in presigned GETs).
import './s3rver-sigv4';
import S3rver from '@20minutes/s3rver';

/**
 * Browsers upload with presigned PUT/POST and download with presigned GET
 * straight from the bucket, so the bucket needs CORS (the CDK bucket has the
 * equivalent rule). `ETag` is exposed for clients that check uploads.
 */
const CORS_XML = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export interface S3Handle {
  /** `http://127.0.0.1:{port}`; use path-style addressing. */
  endpoint: string;
  /** Directory holding the objects (a temp dir unless `dataDir` was given). */
  directory: string;
  /** Stops the server and, when it used a temp dir, deletes it. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the S3 server on `127.0.0.1:{port}` with `bucket` created and CORS
 * configured, logging silenced.
 *
 * - `dataDir` unset: objects live in a fresh temp dir that `stop()` deletes.
 * - `dataDir` set: objects persist in `{dataDir}/s3`.
 */
export async function startS3(options: { port: number; bucket: string; dataDir?: string }): Promise<S3Handle> {
  const temporary = !options.dataDir;
  const directory = options.dataDir ? resolve(options.dataDir, 's3') : await mkdtemp(join(tmpdir(), 'chat-s3-'));
  await mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    silent: true,
    directory,
    configureBuckets: [{ name: options.bucket, configs: [CORS_XML] }],
  });
  try {
    await server.run();
  } catch (error) {
    if (temporary) await rm(directory, { recursive: true, force: true });
    throw new Error(`The local S3 server could not start on port ${options.port}: ${(error as Error).message}`);
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const closed = server.close().catch(() => undefined);
      // Handlers keep SDK sockets alive; without this close() would wait for them to time out.
      server.httpServer?.closeAllConnections();
      await closed;
      if (temporary) await rm(directory, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { endpoint: `http://127.0.0.1:${options.port}`, directory, stop };
}
