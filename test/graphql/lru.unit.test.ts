import { WeightedLru } from '../../src/graphql/lru';

describe('WeightedLru', () => {
  const keys = (lru: WeightedLru<string>, candidates: string[]) =>
    candidates.filter((k) => lru.get(k) !== undefined);

  it('drops the least recently used beyond its capacity', () => {
    const lru = new WeightedLru<string>(2, 100);
    lru.set('a', 'A', 1);
    lru.set('b', 'B', 1);
    expect(lru.get('a')).toBe('A'); // a is now the most recently used
    lru.set('c', 'C', 1);
    expect(keys(lru, ['a', 'b', 'c'])).toEqual(['a', 'c']);
  });

  it('bounds the total weight, keeping the last entry unless told to evict all', () => {
    const keeping = new WeightedLru<string>(10, 5);
    keeping.set('a', 'A', 3);
    keeping.set('b', 'B', 3);
    expect(keys(keeping, ['a', 'b'])).toEqual(['b']);
    keeping.set('c', 'C', 9);
    expect(keys(keeping, ['b', 'c'])).toEqual(['c']);

    const evicting = new WeightedLru<string>(10, 5, true);
    evicting.set('c', 'C', 9);
    expect(evicting.get('c')).toBeUndefined();
  });

  it('reweighs and deletes an entry only while it holds the value it was given for', () => {
    const lru = new WeightedLru<string>(10, 5);
    lru.set('a', 'old', 1);
    lru.set('b', 'B', 1);
    lru.set('a', 'new', 1);
    // A late answer for the replaced value changes nothing...
    lru.reweigh('a', 'old', 100);
    lru.delete('a', 'old');
    expect(keys(lru, ['b', 'a'])).toEqual(['b', 'a']);
    // ...the current one's weight counts, evicting the least recently used (b).
    lru.reweigh('a', 'new', 5);
    expect(keys(lru, ['b', 'a'])).toEqual(['a']);
    lru.delete('a', 'new');
    expect(lru.get('a')).toBeUndefined();
  });
});
