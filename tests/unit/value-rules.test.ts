import { describe, expect, it } from 'vitest';
import { fitsRule, valueRule } from '../../src/lib/value-rules.js';

describe('value rules at the edges of a column', () => {
  it('a Decimal(P, P) holds no digit before the point but a zero', () => {
    const rule = valueRule('Decimal(2, 2)');
    expect(['0.5', '.25', '-0.12', '0', '0.50'].filter((t) => !fitsRule(rule, t))).toEqual([]);
    expect(['5.12', '1', '0.123', '10'].filter((t) => fitsRule(rule, t))).toEqual([]);
  });

  it('refuses a timestamp a zone would carry out of DateTime64, and takes those it cannot', () => {
    const rule = valueRule('DateTime64(3)');
    expect(fitsRule(rule, '2299-12-31T23:00-05:00')).toBe(false);
    expect(fitsRule(rule, '1900-01-01T00:30+01:00')).toBe(false);
    expect(fitsRule(rule, '1901-01-01T00:30+01:00')).toBe(true);
    expect(fitsRule(rule, '2298-12-31T23:00-05:00')).toBe(true);
  });
});
