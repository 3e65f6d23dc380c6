/**
 * `ChatClient`: the HTTP API as typed methods, one per route of the server's
 * route table (the methods themselves are generated into `generated.ts`).
 *
 * ```ts
 * const api = new ChatClient({ baseUrl: 'http://127.0.0.1:3000', token: () => auth.currentToken() });
 * const { chat } = await api.createChat({ type: 'direct', participantIds: ['bob'] });
 * const { message } = await api.sendMessage(chat.id, { content: 'hi' });
 * ```
 *
 * Failures throw {@link ChatApiError}. Retries: answers 503 (busy) and network
 * failures are retried with exponential backoff and full jitter, honouring
 * `Retry-After`, for idempotent requests only: GET/PUT/DELETE, and the
 * routes the route table gives an `idempotencyKey` (the sends), which the
 * client makes idempotent by filling in that field, `clientMessageId`
 * (SPEC §4: a repeated `clientMessageId` returns the first message and
 * stores nothing; a 409 to such a request means the first one is still
 * being stored, so it is retried too). 429 (`rate_limited`) is never retried
 * automatically: the caller decides.
 */
import { ChatApiError } from './errors.js';
import { Operations, type OperationInput, type RequestOptions, type RouteInfo, type CreateAttachmentResponse } from './generated.js';

/** An attachment just reserved (status `pending` until a message uses it). */
export type PendingAttachment = CreateAttachmentResponse['attachment'];

/** A bearer token, or a function returning the current one (called per request, so refreshed tokens are picked up). */
export type TokenSource = string | (() => string | Promise<string>);

export interface ChatClientOptions {
  /** The HTTP API's base URL: `http://127.0.0.1:3000` locally, the stack's `HttpApiUrl` output on AWS. */
  baseUrl: string;
  /** Omit only for public routes (`health`, `openApi`, …). */
  token?: TokenSource;
  /** Defaults to the global `fetch` (browsers, Node ≥ 18). */
  fetch?: typeof fetch;
  /** Retries after 503 or a network failure, for idempotent requests (default 2; 0 disables). */
  retries?: number;
  /** First retry delay upper bound in ms (default 200); doubles per attempt, capped at 5 s, full jitter. */
  retryBaseMs?: number;
  /** Called for every success response (see `RequestOptions.onResponse` for one call). */
  onResponse?: (response: { status: number; headers: Headers }) => void;
}

/** Attachment bytes: anything `fetch` can send as a body. */
export type UploadBody = Blob | ArrayBuffer | Uint8Array;

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE']);
const MAX_RETRY_DELAY_MS = 5_000;

export async function resolveToken(token: TokenSource | undefined): Promise<string | undefined> {
  return typeof token === 'function' ? await token() : token;
}

/** A random id for an idempotency key such as `clientMessageId` (idempotent sends and retries). */
export function newClientMessageId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function expandPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`Missing path parameter ${name} for ${path}`);
    return encodeURIComponent(value);
  });
}

function queryString(query: object | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export class ChatClient extends Operations {
  readonly baseUrl: string;
  private readonly token?: TokenSource;
  private readonly fetchImpl: typeof fetch;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly onResponse?: ChatClientOptions['onResponse'];

  constructor(options: ChatClientOptions) {
    super();
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.retries = options.retries ?? 2;
    this.retryBaseMs = options.retryBaseMs ?? 200;
    this.onResponse = options.onResponse;
  }

  /**
   * Reserves an attachment in `chatId` and uploads `data` to the presigned URL
   * the server answers (S3 PUT bound to the key, type and exact size).
   * Resolves with the attachment record; pass its `id` in `attachmentIds`.
   * Throws {@link ChatApiError}: 400 for a type/size the server refuses,
   * or the storage's status if the upload itself fails.
   */
  async uploadAttachment(chatId: string, data: UploadBody, file: { filename: string; contentType: string }, options?: RequestOptions): Promise<PendingAttachment> {
    const size = data instanceof Blob ? data.size : data.byteLength;
    const reserved = await this.createAttachment(chatId, { filename: file.filename, contentType: file.contentType, size }, options);
    const { upload } = reserved;
    const response = await this.fetchImpl(upload.url, { method: upload.method, headers: upload.headers, body: data as BodyInit, signal: options?.signal });
    if (!response.ok) {
      throw new ChatApiError({ status: response.status, code: 'upload_failed', title: 'Attachment upload failed', detail: `Storage answered ${response.status}.` });
    }
    return reserved.attachment;
  }

  protected async request(route: RouteInfo, params: Record<string, string>, input: OperationInput, options?: RequestOptions): Promise<unknown> {
    let body = input.body;
    // The route's idempotency key (sends: clientMessageId) is filled in, so a retry (ours or the caller's) never stores twice.
    const key = route.idempotencyKey;
    if (key && body && typeof body === 'object' && !(body as Record<string, unknown>)[key]) {
      body = { ...body, [key]: newClientMessageId() };
    }
    const retryable = IDEMPOTENT.has(route.method) || key !== undefined;
    const url = `${this.baseUrl}${expandPath(route.path, params)}${queryString(input.query)}`;

    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json', ...options?.headers };
      if (route.auth === 'user') {
        const token = await resolveToken(this.token);
        if (!token) throw new ChatApiError({ status: 401, code: 'unauthorized', title: 'No token', detail: 'This route needs a bearer token; pass `token` to ChatClient.' });
        headers.authorization = `Bearer ${token}`;
      }
      if (body !== undefined) headers['content-type'] = 'application/json';

      let response: Response;
      try {
        response = await this.fetchImpl(url, { method: route.method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: options?.signal });
      } catch (cause) {
        if (options?.signal?.aborted || !retryable || attempt >= this.retries) {
          throw new ChatApiError({ status: 0, code: 'network_error', title: 'Network error', detail: cause instanceof Error ? cause.message : String(cause), cause });
        }
        await sleep(this.backoff(attempt));
        continue;
      }

      if (response.ok) {
        const info = { status: response.status, headers: response.headers };
        this.onResponse?.(info);
        options?.onResponse?.(info);
        if (response.status === 204) return undefined;
        const type = response.headers.get('content-type') ?? '';
        return type.includes('json') ? response.json() : response.text();
      }
      const error = await ChatApiError.fromResponse(response);
      // 409 with an idempotency key: a first request with this key is still being stored; its repeat answers it.
      const busy = response.status === 503 || (key !== undefined && response.status === 409);
      if (!busy || !retryable || attempt >= this.retries) throw error;
      await sleep(Math.max(this.backoff(attempt), Math.min((error.retryAfterSeconds ?? 0) * 1000, MAX_RETRY_DELAY_MS)));
    }
  }

  /** Pages of a paged route: the route table's \`paging\` says which answer field continues in which query parameter. */
  protected async *pages(route: RouteInfo, params: Record<string, string>, query: object, options?: RequestOptions): AsyncGenerator<unknown> {
    const { next, cursor } = route.paging!;
    const first = query as Record<string, unknown>;
    const param = cursor.find((name) => first[name] !== undefined) ?? cursor[0]!;
    for (let current = first; ; ) {
      const page = (await this.request(route, params, { query: current }, options)) as Record<string, unknown>;
      yield page;
      const value = page[next];
      if (value === null || value === undefined) return;
      current = { ...current, [param]: value };
    }
  }

  /** Full jitter: uniform in [0, min(cap, base·2^attempt)] (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
  private backoff(attempt: number): number {
    return Math.random() * Math.min(MAX_RETRY_DELAY_MS, this.retryBaseMs * 2 ** attempt);
  }
}
