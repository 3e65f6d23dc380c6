/**
 * The local stack as a load-test target: every planned user minted a token
 * and put in the directory (`GET /v1/me`), every planned chat created over
 * HTTP, and (on Linux) the stack's processes found for the CPU figures.
 */
import type { Options } from './options';
import type { Plan } from './plan';
import { findStackPid, stackProcesses } from './procfs';
import { forEachLimited, type Target } from './traffic';

/** Users in the directory, chats created over HTTP; answers the target. */
export async function prepareStack(baseUrl: string, wsBase: string, plan: Plan, o: Options, mint: (userId: string) => Promise<string>): Promise<Target> {
  const tokens: string[] = new Array(plan.users.length);
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as any;
  };
  await forEachLimited(plan.users, o['setup-concurrency'], async (userId, i) => {
    tokens[i] = await mint(userId);
    await call(tokens[i], 'GET', '/v1/me');
  });
  const chatIds: string[] = new Array(plan.chats.length);
  await forEachLimited(plan.chats, o['setup-concurrency'], async (chat, c) => {
    const [creator, ...others] = chat.members;
    const body =
      chat.type === 'group'
        ? { type: 'group', title: `load ${plan.runId} group ${c}`, participantIds: others.map((u) => plan.users[u]) }
        : { type: 'direct', participantIds: [plan.users[others[0]]] };
    chatIds[c] = (await call(tokens[creator], 'POST', '/v1/chats', body)).chat.id;
  });
  const pid = findStackPid(Number(new URL(baseUrl).port));
  return {
    name: 'local stack',
    chatIds,
    wsUrl: (user) => `${wsBase}?token=${encodeURIComponent(tokens[user])}`,
    processes: pid === undefined ? undefined : stackProcesses(pid),
    mainThread: pid,
  };
}
