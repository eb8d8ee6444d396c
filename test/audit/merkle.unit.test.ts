import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { AnchoredHead } from '../../src/audit/events';
import { compareStreamIds, merkleRoot } from '../../src/audit/merkle';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const head = (id: string, revision = 0): AnchoredHead => [id, revision, hex(`${id}/${revision}`)];

describe('merkleRoot over stream heads', () => {
  it('is sha256 of nothing for no heads, and a leaf hash for one', () => {
    expect(merkleRoot([])).toBe(hex(''));
    const [id, revision, hash] = head('lead-1', 3);
    const leaf = createHash('sha256')
      .update(Buffer.from([0]))
      .update(`${id}\u0000${revision}\u0000${hash}`)
      .digest('hex');
    expect(merkleRoot([[id, revision, hash]])).toBe(leaf);
  });

  it('does not depend on the order the heads come in, and changes with any head', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (ids, seed) => {
          const heads = ids.map((id) => head(id, 1));
          const shuffled = [...heads].sort(() => (seed % 3) - 1);
          expect(merkleRoot(shuffled)).toBe(merkleRoot(heads));
          const i = seed % heads.length;
          const bumped = heads.map((h, j) => (j === i ? head(h[0], 2) : h));
          expect(merkleRoot(bumped)).not.toBe(merkleRoot(heads));
          expect(merkleRoot(heads.filter((_, j) => j !== i))).not.toBe(merkleRoot(heads));
        },
      ),
    );
  });

  it('orders stream ids by code point (UTF-8 bytes), as other languages sort them', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
        expect(Math.sign(compareStreamIds(a, b))).toBe(bytes);
      }),
    );
    expect(compareStreamIds('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
  });

  it('takes 100k heads in seconds at most (a few hundred ms here)', () => {
    const heads = Array.from({ length: 100_000 }, (_, i) => head(`lead-${i}`, i % 7));
    const started = performance.now();
    merkleRoot(heads);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
