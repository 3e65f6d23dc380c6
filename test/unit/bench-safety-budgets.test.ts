/**
 * `bench/safety.ts`'s budget rows (issue 20: reports, bans, erasure, export):
 * per-message and per-chat figures are the differences between two sizes of
 * a scenario, and a row whose scenarios did not run fails "not measured"
 * rather than passing.
 */
import { describe, expect, it } from 'vitest';
import { evaluateBudgets, recordOutcome } from '../../bench/budgets';
import type { OperationResult } from '../../bench/measure';
import { operation, runFigures } from '../support/bench-results';

const figures = (byCommand: Record<string, number>, wcu: number, rcu = 0) => runFigures(byCommand, { wcu, rcu });
const op = operation;

const row = (operations: OperationResult[], starts: string) => evaluateBudgets(operations).find((t) => t.target.startsWith(starts))!;

describe('safety budgets', () => {
  it('erasure per message: the difference between 100 and 50 messages, per extra message', () => {
    // 50 extra messages: 100 UpdateItems (message + reaction each), their 100 change-log PutItems, one more Query page and checkpoint.
    const small = op('erase-50', figures({ UpdateItem: 100, Query: 2, PutItem: 102 }, 204));
    const large = op('erase-100', figures({ UpdateItem: 200, Query: 3, PutItem: 203 }, 405));
    const t = row([small, large], 'Erasure per message');
    expect(t.pass).toBe(true);
    expect(t.measured).toContain('4.04 requests, 4.02 WCU');
    // One more write per message than the design allows fails.
    const costly = op('erase-100', figures({ UpdateItem: 250, Query: 3, PutItem: 203 }, 455));
    expect(row([small, costly], 'Erasure per message').pass).toBe(false);
  });

  it('export: per message, and exactly one S3 object and two status writes per export', () => {
    const small = op('export-50', figures({ GetItem: 2, Query: 4, PutItem: 2, BatchGetItem: 1 }, 2));
    const large = op('export-100', figures({ GetItem: 2, Query: 5, PutItem: 2, BatchGetItem: 1 }, 2));
    recordOutcome('export-50', { s3Puts: 1, bytes: 4096 });
    recordOutcome('export-100', { s3Puts: 1, bytes: 8192 });
    expect(row([small, large], 'Export per message').pass).toBe(true);
    recordOutcome('export-100', { s3Puts: 2, bytes: 8192 });
    const t = row([small, large], 'Export per message');
    expect(t.pass).toBe(false);
    expect(t.measured).toContain('S3 PutObject per export: 1, 2');
  });

  it('the ban check: free on a warm call, one read beside the erased check on the first', () => {
    const warm = figures({}, 0);
    expect(row([op('ban-check-me', warm, figures({ GetItem: 2, UpdateItem: 1 }, 1, 1))], 'Platform ban check').pass).toBe(true);
    expect(row([op('ban-check-me', figures({ GetItem: 1 }, 0, 0.5), figures({ GetItem: 2, UpdateItem: 1 }, 1, 1))], 'Platform ban check').pass).toBe(false);
  });

  it('fails "not measured" when a scenario did not run', () => {
    const t = row([op('erase-50', figures({ UpdateItem: 100 }, 100))], 'Erasure per message');
    expect(t).toMatchObject({ pass: false, measured: 'not measured: erase-100 did not run' });
  });
});
