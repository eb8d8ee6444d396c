import { randomBytes } from 'node:crypto';
import {
  isSealed,
  openSealed,
  parseSealed,
  sealValue,
  SealedValueError,
  valueAad,
} from '../../src/privacy/sealed-value';

const key = randomBytes(32);
const aad = valueAad('lead-L1', 'LeadCaptured', 'email');

describe('sealed values', () => {
  it('are self-describing strings that open to the value they sealed, any JSON value', () => {
    for (const value of ['ada@example.com', '', 'ünïcödé ✓', 42, { budget: '50k' }, ['a']]) {
      const sealed = sealValue(key, 'k1', aad, value);
      expect(sealed).toMatch(/^pii:v1:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
      expect(isSealed(sealed)).toBe(true);
      expect(openSealed(key, parseSealed(sealed), aad)).toEqual(value);
    }
  });

  it('use a fresh IV per value: the same value seals differently every time', () => {
    const a = sealValue(key, 'k1', aad, 'same');
    const b = sealValue(key, 'k1', aad, 'same');
    expect(a).not.toBe(b);
    expect(parseSealed(a).iv.equals(parseSealed(b).iv)).toBe(false);
  });

  it('do not open with another key, in another place (AAD) or once altered', () => {
    const sealed = sealValue(key, 'k1', aad, 'ada@example.com');
    const parts = parseSealed(sealed);
    expect(() => openSealed(randomBytes(32), parts, aad)).toThrow(SealedValueError);
    expect(() => openSealed(key, parts, valueAad('lead-L2', 'LeadCaptured', 'email'))).toThrow(
      SealedValueError,
    );
    expect(() => openSealed(key, parts, valueAad('lead-L1', 'LeadCaptured', 'name'))).toThrow(
      SealedValueError,
    );
    const flipped = Buffer.from(parts.sealed);
    flipped[0] = flipped[0]! ^ 1;
    expect(() => openSealed(key, { ...parts, sealed: flipped }, aad)).toThrow(SealedValueError);
  });

  it('tells sealed values from plain ones, and refuses malformed ones', () => {
    expect(isSealed('ada@example.com')).toBe(false);
    expect(isSealed(null)).toBe(false);
    expect(isSealed(7)).toBe(false);
    expect(() => parseSealed('pii:v1:k1:onlytwo')).toThrow(SealedValueError);
    expect(() => parseSealed('pii:v1:k1:AAAA:AAAA')).toThrow(SealedValueError);
  });
});
