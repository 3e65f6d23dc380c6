/**
 * Every answer of every route, derived from the route table (`routes.ts`):
 * the statuses an HTTP route answers with the body of each, and the frames a
 * WebSocket action is answered with.
 *
 * `docs/openapi.ts` and `docs/asyncapi.ts` document exactly these, and the
 * end-to-end tests check every real answer against them
 * (`test/support/contract.ts`), so the documents cannot disagree with the
 * server: a status or field the table does not list fails a test that names
 * the route and the field.
 */
import type * as z from 'zod';
import type { HttpRoute, WsRoute } from './routes';
import { ApiGatewayFrame, ErrorFrame } from './schemas';

/** One possible body of an answer. */
export type AnswerBody =
  /** The route's own shape (`response.body`, or a status's `body`). */
  | { readonly kind: 'json'; readonly schema: z.ZodType; readonly contentType: string }
  /** `application/problem+json` (`Problem` in `schemas.ts`). */
  | { readonly kind: 'problem' }
  /** API Gateway's own `{message}` (`ApiGatewayError`), answered without invoking the function. */
  | { readonly kind: 'gateway' };

export interface StatusAnswer {
  readonly description: string;
  /** Any of these; empty for an answer without a body (204). */
  readonly bodies: readonly AnswerBody[];
}

const JSON_TYPE = 'application/json';
const problem: AnswerBody = { kind: 'problem' };
const gateway: AnswerBody = { kind: 'gateway' };

/**
 * What every route of a kind may answer besides its own statuses: input
 * checks, tokens, roles, chat ids, and API Gateway's limits (quotas in
 * `api-gateway.ts`).
 */
function sharedStatuses(route: HttpRoute): [number, string, AnswerBody[]][] {
  const shared: [number, string, AnswerBody[]][] = [];
  if (route.params || route.query || route.body) shared.push([400, 'Invalid input (`bad_request`; `errors` names each failed check).', [problem]]);
  if (route.auth === 'user') shared.push([401, 'No bearer token, or one that is invalid or expired (`unauthorized`; `detail` says which).', [problem]]);
  if (route.roles) shared.push([403, `Only for the ${route.roles.join(' or ')} role (\`forbidden\`).`, [problem]]);
  if (route.auth === 'user') shared.push([403, 'The caller is banned platform-wide (`banned`, SPEC §9).', [problem]]);
  if (route.auth === 'user' && /\{chatId\}/.test(route.path)) {
    shared.push([404, 'No such chat, or the caller is not in it: the same answer (`not_found`, SPEC §3).', [problem]]);
  }
  if (route.body) {
    shared.push([413, 'The body is over API Gateway\'s 10 MB payload quota (API Gateway\'s `{message}`).', [gateway]]);
    shared.push([415, 'A body whose content type is not JSON (`bad_request`).', [problem]]);
  }
  if (route.rateLimit) {
    shared.push([429, `Past the caller's per-user \`${route.rateLimit}\` limit (\`rate_limited\`, SPEC §5; \`Retry-After\` says when the window resets).`, [problem]]);
  }
  shared.push(
    [429, 'API Gateway\'s stage throttle (API Gateway\'s `{message}`).', [gateway]],
    [500, 'An unexpected error (`internal`, generic `detail`), or a function that crashed (API Gateway\'s `{message}`).', [problem, gateway]],
    [503, 'Busy or briefly unavailable (`internal`, `Retry-After`; nothing was changed, so retrying is safe), or the function timed out (API Gateway\'s `{message}`).', [problem, gateway]],
  );
  return shared;
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/** Every status `route` answers, ascending, with when and the body of each. */
export function httpResponses(route: HttpRoute): Map<number, StatusAnswer> {
  const own = route.response.body ? [{ kind: 'json', schema: route.response.body, contentType: route.response.contentType ?? JSON_TYPE } as const] : [];
  const answers = new Map<number, { descriptions: string[]; bodies: AnswerBody[] }>();
  const add = (status: number, description: string, bodies: readonly AnswerBody[]) => {
    const entry = answers.get(status) ?? { descriptions: [], bodies: [] };
    entry.descriptions.push(description);
    for (const body of bodies) if (!entry.bodies.some((b) => b.kind === body.kind && (b.kind !== 'json' || body.kind !== 'json' || b.schema === body.schema))) entry.bodies.push(body);
    answers.set(status, entry);
  };
  add(route.response.status, 'Success.', own);
  for (const [key, fact] of Object.entries(route.statuses ?? {})) {
    const status = Number(key);
    if (typeof fact === 'string') add(status, fact, isSuccess(status) ? own : [problem]);
    else add(status, fact.description, [{ kind: 'json', schema: fact.body, contentType: JSON_TYPE }]);
  }
  for (const [status, description, bodies] of sharedStatuses(route)) {
    // A status whose own answer has a body of its own (e.g. `/health`'s 503) is not also a problem.
    const custom = answers.get(status)?.bodies.some((b) => b.kind === 'json');
    add(status, description, custom ? bodies.filter((b) => b.kind !== 'problem') : bodies);
  }
  return new Map(
    [...answers].sort(([a], [b]) => a - b).map(([status, { descriptions, bodies }]) => [status, { description: descriptions.join(' '), bodies }]),
  );
}

/** The frames a WebSocket route's caller may get in answer to one of its frames, by `type` (`gateway`: API Gateway's own frame, no `type`). */
export function wsAnswers(route: WsRoute): { type: string; schema: z.ZodType }[] {
  const answers: { type: string; schema: z.ZodType }[] = [];
  if (route.answer) answers.push({ type: route.answer.shape.type.value, schema: route.answer });
  if (route.returnResponse) answers.push({ type: 'error', schema: ErrorFrame }, { type: 'gateway', schema: ApiGatewayFrame });
  return answers;
}
