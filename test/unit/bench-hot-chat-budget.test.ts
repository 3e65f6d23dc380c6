/** The hot-chat budget row says "not measured" when no burst ran, so `npm run bench -- --only=…` leaves it out instead of printing FAIL. */
import { describe, expect, it } from 'vitest';
import { evaluateBudgets } from '../../bench/budgets';

describe('hot-chat budget row', () => {
  it('is "not measured" (and so filtered from --only output) when no hot-chat burst ran', () => {
    const row = evaluateBudgets([]).find((t) => t.target.startsWith('Hot chat: 0 failed sends'));
    expect(row?.pass).toBe(false);
    expect(row?.measured.startsWith('not measured')).toBe(true);
  });
});
