/**
 * `AttachmentStorage` on S3. The client is created on first use; locally it
 * points at the local S3 server with path-style addressing.
 *
 * Checksums are computed only when an operation requires them
 * (`WHEN_REQUIRED`): with the SDK's default, presigned PUTs would carry the
 * checksum of an empty body and streamed uploads would be stored corrupted
 * on S3-compatible servers (TOOLCHAIN.md).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { AttachmentStorage } from '../domain/ports';
import { logger } from './logger';
import { traced } from './tracer';

export function createStorage(options: {
  bucket: string;
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): AttachmentStorage {
  // Loaded on first use, so functions that never touch attachments never load the S3 SDK.
  let loaded: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3'); getSignedUrl: typeof import('@aws-sdk/s3-request-presigner').getSignedUrl }> | undefined;
  const s3 = () =>
    (loaded ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]).then(([sdk, presigner]) => ({
      sdk,
      getSignedUrl: presigner.getSignedUrl,
      // Traced: each call is a subsegment. A presign is one too (status 200, no request sent); the trace header it adds
      // is never signed (SigV4 always leaves x-amzn-trace-id out), so presigned URLs are unchanged.
      client: traced(
        new sdk.S3Client({
          region: options.region,
          endpoint: options.endpoint,
          credentials: options.credentials,
          forcePathStyle: options.endpoint !== undefined,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }),
      ),
    })));
  const Bucket = options.bucket;

  return {
    async presignUpload(key, contentType, size, expiresIn) {
      // Signing content-type and content-length binds the upload to the declared type and exact size:
      // S3 answers 403 to a PUT with any other type or length.
      const { client, sdk, getSignedUrl } = await s3();
      const url = await getSignedUrl(client, new sdk.PutObjectCommand({ Bucket, Key: key, ContentType: contentType, ContentLength: size }), {
        expiresIn,
        signableHeaders: new Set(['content-type', 'content-length']),
      });
      return { method: 'PUT', url, headers: { 'content-type': contentType } };
    },

    async readStart(key, bytes) {
      const { client, sdk } = await s3();
      try {
        const out = await client.send(new sdk.GetObjectCommand({ Bucket, Key: key, Range: `bytes=0-${bytes - 1}` }));
        const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
        // `Content-Range: bytes 0-63/<total>` carries the object's size; a server that ignores Range answers the whole object.
        const total = /\/(\d+)$/.exec(out.ContentRange ?? '')?.[1];
        return { contentType: out.ContentType, size: total !== undefined ? Number(total) : out.ContentLength, head: body.subarray(0, bytes) };
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // 416: an empty object has no byte 0; no accepted attachment is empty (size ≥ 1), so it counts as missing.
        if ((error as Error).name === 'NoSuchKey' || status === 404 || status === 416) return undefined;
        throw error;
      }
    },

    async copy(fromKey, toKey) {
      const { client, sdk } = await s3();
      await client.send(new sdk.CopyObjectCommand({ Bucket, Key: toKey, CopySource: `${Bucket}/${fromKey}` }));
    },

    async remove(keys) {
      if (keys.length === 0) return;
      const { client, sdk } = await s3();
      try {
        await client.send(new sdk.DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
      } catch {
        // Some S3-compatible servers lack DeleteObjects; fall back to one call per key.
        const results = await Promise.allSettled(keys.map((Key) => client.send(new sdk.DeleteObjectCommand({ Bucket, Key }))));
        const failed = results.filter((r) => r.status === 'rejected').length;
        if (failed > 0) logger.warn('attachment objects not deleted', { failed });
      }
    },

    async putObject(key, body, contentType) {
      const { client, sdk } = await s3();
      await client.send(new sdk.PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: contentType }));
    },

    async presignDownload(key, file, expiresIn) {
      const { client, sdk, getSignedUrl } = await s3();
      return getSignedUrl(
        client,
        new sdk.GetObjectCommand({
          Bucket,
          Key: key,
          ResponseContentType: file.contentType,
          ResponseContentDisposition: contentDisposition(file.filename, file.contentType),
        }),
        { expiresIn },
      );
    },
  };
}

/**
 * Images display inline; everything else downloads (`attachment`: issue 13
 * item 15; `<audio>`/`<video>` play either way, but a top-level visit to a
 * PDF or media URL no longer renders it in the bucket's context). The
 * response's Content-Type is always the attachment's validated type
 * (`ResponseContentType`, whose bytes were checked on attach). S3 cannot
 * add `X-Content-Type-Options` to an object's answer; a CloudFront response
 * headers policy in front of the bucket would (README, "Uploaded bytes and
 * downloads").
 *
 * Filename (RFC 6266 §4.3): `filename="…"` is an ASCII fallback (other
 * characters, quotes, backslashes and the characters RFC 5987 leaves out of
 * `attr-char` become `_`, so no header injection is possible whatever the
 * user named the file); when the name is not plain ASCII, `filename*=UTF-8''…`
 * follows with the UTF-8 bytes percent-encoded (every byte outside RFC 5987
 * `attr-char`, so `'`, `*`, `(`, `)`, `%` and spaces are encoded too), which
 * browsers prefer. The `*` and the `''` are syntax; the local S3 server
 * verifies them like S3 does since `local/s3rver-sigv4.ts`. The API's
 * `filename` keeps the original name.
 */
export function contentDisposition(filename: string, contentType: string): string {
  const type = /^image\//.test(contentType) ? 'inline' : 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\'*;%]/g, '_');
  if (ascii === filename) return `${type}; filename="${ascii}"`;
  return `${type}; filename="${ascii}"; filename*=UTF-8''${rfc5987(filename)}`;
}

/** RFC 5987 `value-chars`: UTF-8 bytes, every one outside `attr-char` (ALPHA / DIGIT / `!#$&+-.^_\`|~`) as `%XX`. */
function rfc5987(value: string): string {
  return [...new TextEncoder().encode(value)]
    .map((b) => (/[A-Za-z0-9!#$&+\-.^_`|~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}
