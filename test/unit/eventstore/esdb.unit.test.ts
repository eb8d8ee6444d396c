import { decodePosition, deriveEventId, encodePosition } from '../../../src/eventstore/esdb';
import { uuidV5 } from '../../../src/eventstore/uuid';
import { comparePositions } from '../../../src/eventstore/port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('EventStoreDB positions', () => {
  it('encode commit/prepare as fixed-width strings and decode them back', () => {
    const position = { commit: 1234n, prepare: 1200n };
    const encoded = encodePosition(position);
    expect(encoded).toBe('00000000000000001234/00000000000000001200');
    expect(decodePosition(encoded)).toEqual(position);
    const max = { commit: 2n ** 64n - 2n, prepare: 2n ** 64n - 2n };
    expect(decodePosition(encodePosition(max))).toEqual(max);
  });

  it('order as strings exactly as the log orders them (commit, then prepare)', () => {
    const positions = [
      { commit: 9n, prepare: 9n },
      { commit: 10n, prepare: 3n },
      { commit: 10n, prepare: 10n },
      { commit: 100n, prepare: 100n },
      { commit: 2n ** 40n, prepare: 7n },
    ];
    const encoded = positions.map(encodePosition);
    const shuffled = [...encoded].reverse().sort(comparePositions);
    expect(shuffled).toEqual(encoded);
  });

  it('refuses strings that are not positions of this store', () => {
    for (const bad of ['', '12/34', '0000000000000000001', 'abc/def', '0000000000000001234']) {
      expect(() => decodePosition(bad)).toThrow(RangeError);
    }
  });
});

describe('EventStoreDB event ids from idempotency keys', () => {
  it('is RFC 4122 version 5 (known vector: www.example.com in the DNS namespace)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('derives the same valid uuid on every retry, distinct per index, key and stream', () => {
    const first = deriveEventId('lead-1', 'key-1', 0);
    expect(first).toMatch(UUID);
    expect(deriveEventId('lead-1', 'key-1', 0)).toBe(first);
    const others = [
      deriveEventId('lead-1', 'key-1', 1),
      deriveEventId('lead-1', 'key-2', 0),
      deriveEventId('lead-2', 'key-1', 0),
    ];
    for (const other of others) {
      expect(other).toMatch(UUID);
      expect(other).not.toBe(first);
    }
  });
});
