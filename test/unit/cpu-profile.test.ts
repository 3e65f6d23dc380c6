import { describe, expect, it } from 'vitest';
import { CATEGORIES, summariseCpuProfile, type CpuProfile, type CpuProfileNode } from '../../bench/load/cpu-profile';

const ROOT = '/repo';
const file = (path: string) => `file://${ROOT}/${path}`;

/** A call tree as [id, functionName, url, line, children]; the samples say which node is on top, one per ms. */
function profile(tree: [number, string, string, number, number[]][], samples: number[], startTime = 1_000_000): CpuProfile {
  const nodes: CpuProfileNode[] = tree.map(([id, functionName, url, lineNumber, children]) => ({
    id,
    callFrame: { functionName, url, lineNumber },
    children,
  }));
  return {
    nodes,
    startTime,
    endTime: startTime + samples.length * 1000,
    samples,
    timeDeltas: samples.map((_, i) => (i === 0 ? 0 : 1000)),
  };
}

// (root) ─┬ (idle) 1 · (program) 2 · (garbage collector) 3
//         ├ processTicksAndRejections ─┬ handler (functions/) ─ send (@smithy) ─ Hmac (node:internal/crypto)
//         │                            ├ runMicrotasks (native)
//         │                            └ writevGeneric (stream_base_commons) ─ writev (native)
//         ├ onMessage (local/gateway.ts) ─ parse (native)
//         └ safeParse (zod) ─ parse (native)
const TREE: [number, string, string, number, number[]][] = [
  [1, '(root)', '', -1, [2, 3, 4, 10, 20, 30]],
  [2, '(idle)', '', -1, []],
  [3, '(program)', '', -1, []],
  [4, '(garbage collector)', '', -1, []],
  [10, 'processTicksAndRejections', 'node:internal/process/task_queues', 70, [11, 14, 15]],
  [11, 'handler', file('functions/handlers/send.ts'), 4, [12]],
  [12, 'send', file('node_modules/@smithy/core/dist-cjs/index.js'), 99, [13]],
  [13, 'Hmac', 'node:internal/crypto/hash', 130, []],
  [14, 'runMicrotasks', '', -1, []],
  [15, 'writevGeneric', 'node:internal/stream_base_commons', 120, [16]],
  [16, 'writev', '', -1, []],
  [20, 'onMessage', file('local/gateway.ts'), 300, [21]],
  [21, 'parse', '', -1, []],
  [30, 'safeParse', file('node_modules/zod/v4/core/parse.js'), 10, [31]],
  [31, 'parse', '', -1, []],
];

//               0  1   2   3   4   5   6   7   8   9  10  11  12  13  14  15
const SAMPLES = [2, 11, 12, 13, 13, 14, 16, 16, 16, 21, 31, 4, 4, 3, 30, 2];

const ms = (summary: ReturnType<typeof summariseCpuProfile>) => Object.fromEntries(summary.categories.map((c) => [c.name, c.ms]));

describe('summariseCpuProfile', () => {
  it('charges each busy sample to one category by its top frame; a native to its nearest JavaScript caller', () => {
    const summary = summariseCpuProfile(profile(TREE, SAMPLES), { root: ROOT });
    expect(summary.idleMs).toBe(2);
    expect(summary.busyMs).toBe(14);
    expect(ms(summary)).toEqual({
      'AWS SDK v3': 1,
      'HTTP, sockets and streams': 3, // writev, called from stream_base_commons
      'crypto (SigV4, JWT)': 2, // under the SDK, but its own frame is node:crypto
      'promises and async hooks': 1, // runMicrotasks, called from the task queue
      'garbage collection': 2,
      'local gateway and stand-ins': 1, // JSON.parse called by the gateway
      'handlers and domain': 1,
      'other libraries': 2, // zod itself and the JSON.parse it called
      'module loading': 0,
      'other (Node events, buffers, timers; V8)': 1, // (program)
    });
    expect(summary.categories.map((c) => c.name)).toEqual([...CATEGORIES]);
    expect(summary.categories.reduce((n, c) => n + c.ms, 0)).toBe(summary.busyMs);
    expect(summary.categories.find((c) => c.name === 'HTTP, sockets and streams')!.share).toBeCloseTo(3 / 14);
    // send and the Hmac under it; writev has no SDK frame above it (an async boundary cut it off).
    expect(summary.awsSdkInclusiveMs).toBe(3);
  });

  it('lists the functions with the most self time, natives apart per category', () => {
    const { top } = summariseCpuProfile(profile(TREE, SAMPLES), { root: ROOT, topCount: 4 });
    expect(top).toEqual([
      { fn: 'writev', where: '(native)', category: 'HTTP, sockets and streams', ms: 3, share: 3 / 14 },
      { fn: 'Hmac', where: 'node:internal/crypto/hash:131', category: 'crypto (SigV4, JWT)', ms: 2, share: 2 / 14 },
      { fn: '(garbage collector)', where: '(native)', category: 'garbage collection', ms: 2, share: 2 / 14 },
      // Ties keep first-seen order: the handler (sample 1) before send, parse ×2 and the rest.
      { fn: 'handler', where: 'functions/handlers/send.ts:5', category: 'handlers and domain', ms: 1, share: 1 / 14 },
    ]);
    const all = summariseCpuProfile(profile(TREE, SAMPLES), { root: ROOT, topCount: 100 }).top;
    expect(all.filter((f) => f.fn === 'parse').map((f) => f.category)).toEqual(['local gateway and stand-ins', 'other libraries']);
    expect(all.find((f) => f.fn === 'send')!.where).toBe('@smithy/core/dist-cjs/index.js:100');
    expect(all.some((f) => f.fn === '(idle)')).toBe(false);
  });

  it('counts only the window, cutting samples at its edges', () => {
    const p = profile(TREE, SAMPLES);
    // Samples 6-8 (writev) start at +6 ms; from +6.5 ms to +10 ms: half of sample 6, samples 7-9 whole.
    const summary = summariseCpuProfile(p, { root: ROOT, window: { startUs: p.startTime + 6500, endUs: p.startTime + 10_000 } });
    expect(summary.busyMs).toBe(3.5);
    expect(summary.idleMs).toBe(0);
    expect(ms(summary)['HTTP, sockets and streams']).toBe(2.5);
    expect(ms(summary)['local gateway and stand-ins']).toBe(1);
    expect(summary.top.map((f) => f.fn)).toEqual(['writev', 'parse']);

    const before = summariseCpuProfile(p, { window: { startUs: 0, endUs: p.startTime } });
    expect([before.busyMs, before.idleMs, before.top]).toEqual([0, 0, []]);
    expect(before.categories.every((c) => c.ms === 0 && c.share === 0)).toBe(true);
  });

  it('times a sample until the next one in time order, even when V8 wrote it out of order', () => {
    const p = profile(TREE, [16, 4, 2]);
    // Sample 1 stamped 0.5 ms before sample 0: in time order GC (0.5 ms), writev (1.5 ms), idle (until the end).
    p.timeDeltas = [1000, -500, 2000];
    p.endTime = p.startTime + 3000;
    const summary = summariseCpuProfile(p, { root: ROOT });
    expect(ms(summary)['garbage collection']).toBe(0.5);
    expect(ms(summary)['HTTP, sockets and streams']).toBe(1.5);
    expect(summary.idleMs).toBe(0.5);
  });

  it('files code by package and path, with or without a root', () => {
    const leaf = (url: string, functionName = 'f') => {
      const p = profile(
        [
          [1, '(root)', '', -1, [2]],
          [2, functionName, url, 0, []],
        ],
        [2],
      );
      return summariseCpuProfile(p, { root: ROOT }).categories.find((c) => c.ms > 0)!.name;
    };
    expect(leaf(file('node_modules/@aws-sdk/lib-dynamodb/dist-cjs/index.js'))).toBe('AWS SDK v3');
    expect(leaf(file('node_modules/.pnpm/@smithy+core@3/node_modules/@smithy/core/x.js'))).toBe('AWS SDK v3');
    expect(leaf('node:_http_client')).toBe('HTTP, sockets and streams');
    expect(leaf('node:internal/streams/writable')).toBe('HTTP, sockets and streams');
    expect(leaf(file('node_modules/aws-jwt-verify/dist/esm/jwt.js'))).toBe('crypto (SigV4, JWT)');
    expect(leaf(file('node_modules/cls-hooked/context.js'))).toBe('promises and async hooks');
    expect(leaf('node:internal/async_hooks')).toBe('promises and async hooks');
    expect(leaf(file('node_modules/ws/lib/sender.js'))).toBe('local gateway and stand-ins');
    expect(leaf(file('local/gateway.ts?tsx-namespace=1'))).toBe('local gateway and stand-ins');
    expect(leaf(file('node_modules/tsx/dist/esm/index.mjs'))).toBe('module loading');
    expect(leaf('node:internal/modules/esm/loader')).toBe('module loading');
    expect(leaf(file('node_modules/@middy/core/index.js'))).toBe('other libraries');
    expect(leaf('node:events')).toBe('other (Node events, buffers, timers; V8)');
    // Another checkout's functions/ is not ours when a root is given…
    expect(leaf('file:///elsewhere/functions/x.ts')).toBe('other (Node events, buffers, timers; V8)');
    // …and is when none is.
    const p = profile(
      [
        [1, '(root)', '', -1, [2]],
        [2, 'f', 'file:///elsewhere/functions/x.ts', 0, []],
      ],
      [2],
    );
    expect(summariseCpuProfile(p).categories.find((c) => c.ms > 0)!.name).toBe('handlers and domain');
  });
});
