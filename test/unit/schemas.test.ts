import { describe, expect, it } from 'vitest';
import { Metadata, metadataProblem } from '../../functions/schemas';

describe('metadata limits', () => {
  it('accepts ordinary JSON objects', () => {
    for (const ok of [{}, { a: 1, b: 'x', c: [true, null], d: { e: 1.5 } }, { ' ': 1, '😀': [], toString: 'x', prototype: {} }, { n: Number.MAX_SAFE_INTEGER, tiny: 1e-100 }]) {
      expect(metadataProblem(ok), JSON.stringify(ok)).toBeUndefined();
      expect(Metadata.safeParse(ok).success).toBe(true);
    }
  });

  it('refuses what DynamoDB or JavaScript cannot hold exactly, prototype keys, deep nesting and size', () => {
    const deep = (levels: number): unknown => (levels === 0 ? 1 : { a: deep(levels - 1) });
    expect(metadataProblem(deep(10))).toBeUndefined();
    expect(metadataProblem(deep(11))).toMatch(/levels/);
    for (const bad of [{ n: 2 ** 53 + 2 }, { n: 1e308 }, { n: 5e-324 }, { a: { '': 1 } }, JSON.parse('{"x":{"__proto__":{"a":1}}}'), { a: { constructor: 'x' } }]) {
      expect(metadataProblem(bad), JSON.stringify(bad)).toBeDefined();
      expect(Metadata.safeParse(bad).success).toBe(false);
    }
    expect(Metadata.safeParse({ big: 'x'.repeat(9000) }).success).toBe(false);
  });
});
