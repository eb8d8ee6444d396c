import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, parse, type GraphQLSchema } from 'graphql';
import { openApp, type App } from '../../src/app/composition';
import { loadConfig } from '../../src/app/config';
import type { Actor } from '../../src/domain/shared/values';
import { createContext, type Services } from '../../src/graphql/context';
import { buildLeadLedgerSchema } from '../../src/graphql/schema';
import type { ReadStore } from '../../src/readstore/port';

const marketer: Actor = { id: 'mkt', roles: ['MARKETING'] };
const READS = ['get', 'getMany', 'find', 'count', 'sum'] as const;

/** The real read store, with its read calls counted (what an N+1 would multiply). */
const counting = (store: ReadStore) => {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if ((READS as readonly PropertyKey[]).includes(prop))
          calls.push(`${String(prop)} ${String(args[0])}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { proxy, calls };
};

interface PageNode {
  id: string;
  owner: { id: string; accepted: number };
  touches: { totalCount: number };
  deals: Array<{ id: string }>;
}

describe('GraphQL resolvers batch read-model reads per request', () => {
  let dir: string;
  let app: App;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-gql-'));
    app = await openApp(loadConfig({ DATA_DIR: dir, SLA_MONITOR_INTERVAL_MS: '60000' }));
    await app.start();
    schema = await buildLeadLedgerSchema();
    const run = (type: string, input: Record<string, unknown>, actor: Actor = marketer) =>
      app.handler.handle(type, input, { actor });
    for (let i = 0; i < 100; i++) {
      const leadId = `L${i}`;
      const rep: Actor = { id: `rep-${i % 7}`, roles: ['SALES'] };
      await run('captureLead', {
        leadId,
        email: `l${i}@example.com`,
        segment: 'SMB',
        channel: 'EMAIL',
      });
      await run('recordTouch', { leadId, channel: 'WEBINAR' });
      await run('recordTouch', { leadId, channel: 'CONTENT' });
      await run('qualifyLead', { leadId });
      await run('handOffLead', { leadId, repId: rep.id });
      await run('acceptHandoff', { leadId }, rep);
      if (i % 3 === 0) {
        await run('qualifyForSales', { leadId }, rep);
        await run(
          'openDeal',
          {
            dealId: `D${i}`,
            leadIds: [leadId],
            account: `A${i}`,
            amount: 1000,
            currency: 'EUR',
            ownerRepId: rep.id,
          },
          rep,
        );
      }
    }
    expect(await app.runner.waitFor(await app.events.headPosition(), 10_000)).toBe(true);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const page = async (first: number) => {
    const { proxy, calls } = counting(app.readStore);
    const services: Services = {
      handler: app.handler,
      events: app.events,
      access: { store: proxy, collection: (c) => app.runner.access.collection(c) },
      projections: app.runner,
      consistencyWaitMs: 1000,
      clock: () => new Date(),
    };
    const result = await execute({
      schema,
      document: parse(`{ leads(first: ${first}) { edges { node { id
        owner { id accepted } touches(first: 5) { totalCount edges { node { channel } } } deals { id amount } } } } }`),
      contextValue: createContext(services, { id: 'ann', roles: ['ANALYST'] }, 'req-1'),
    });
    expect(result.errors).toBeUndefined();
    return {
      data: result.data as unknown as { leads: { edges: Array<{ node: PageNode }> } },
      calls,
    };
  };

  it('reads a 100-lead page with owners, touches and deals in a constant number of store calls', async () => {
    const { data, calls } = await page(100);
    const nodes = data.leads.edges.map((e) => e.node);
    expect(nodes).toHaveLength(100);
    expect(nodes.every((n) => n.owner.accepted > 0 && n.touches.totalCount === 2)).toBe(true);
    expect(nodes.filter((n) => n.deals.length === 1)).toHaveLength(34);
    // leads: page + count; owners: one getMany; touches: one find; deals: one getMany.
    expect(calls.map((c) => c.split(' ')[0])).toEqual(
      expect.arrayContaining(['find', 'count', 'getMany', 'getMany']),
    );
    expect(calls.length).toBeLessThanOrEqual(6);
    const small = await page(10);
    expect(small.calls.length).toBe(calls.length);
  });
});
