/**
 * Deterministic reproductions of the bugs the fuzzing (`fuzz.test.ts`) found.
 * Both are fixed; the tests now guard against regressions. (They were `it.fails`: each asserts the CORRECT behaviour and then
 * fails, so the suite stays green while the bug exists and turns red when it
 * is fixed: then drop `.fails` here, and drop the matching tolerance in
 * `fuzz.test.ts` (`unstorableMetadata` / `known: true` bombs, `prototypeKey`).
 *
 * 1. FIXED (bounded `Metadata` in functions/schemas.ts, now 400). `metadata` that DynamoDB cannot store answered 500 `internal` instead of a
 *    4xx: nesting deeper than 32 levels, numbers outside what the marshaller
 *    or DynamoDB accept (any integer above 2^53 such as 1e20 or 1e308, magnitudes
 *    below 1e-130), an empty map key at any depth, a map key named
 *    `constructor` at any depth (the marshaller then takes the map for a class
 *    instance: "Unsupported type passed"), a `__proto__` key below the top
 *    level (same error; at the top level it is silently dropped), an item
 *    over 400 KB.
 *    Routes: POST /v1/chats, PATCH /v1/chats/{chatId}, POST
 *    /v1/chats/{chatId}/messages, POST /v1/messages, WebSocket sendMessage
 *    (`{type:"error", code:"internal"}`). `Metadata` in functions/schemas.ts
 *    is `z.record(z.string(), z.unknown())` with no bound.
 * 2. FIXED (Map-based `multiQuery`/`headersV2`). Local gateway only (local/gateway/events.ts `multiQuery`): a query key that is
 *    an `Object.prototype` property (`__proto__`, `constructor`, `toString`,
 *    …) makes the gateway itself throw (`out[key].push is not a function`):
 *    500 `{"message":"Internal Server Error"}` on every route, `/health` included.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api';
import { connect } from '../support/ws-client';
import { createFixtures, expectProblem, nestedText, stack, type Fixtures } from './support';

let f: Fixtures;
beforeAll(async () => {
  f = await createFixtures('sec-bugs');
});


/** Metadata (JSON text) DynamoDB cannot store. */
const UNSTORABLE: [string, string][] = [
  ['nested 11 levels', nestedText(11)],
  ['nested 33 levels', nestedText(33)],
  ['number 1e308', '{"n":1e308}'],
  ['integer 1e20 (above 2^53)', '{"n":100000000000000000000}'],
  ['unsafe integer 2^53+1', '{"n":9007199254740993}'],
  ['number 5e-324', '{"n":5e-324}'],
  ['empty key', '{"a":{"":1}}'],
  ['key "constructor"', '{"constructor":{"prototype":1}}'],
  ['nested key "constructor"', '{"a":{"constructor":"x"}}'],
  ['nested key "__proto__"', '{"x":{"__proto__":{"a":1}}}'],
  ['item over 400 KB', JSON.stringify({ a: 'x'.repeat(210_000), b: 'y'.repeat(210_000) })],
];
/** Metadata that must keep working (guards against an over-strict fix). */
const STORABLE: [string, string][] = [
  ['nested 9 levels (the limit is 10)', nestedText(9)],
  ['numbers', '{"i":9007199254740991,"f":1.5,"e":1e-7,"tiny":1.25e-100,"neg":-42}'],
  ['odd keys', '{" ":1,"😀":[],"\\u202e":null,"toString":"x","hasOwnProperty":1,"prototype":{}}'],
];

/** `body` with `metadata` set to the JSON text `metadata`. */
const withMetadata = (body: Record<string, unknown>, metadata: string) => JSON.stringify({ ...body, metadata: 0 }).replace(/"metadata":0(?=[,}])/, `"metadata":${metadata}`);

const routes = () => [
  { name: 'CreateChat', method: 'POST', path: '/v1/chats', token: f.owner.token, body: { type: 'group', participantIds: [f.member.id], title: 'meta' } },
  { name: 'UpdateChat', method: 'PATCH', path: `/v1/chats/${f.groupId}`, token: f.owner.token, body: { title: 'meta' } },
  { name: 'SendMessage', method: 'POST', path: `/v1/chats/${f.groupId}/messages`, token: f.owner.token, body: { content: 'meta' } },
  { name: 'SendToUser', method: 'POST', path: '/v1/messages', token: f.member.token, body: { to: f.owner.id, content: 'meta' } },
];
const ROUTE_NAMES = ['CreateChat', 'UpdateChat', 'SendMessage', 'SendToUser'];

describe('bug 1: unstorable metadata answers 500 instead of 4xx', () => {
  for (const name of ROUTE_NAMES) {
    for (const [what, metadata] of UNSTORABLE) {
      it(`${name} with metadata: ${what} → 4xx problem (currently 500 internal)`, async () => {
        const route = routes().find((r) => r.name === name)!;
        const res = await call(stack, route.method, route.path, { token: route.token, body: withMetadata(route.body, metadata) });
        expect([400, 413]).toContain(res.status);
        expectProblem(res);
      });
    }
    it(`${name} still stores ordinary metadata`, async () => {
      const route = routes().find((r) => r.name === name)!;
      for (const [what, metadata] of STORABLE) {
        const res = await call(stack, route.method, route.path, { token: route.token, body: withMetadata(route.body, metadata) });
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
        const stored = res.body.message?.metadata ?? res.body.chat?.metadata;
        expect(stored, what).toEqual(JSON.parse(metadata));
      }
    });
  }

  for (const [what, metadata] of UNSTORABLE.filter(([w]) => w !== 'item over 400 KB')) {
    it(`WebSocket sendMessage with metadata: ${what} → error bad_request (currently error internal)`, async () => {
      const ws = await connect(stack.wsUrl, f.removable.token);
      try {
        const answer = ws.next((frame) => frame?.requestId === 'meta');
        ws.send(withMetadata({ action: 'sendMessage', requestId: 'meta', chatId: f.groupId, content: 'meta' }, metadata));
        expect(await answer).toMatchObject({ type: 'error', code: 'bad_request' });
      } finally {
        await ws.close();
      }
    });
  }
});

describe('bug 2 (local gateway): query keys named like Object.prototype properties answer 500', () => {
  for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    it(`GET /v1/chats?${key}=1 and GET /health?${key}=1 → 200 (unknown query keys are ignored)`, async () => {
      const list = await call(stack, 'GET', `/v1/chats?${key}=1`, { token: f.owner.token });
      expect(list.status, JSON.stringify(list.body)).toBe(200);
      const health = await call(stack, 'GET', `/health?${key}=1`);
      expect(health.status, JSON.stringify(health.body)).toBe(200);
    });
  }
  it('an ordinary unknown query key is ignored', async () => {
    expect((await call(stack, 'GET', '/v1/chats?unknownKey=1', { token: f.owner.token })).status).toBe(200);
    expect((await call(stack, 'GET', '/health?unknownKey=1')).status).toBe(200);
  });
});
