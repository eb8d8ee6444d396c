import { withPrivacy } from '../../src/privacy/wire';
import { join } from 'node:path';
import { REPS } from '../../src/demo/world';
import type { StoredEvent } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { cli, eventually, startCli, tempDir } from './harness';

interface SeedJson {
  params: { leads: number; seed: string; days: number; start: string };
  commands: number;
  events: number;
  deduplicated: number;
  rejected: number;
  eventsByType: Record<string, number>;
  digest: string;
  interrupted: boolean;
}

const LEADS = 300;
const seedArgs = (seed: string, leads = LEADS) => [
  'seed',
  '--leads',
  String(leads),
  '--seed',
  seed,
  '--start',
  '2025-01-01',
  '--json',
];

const readEvents = async (dir: string): Promise<StoredEvent[]> => {
  const store = await withPrivacy(
    new SqliteEventStore(join(dir, 'events.db')),
    { NODE_ENV: 'test', DATA_DIR: dir, MONGODB_DB: 'unused' },
    { followErasures: false },
  );
  try {
    const events: StoredEvent[] = [];
    for await (const event of store.readAll()) events.push(event);
    return events;
  } finally {
    await store.close();
  }
};

const countBy = <T>(items: readonly T[], key: (item: T) => string | undefined) => {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
};

type Data = Record<string, unknown>;
const dataOf = (events: readonly StoredEvent[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.data as Data);

describe('leadledger seed', () => {
  const dirs = [tempDir(), tempDir(), tempDir()];
  const [first, second, other] = dirs.map((d) => d.dir) as [string, string, string];
  let seeded: SeedJson;
  let events: StoredEvent[];

  beforeAll(async () => {
    const run = await cli(seedArgs('alpha'), { DATA_DIR: first });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    seeded = JSON.parse(run.stdout) as SeedJson;
    events = await readEvents(first);
  }, 60_000);
  afterAll(() => dirs.forEach((d) => d.remove()));

  it('writes every command through the handler without a refusal, and says what it wrote', () => {
    expect(seeded.params).toEqual({
      leads: LEADS,
      seed: 'alpha',
      days: 365,
      start: '2025-01-01T00:00:00.000Z',
    });
    expect(seeded.rejected).toBe(0);
    expect(seeded.interrupted).toBe(false);
    expect(seeded.events).toBe(events.length);
    expect(seeded.eventsByType).toEqual(countBy(events, (e) => e.type));
    expect(seeded.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('is deterministic: the same seed writes the same log, another seed another one', async () => {
    const again = await cli(seedArgs('alpha'), { DATA_DIR: second });
    expect(again.code).toBe(0);
    const twin = JSON.parse(again.stdout) as SeedJson;
    expect(twin).toEqual(seeded);
    // What the digest covers, compared event by event.
    const same = (e: StoredEvent) => [e.id, e.streamId, e.revision, e.type, e.occurredAt, e.data];
    expect((await readEvents(second)).map(same)).toEqual(events.map(same));

    const different = await cli(seedArgs('beta', 100), { DATA_DIR: other });
    expect(different.code).toBe(0);
    expect((JSON.parse(different.stdout) as SeedJson).digest).not.toBe(seeded.digest);
  }, 60_000);

  it('refuses a store that holds events unless --force, which then skips what was written', async () => {
    const refused = await cli(seedArgs('alpha'), { DATA_DIR: first });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      'leadledger seed: the event store already holds events: pass --force to add the demo to them (see leadledger seed --help)\n',
    );
    expect(await readEvents(first)).toHaveLength(events.length);

    const forced = await cli([...seedArgs('alpha'), '--force'], { DATA_DIR: first });
    expect(forced.code).toBe(0);
    const summary = JSON.parse(forced.stdout) as SeedJson;
    expect(summary.events).toBe(0);
    expect(summary.deduplicated).toBe(summary.commands);
    expect(await readEvents(first)).toHaveLength(events.length);
  }, 60_000);

  it('stops between commands when asked, and finishes when run again with --force', async () => {
    const { dir, remove } = tempDir();
    try {
      const run = startCli(seedArgs('alpha'), { DATA_DIR: dir }, { progressEveryMs: 0 });
      await eventually(() => run.stderr().includes('seed: '));
      run.stop('SIGINT');
      const stopped = await run.done;
      expect(stopped.code).toBe(1);
      expect((JSON.parse(stopped.stdout) as SeedJson).interrupted).toBe(true);
      expect(stopped.stderr).toMatch(/^seed: \d+%/);
      expect(stopped.stderr).toContain(
        'leadledger seed: interrupted: run the same command with --force to finish (what was written is skipped)\n',
      );
      const partial = await readEvents(dir);
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(events.length);

      const resumed = await cli([...seedArgs('alpha'), '--force'], { DATA_DIR: dir });
      expect(resumed.code).toBe(0);
      expect((JSON.parse(resumed.stdout) as SeedJson).deduplicated).toBeGreaterThan(0);
      const same = (e: StoredEvent) => [e.id, e.streamId, e.revision, e.type, e.data];
      expect((await readEvents(dir)).map(same)).toEqual(events.map(same));
    } finally {
      remove();
    }
  }, 60_000);

  it('prints a readable summary with the counts by event type', async () => {
    const { dir, remove } = tempDir();
    try {
      const run = await cli(['seed', '--leads', '20', '--seed', 'tiny', '--days', '60'], {
        DATA_DIR: dir,
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^seeded: 20 leads, seed "tiny", 60 days from \d{4}-\d{2}-\d{2}T00:00:00\.000Z\n/,
      );
      expect(run.stdout).toMatch(/^ {2}rejected +0$/m);
      expect(run.stdout).toMatch(/^ {2}LeadCaptured +20$/m);
      const stored = await readEvents(dir);
      expect(run.stdout).toContain(`  events        ${stored.length.toLocaleString('en-US')}\n`);
      // The default start: the story ends today.
      const last = Date.parse(stored.at(-1)!.occurredAt);
      expect(Date.now() - last).toBeLessThan(60 * 86_400_000);
      expect(last).toBeLessThan(Date.now());
    } finally {
      remove();
    }
  });

  describe('the story it tells', () => {
    it('has campaigns with costs across channels', () => {
      const channelOf = new Map(
        dataOf(events, 'CampaignRegistered').map((c) => [c.campaignId, String(c.channel)]),
      );
      const costChannels = new Set(
        dataOf(events, 'CampaignCostRecorded').map((c) => channelOf.get(c.campaignId)),
      );
      expect(costChannels.has(undefined)).toBe(false);
      for (const channel of [
        'PAID_SEARCH',
        'PAID_SOCIAL',
        'CONTENT',
        'EMAIL',
        'WEBINAR',
        'EVENT',
      ]) {
        expect(costChannels).toContain(channel);
      }
    });

    it('has touches in plausible sequences: after the capture, in time order, across channels', () => {
      const byLead = new Map<string, StoredEvent[]>();
      for (const e of events) {
        if (!e.streamId.startsWith('lead-')) continue;
        byLead.set(e.streamId, [...(byLead.get(e.streamId) ?? []), e]);
      }
      expect(byLead.size).toBe(LEADS);
      let multiChannel = 0;
      const yearEnd = Date.parse('2026-01-01T00:00:00Z');
      for (const stream of byLead.values()) {
        expect(stream[0]!.type).toBe('LeadCaptured');
        const touches = stream.filter((e) => e.type === 'TouchRecorded');
        if (touches.length === 0) {
          // Prospected from a list in the last days: the sequence's first email is next year.
          expect(yearEnd - Date.parse(stream[0]!.occurredAt)).toBeLessThan(4 * 86_400_000);
          continue;
        }
        const times = touches.map((t) => Date.parse(t.occurredAt));
        expect(
          times.every((t, i) => t >= (times[i - 1] ?? Date.parse(stream[0]!.occurredAt))),
        ).toBe(true);
        if (new Set(touches.map((t) => (t.data as Data).channel)).size >= 2) multiChannel += 1;
      }
      expect(multiChannel / LEADS).toBeGreaterThan(0.3);
      const creating = dataOf(events, 'TouchRecorded').filter((t) => t.createsLead === true);
      expect(creating.length / LEADS).toBeGreaterThan(0.7);
    });

    it('scores leads, qualifies MQLs, hands them off with late accepts, rejections and breaches', () => {
      const types = seeded.eventsByType;
      expect(types.LeadScored! / LEADS).toBeGreaterThan(1);
      expect(types.LeadMarketingQualified! / LEADS).toBeGreaterThan(0.15);
      const accepted = dataOf(events, 'HandoffAccepted');
      const late = accepted.filter((a) => a.withinSla === false).length / accepted.length;
      expect(late).toBeGreaterThan(0.03);
      expect(late).toBeLessThan(0.4);
      const rejected = dataOf(events, 'HandoffRejected');
      expect(rejected.length / types.LeadHandedOff!).toBeGreaterThan(0.02);
      expect(new Set(rejected.map((r) => r.reason)).size).toBeGreaterThanOrEqual(2);
      const breaches = new Set(dataOf(events, 'SlaBreached').map((b) => b.kind));
      expect([...breaches].sort()).toEqual(['ACCEPTANCE', 'ATTEMPTS', 'FIRST_CONTACT']);
    });

    it('works leads: attempts, SQLs, deals won and lost with reasons', () => {
      const types = seeded.eventsByType;
      expect(types.ContactAttemptLogged! / types.HandoffAccepted!).toBeGreaterThan(1.5);
      expect(types.LeadSalesQualified).toBeGreaterThan(10);
      expect(types.DealWon).toBeGreaterThan(0);
      const lost = dataOf(events, 'DealLost');
      expect(lost.length).toBeGreaterThan(0);
      expect(lost.every((l) => typeof l.reason === 'string')).toBe(true);
      expect(new Set(lost.map((l) => l.reason)).size).toBeGreaterThanOrEqual(3);
    });

    it('has one rep who burns through leads: takes them all, calls a lot, drops most', () => {
      const rep = (e: StoredEvent) => {
        const { repId } = e.data as Data;
        return typeof repId === 'string' ? repId : e.metadata.actor.id;
      };
      const perRep = (type: string) =>
        countBy(
          events.filter((e) => e.type === type),
          rep,
        );
      const handedOff = perRep('LeadHandedOff');
      const accepted = perRep('HandoffAccepted');
      const rejected = perRep('HandoffRejected');
      const attempts = perRep('ContactAttemptLogged');
      const sqls = perRep('LeadSalesQualified');
      const dropped = countBy(
        events.filter((e) => e.type === 'LeadRecycled' || e.type === 'LeadDisqualified'),
        (e) => e.metadata.actor.id,
      );
      const stats = REPS.filter((r) => (accepted[r.id] ?? 0) >= 5).map((r) => {
        const n = accepted[r.id]!;
        return {
          burner: r.cadence === 'burner',
          handoffs: handedOff[r.id] ?? 0,
          rejectShare: (rejected[r.id] ?? 0) / (handedOff[r.id] ?? 1),
          attemptsPerLead: (attempts[r.id] ?? 0) / n,
          sqlRate: (sqls[r.id] ?? 0) / n,
          dropRate: (dropped[r.id] ?? 0) / n,
        };
      });
      const burner = stats.find((s) => s.burner)!;
      const others = stats.filter((s) => !s.burner);
      expect(burner).toBeDefined();
      expect(others.length).toBeGreaterThanOrEqual(5);
      expect(burner.handoffs).toBeGreaterThan(Math.max(...others.map((s) => s.handoffs)));
      expect(burner.rejectShare).toBeLessThan(0.05);
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      expect(burner.attemptsPerLead).toBeGreaterThan(
        1.3 * median(others.map((s) => s.attemptsPerLead)),
      );
      expect(burner.sqlRate).toBeLessThan(Math.min(...others.map((s) => s.sqlRate)));
      expect(burner.dropRate).toBeGreaterThan(Math.max(...others.map((s) => s.dropRate)));
    });
  });
});
