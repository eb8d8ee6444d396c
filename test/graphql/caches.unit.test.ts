import { SignJWT } from 'jose';
import { parse } from 'graphql';
import { createAuthenticator } from '../../src/graphql/auth';
import { checkLimits, DEFAULT_LIMITS } from '../../src/graphql/limits';
import { cacheKey, createResultCache } from '../../src/graphql/result-cache';
import { buildLeadLedgerSchema } from '../../src/graphql/schema';

describe('result cache', () => {
  it('answers from the cache while the version holds, and reads again once it changes', async () => {
    let version = 1;
    let reads = 0;
    const cache = createResultCache(() => version);
    const read = () => Promise.resolve({ reads: ++reads });
    expect(await cache.get(cacheKey('q', { a: 1 }), read)).toEqual({ reads: 1 });
    expect(await cache.get(cacheKey('q', { a: 1 }), read)).toEqual({ reads: 1 });
    expect(await cache.get(cacheKey('q', { a: 2 }), read)).toEqual({ reads: 2 });
    version = 2;
    expect(await cache.get(cacheKey('q', { a: 1 }), read)).toEqual({ reads: 3 });
    expect(await cache.get(cacheKey('q', { a: 1 }), read)).toEqual({ reads: 3 });
  });

  it('keeps no failure, and shares one read between concurrent misses', async () => {
    const cache = createResultCache(() => 7);
    let reads = 0;
    await expect(
      cache.get('k', () => {
        reads += 1;
        return Promise.reject(new Error('store away'));
      }),
    ).rejects.toThrow('store away');
    const read = () => {
      reads += 1;
      return new Promise<number>((resolve) => setTimeout(() => resolve(reads), 5));
    };
    expect(await Promise.all([cache.get('k', read), cache.get('k', read)])).toEqual([2, 2]);
  });

  it('drops the least recently used entry beyond its capacity', async () => {
    const cache = createResultCache(() => 1, { capacity: 2 });
    let reads = 0;
    const read = () => Promise.resolve(++reads);
    await cache.get('a', read);
    await cache.get('b', read);
    await cache.get('a', read);
    await cache.get('c', read); // drops b
    expect(await cache.get('a', read)).toBe(1);
    expect(await cache.get('b', read)).toBe(4);
  });

  it('holds a bounded number of documents, dropping the least recently used', async () => {
    const cache = createResultCache(() => 1, { maxDocuments: 10 });
    let reads = 0;
    const page = (n: number) => () => {
      reads += 1;
      return Promise.resolve({ edges: Array.from({ length: n }, (_, i) => i) });
    };
    await cache.get('six', page(6));
    await cache.get('four', page(4));
    await cache.get('six', page(6));
    expect(reads).toBe(2);
    await cache.get('three', page(3)); // 13 held: the least recently used (four) goes
    await cache.get('six', page(6));
    expect(reads).toBe(3);
    await cache.get('four', page(4));
    expect(reads).toBe(4);
  });
});

describe('verified tokens', () => {
  const secret = 'a-secret-of-enough-length-for-hs256-tokens';
  const key = new TextEncoder().encode(secret);
  const sign = (exp: number, roles: string[] = ['SALES']) =>
    new SignJWT({ roles })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('rep-1')
      .setExpirationTime(exp)
      .sign(key);

  afterEach(() => jest.useRealTimers());

  it('answers a token seen before with its session until it expires, then refuses it', async () => {
    const auth = createAuthenticator(secret);
    const now = Date.now();
    const exp = Math.floor(now / 1000) + 60;
    const token = await sign(exp);
    const first = await auth.authenticate(`Bearer ${token}`);
    expect(first).toEqual({ actor: { id: 'rep-1', roles: ['SALES'] }, expiresAt: exp * 1000 });
    expect(await auth.authenticate(`Bearer ${token}`)).toBe(first);
    // The clock at the expiry, for the cache and for jose alike (timers stay real).
    jest.useFakeTimers({
      now: exp * 1000,
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'queueMicrotask'],
    });
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toThrow(/expired/);
  });

  it('still refuses a token whose signature was changed after a good one was seen', async () => {
    const auth = createAuthenticator(secret);
    const token = await sign(Math.floor(Date.now() / 1000) + 60);
    await auth.authenticate(`Bearer ${token}`);
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(auth.authenticate(`Bearer ${forged}`)).rejects.toThrow(/signature|malformed/);
  });
});

describe('query cost', () => {
  const query = parse(`query Page($n: Int, $withTouches: Boolean!, $filter: LeadFilter) {
    leads(first: $n, filter: $filter) {
      edges { node { id touches(first: 50) @include(if: $withTouches) { totalCount } } }
    }
  }`);

  it('is checked again when a page size or a directive changes, not when other variables do', async () => {
    const schema = await buildLeadLedgerSchema();
    const limits = { ...DEFAULT_LIMITS, maxComplexity: 2_000 };
    const check = (variables: Record<string, unknown>) => () =>
      checkLimits(schema, query, 'Page', variables, limits);
    expect(check({ n: 10, withTouches: true })).not.toThrow();
    expect(check({ n: 10, withTouches: true, filter: { segment: { eq: 'SMB' } } })).not.toThrow();
    expect(check({ n: 500, withTouches: false })).not.toThrow();
    expect(check({ n: 500, withTouches: true })).toThrow(/costs/);
    expect(check({ n: 500, withTouches: true, filter: null })).toThrow(/costs/);
    // The same values under a lower limit are measured against that limit.
    expect(() =>
      checkLimits(
        schema,
        query,
        'Page',
        { n: 10, withTouches: true },
        {
          ...limits,
          maxComplexity: 100,
        },
      ),
    ).toThrow(/costs/);
  });
});
