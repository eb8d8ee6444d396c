import fc from 'fast-check';
import {
  canonicalEnvelope,
  canonicalJson,
  chainHash,
  eventHash,
  GENESIS_HASH,
} from '../../../src/eventstore/hash';

const shuffleKeys = (value: unknown, seed: number): unknown => {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, seed));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const rotated = entries
    .slice(seed % (entries.length || 1))
    .concat(entries.slice(0, seed % (entries.length || 1)));
  return Object.fromEntries(rotated.reverse().map(([k, v]) => [k, shuffleKeys(v, seed)]));
};

describe('canonical JSON and the event hash', () => {
  it('gives one byte sequence per value, whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        expect(canonicalJson(shuffleKeys(value, seed))).toBe(canonicalJson(value));
      }),
    );
  });

  it('is valid JSON that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('drops undefined members like JSON.stringify and serialises dates by toJSON', () => {
    expect(canonicalJson({ b: 1, a: undefined, c: [undefined, 2], d: new Date(0) })).toBe(
      '{"b":1,"c":[null,2],"d":"1970-01-01T00:00:00.000Z"}',
    );
  });

  it('assembles the envelope exactly as the canonical JSON of the whole event', () => {
    const event = fc.record({
      id: fc.uuid(),
      type: fc.string(),
      schemaVersion: fc.nat(),
      streamId: fc.string(),
      revision: fc.nat(),
      occurredAt: fc.string(),
      recordedAt: fc.string(),
      data: fc.jsonValue(),
      metadata: fc.record({
        actor: fc.record({ id: fc.string(), roles: fc.array(fc.string()) }),
        correlationId: fc.string(),
        causationId: fc.string(),
      }),
    });
    fc.assert(
      fc.property(event, (e) => {
        const assembled = canonicalEnvelope(e, canonicalJson(e.data), canonicalJson(e.metadata));
        expect(assembled).toBe(canonicalJson(e));
        expect(eventHash(GENESIS_HASH, e)).toBe(chainHash(GENESIS_HASH, assembled));
      }),
    );
  });
});
