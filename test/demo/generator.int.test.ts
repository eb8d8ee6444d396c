import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo, type DemoParams } from '../../src/demo/generator';
import { createDemoHandler, runDemo, type DemoSummary } from '../../src/demo/run';
import { REPS } from '../../src/demo/world';
import { CommandHandler } from '../../src/commands/handle';
import type { StoredEvent } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { SlaMonitor } from '../../src/processes/sla-monitor';
import { PROJECTIONS } from '../../src/projections/catalog';
import { ProjectionRunner } from '../../src/projections/runner';
import { dueDeadlines } from '../../src/projections/sla-deadlines/queries';
import { SqliteReadStore } from '../../src/readstore/sqlite';

const PARAMS: DemoParams = { leads: 300, seed: 'demo-test', start: '2025-01-01' };

interface Run {
  store: SqliteEventStore;
  summary: DemoSummary;
  events: StoredEvent[];
}

const readAll = async (store: SqliteEventStore): Promise<StoredEvent[]> => {
  const events: StoredEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
};

const seedInto = async (file: string, params = PARAMS): Promise<Run> => {
  const store = new SqliteEventStore(file);
  const demo = createDemoHandler(store);
  const summary = await runDemo(demo.handler, generateDemo(params), demo);
  return { store, summary, events: await readAll(store) };
};

/** What a run wrote, without what the store adds at write time (recorded time, hashes). */
const written = (e: StoredEvent) => ({
  id: e.id,
  position: e.position,
  streamId: e.streamId,
  revision: e.revision,
  type: e.type,
  occurredAt: e.occurredAt,
  data: JSON.stringify(e.data),
  actor: e.metadata.actor,
  idempotencyKey: e.metadata.idempotencyKey,
});

const countBy = <T>(items: readonly T[], key: (item: T) => string | undefined) => {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
};

const dataOf = <T>(events: StoredEvent[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.data as T);

describe('demo generator through the command handler on SQLite', () => {
  let dir: string;
  let first: Run;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-demo-'));
    first = await seedInto(join(dir, 'first.db'));
  });
  afterAll(async () => {
    await first?.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates the same commands, in business-time order, for the same parameters', () => {
    const commands = [...generateDemo(PARAMS)];
    expect([...generateDemo(PARAMS)]).toEqual(commands);
    const times = commands.map((c) => Date.parse(c.context.occurredAt));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(times[0]).toBeGreaterThanOrEqual(Date.parse(PARAMS.start));
    expect(times.at(-1)).toBeLessThan(Date.parse('2026-01-01T00:00:00Z'));
    expect(new Set(commands.map((c) => c.context.idempotencyKey)).size).toBe(commands.length);
    const other = [...generateDemo({ ...PARAMS, seed: 'another-seed' })];
    expect(other.map((c) => c.input)).not.toEqual(commands.map((c) => c.input));
  });

  it('passes every rule of the domain: no command is refused', () => {
    expect(first.summary.samples).toEqual([]);
    expect(first.summary.rejected).toBe(0);
    expect(first.summary.events).toBe(first.events.length);
    expect(first.events.length).toBeGreaterThan(PARAMS.leads * 10);
  });

  it('writes byte-identical event data (ids included) on a second run with the same seed', async () => {
    const second = await seedInto(join(dir, 'second.db'));
    try {
      expect(second.summary.rejected).toBe(0);
      expect(second.events.map(written)).toEqual(first.events.map(written));
    } finally {
      await second.store.close();
    }
  });

  it('writes nothing when the same seed runs again on the same store (idempotent keys)', async () => {
    const demo = createDemoHandler(first.store);
    const again = await runDemo(demo.handler, generateDemo(PARAMS), demo);
    expect(again.rejected).toBe(0);
    expect(again.events).toBe(0);
    expect(again.deduplicated).toBe(again.commands);
    expect(await first.store.headPosition()).toBe(first.events.at(-1)!.position);
  });

  it('records every breach the SLA monitor would: none is left for it at the end', async () => {
    const readStore = new SqliteReadStore(join(dir, 'read.db'));
    const runner = new ProjectionRunner(first.store, readStore, PROJECTIONS);
    try {
      await runner.start();
      expect(await runner.waitFor(await first.store.headPosition(), 20_000)).toBe(true);
      // The monitor ticks every few seconds: a deadline of the last 5 s may still be due.
      const end = Date.parse(first.events.at(-1)!.occurredAt) - 5_000;
      const clock = () => new Date(end);
      const monitor = new SlaMonitor({
        handler: new CommandHandler(first.store, { clock }),
        dueDeadlines: (now) => dueDeadlines(runner.access, now, 1_000),
        clock,
        onError: (error) => {
          throw error;
        },
      });
      expect(await monitor.tick()).toEqual({
        checked: 0,
        breached: 0,
        settled: 0,
        conflicts: 0,
        failed: 0,
      });
    } finally {
      await runner.stop();
      await readStore.close();
    }
  });

  it('tells a realistic story: MQLs, late accepts, rejections, breaches, wins and losses', () => {
    const { events } = first;
    const types = countBy(events, (e) => e.type);
    const leads = types.LeadCaptured!;
    expect(leads).toBe(PARAMS.leads);
    // A third or so of the leads qualify within the year; most handoffs are accepted.
    expect(types.LeadMarketingQualified! / leads).toBeGreaterThan(0.2);
    expect(types.LeadMarketingQualified! / leads).toBeLessThan(0.6);
    const handoffs = types.LeadHandedOff!;
    const accepted = dataOf<{ withinSla: boolean }>(events, 'HandoffAccepted');
    expect(accepted.length / handoffs).toBeGreaterThan(0.7);
    const late = accepted.filter((a) => !a.withinSla).length / accepted.length;
    expect(late).toBeGreaterThan(0.03);
    expect(late).toBeLessThan(0.4);

    const rejected = dataOf<{ reason: string }>(events, 'HandoffRejected');
    expect(rejected.length / handoffs).toBeGreaterThan(0.02);
    expect(rejected.length / handoffs).toBeLessThan(0.3);
    expect(Object.keys(countBy(rejected, (r) => r.reason)).length).toBeGreaterThanOrEqual(2);

    const breaches = countBy(dataOf<{ kind: string }>(events, 'SlaBreached'), (b) => b.kind);
    expect(Object.keys(breaches).sort()).toEqual(['ACCEPTANCE', 'ATTEMPTS', 'FIRST_CONTACT']);
    expect(breaches.ACCEPTANCE! / handoffs).toBeLessThan(0.4);

    const won = types.DealWon ?? 0;
    const lost = dataOf<{ reason: string; competitor: string | null }>(events, 'DealLost');
    expect(won).toBeGreaterThan(0);
    expect(lost.length).toBeGreaterThan(won / 2);
    expect(lost.some((l) => l.reason === 'COMPETITOR' && l.competitor !== null)).toBe(true);
    expect(types.LeadConverted).toBe(types.DealOpened);

    const captured = dataOf<{ segment: string; channel: string }>(events, 'LeadCaptured');
    expect(Object.keys(countBy(captured, (c) => c.segment)).sort()).toEqual([
      'ENTERPRISE',
      'MID_MARKET',
      'SMB',
    ]);
    expect(Object.keys(countBy(captured, (c) => c.channel)).length).toBeGreaterThanOrEqual(8);
    const teams = countBy(dataOf<{ team: string }>(events, 'LeadHandedOff'), (h) => h.team);
    expect(Object.keys(teams).sort()).toEqual(['APAC', 'EMEA', 'NA']);
    const costMonths = countBy(
      dataOf<{ periodStart: string }>(events, 'CampaignCostRecorded'),
      (c) => c.periodStart.slice(0, 7),
    );
    expect(Object.keys(costMonths).length).toBeGreaterThanOrEqual(11);
    expect(types.TouchRecorded! / leads).toBeGreaterThan(3);
  });

  it('has one rep who burns through leads: most attempts per lead, fewest SQLs', () => {
    const { events } = first;
    const byRep = (type: string) =>
      countBy(dataOf<{ repId: string }>(events, type), (d) => d.repId);
    const handoffs = byRep('HandoffAccepted');
    const attempts = byRep('ContactAttemptLogged');
    const sqls = byRep('LeadSalesQualified');
    const reps = REPS.filter((r) => (handoffs[r.id] ?? 0) >= 5).map((r) => ({
      id: r.id,
      burner: r.cadence === 'burner',
      attemptsPerLead: (attempts[r.id] ?? 0) / handoffs[r.id]!,
      sqlRate: (sqls[r.id] ?? 0) / handoffs[r.id]!,
    }));
    const burner = reps.find((r) => r.burner)!;
    const others = reps.filter((r) => !r.burner);
    expect(burner).toBeDefined();
    expect(burner.attemptsPerLead).toBeGreaterThan(
      Math.max(...others.map((r) => r.attemptsPerLead)),
    );
    expect(burner.sqlRate).toBeLessThan(Math.min(...others.map((r) => r.sqlRate)));
  });
});
