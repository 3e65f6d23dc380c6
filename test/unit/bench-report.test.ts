/**
 * `bench/RESULTS.md`'s Result column: a target issue 20 withdrew is still
 * measured and shown, as "withdrawn" with the reason, never as FAIL, and a
 * withdrawn target that is met is simply PASS.
 */
import { describe, expect, it } from 'vitest';
import { resultOf } from '../../bench/report';

describe('resultOf', () => {
  it('says PASS, FAIL, or withdrawn with its reason', () => {
    expect(resultOf({ target: 't', pass: true, measured: '1' })).toBe('PASS');
    expect(resultOf({ target: 't', pass: false, measured: '5' })).toBe('**FAIL**');
    expect(resultOf({ target: 't', pass: false, measured: '5', withdrawn: 'the price of exact unread counts' })).toBe('withdrawn (the price of exact unread counts)');
    expect(resultOf({ target: 't', pass: true, measured: '3', withdrawn: 'no longer a target' })).toBe('PASS');
  });
});
