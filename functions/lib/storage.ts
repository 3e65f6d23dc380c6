/**
 * `AttachmentStorage` on S3. The client is created on first use; locally it
 * points at the local S3 server with path-style addressing.
 *
 * Checksums are computed only when an operation requires them
 * (`WHEN_REQUIRED`): with the SDK's default, presigned PUTs would carry the
 * checksum of an empty body and streamed uploads would be stored corrupted
 * on S3-compatible servers (TOOLCHAIN.md).
 */
import { CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AttachmentStorage } from '../domain/ports';
import { logger } from './logger';

export function createStorage(options: {
  bucket: string;
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): AttachmentStorage {
  let client: S3Client | undefined;
  const s3 = () =>
    (client ??= new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      forcePathStyle: options.endpoint !== undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }));
  const Bucket = options.bucket;

  return {
    async presignUpload(key, contentType, size, expiresIn) {
      // Signing content-type and content-length binds the upload to the declared type and exact size:
      // S3 answers 403 to a PUT with any other type or length.
      const url = await getSignedUrl(s3(), new PutObjectCommand({ Bucket, Key: key, ContentType: contentType, ContentLength: size }), {
        expiresIn,
        signableHeaders: new Set(['content-type', 'content-length']),
      });
      return { method: 'PUT', url, headers: { 'content-type': contentType } };
    },

    async head(key) {
      try {
        const out = await s3().send(new HeadObjectCommand({ Bucket, Key: key }));
        return { contentType: out.ContentType, size: out.ContentLength };
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if ((error as Error).name === 'NotFound' || status === 404) return undefined;
        throw error;
      }
    },

    async copy(fromKey, toKey) {
      await s3().send(new CopyObjectCommand({ Bucket, Key: toKey, CopySource: `${Bucket}/${fromKey}` }));
    },

    async remove(keys) {
      if (keys.length === 0) return;
      try {
        await s3().send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
      } catch {
        // Some S3-compatible servers lack DeleteObjects; fall back to one call per key.
        const results = await Promise.allSettled(keys.map((Key) => s3().send(new DeleteObjectCommand({ Bucket, Key }))));
        const failed = results.filter((r) => r.status === 'rejected').length;
        if (failed > 0) logger.warn('attachment objects not deleted', { failed });
      }
    },

    async presignDownload(key, file, expiresIn) {
      return getSignedUrl(
        s3(),
        new GetObjectCommand({
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
 * Images, audio and video display inline; other files download. Only an
 * ASCII filename is given (other characters become `_`), so no header
 * injection is possible whatever the user named the file; the API's
 * `filename` keeps the original name for clients that save files
 * themselves. The RFC 5987 `filename*=UTF-8''…` form is left out on purpose:
 * the local S3 server verifies signatures over `'` and `*` in query strings
 * wrongly, and the local stack must accept the same URLs S3 does.
 */
export function contentDisposition(filename: string, contentType: string): string {
  const inline = /^(image|audio|video)\//.test(contentType);
  const ascii = filename.replace(/[^\x20-\x7e]|["\\'*;]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"`;
}
