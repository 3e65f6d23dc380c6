/**
 * The SDK's types against the server's schemas, checked by the compiler
 * (`expectTypeOf`; `tsc --noEmit` in CI fails on a mismatch, and vitest runs
 * the same file): every frame the server sends is a value of the SDK's frame
 * type for its `type`, every action frame the SDK types is one the server's
 * schema accepts, and the client has one method per HTTP route that
 * resolves to what the route answers.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import type { httpRoutes, wsRoutes } from '../../functions/routes';
import type { ServerEvents } from '../../functions/schemas';
import type { ActionFrameMap, ChatClient, routes, ServerFrameMap } from '../../sdk/src/index';

type HttpRoute = (typeof httpRoutes)[number];
type ActionRoute = Extract<(typeof wsRoutes)[number], { frame: z.ZodType }>;
type OperationName = keyof typeof routes;

/** What the server sends, by event type, as its schemas define it. */
type ServerFrames = { [K in keyof typeof ServerEvents]: z.output<(typeof ServerEvents)[K]> };
/** What the server accepts, by action, as its schemas define it. */
type ServerActions = { [R in ActionRoute as R['routeKey']]: z.input<R['frame']> };
/** What each route answers (no body: `undefined`), by the SDK's operation name. */
type RouteAnswers = { [R in HttpRoute as Uncapitalize<R['name']>]: R['response'] extends { body: z.ZodType } ? z.output<R['response']['body']> : undefined };
/** What each client method resolves to. */
type ClientAnswers = { [K in OperationName]: ChatClient[K] extends (...args: any[]) => Promise<infer T> ? T : never };

describe('SDK types', () => {
  it('name every server event, and each server frame is a value of the SDK type for it', () => {
    expectTypeOf<keyof ServerFrameMap>().toEqualTypeOf<keyof typeof ServerEvents>();
    expectTypeOf<ServerFrames>().toExtend<ServerFrameMap>();
  });

  it('name every WebSocket action, and each SDK action frame is one the server accepts', () => {
    expectTypeOf<keyof ActionFrameMap>().toEqualTypeOf<ActionRoute['routeKey']>();
    expectTypeOf<ActionFrameMap>().toExtend<ServerActions>();
  });

  it('give the client one method per HTTP route, resolving to what the route answers', () => {
    expectTypeOf<OperationName>().toEqualTypeOf<Uncapitalize<HttpRoute['name']>>();
    expectTypeOf<RouteAnswers>().toExtend<ClientAnswers>();
  });
});
