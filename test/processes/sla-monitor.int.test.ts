import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandHandler } from '../../src/commands/handle';
import type { LeadHandedOff, SlaBreached } from '../../src/domain/lead/events';
import { DomainRuleError } from '../../src/domain/shared/errors';
import { addMinutes } from '../../src/domain/shared/time';
import type { Actor } from '../../src/domain/shared/values';
import type { EventStore, StoredEvent } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import {
  SLA_MONITOR_ACTOR,
  SlaMonitor,
  type DueDeadline,
  type SlaMonitorOptions,
  type TickSummary,
} from '../../src/processes/sla-monitor';
import type { ReadModelAccess } from '../../src/projections/projection';
import {
  SLA_DEADLINES,
  slaDeadlinesProjection,
  type SlaDeadlineDoc,
} from '../../src/projections/sla-deadlines/projection';
import { dueDeadlines } from '../../src/projections/sla-deadlines/queries';
import type { Doc, ReadStore } from '../../src/readstore/port';
import { fromStored, InMemoryProjection } from '../support/in-memory-projection';
import { readStoreFactories } from '../support/readstores';

const T0 = '2026-06-01T09:00:00.000Z';
const marketer: Actor = { id: 'mia', roles: ['MARKETING'] };
const rex: Actor = { id: 'rex', roles: ['SALES'] };
const DAY = 24 * 60;

const nothing: TickSummary = { checked: 0, breached: 0, settled: 0, conflicts: 0, failed: 0 };
const summary = (counts: Partial<TickSummary>): TickSummary => ({ ...nothing, ...counts });

/** A clock the test moves by hand. */
const fakeClock = () => {
  let now = T0;
  return {
    clock: () => new Date(now),
    advance: (minutes: number) => {
      now = addMinutes(now, minutes);
      return now;
    },
  };
};

/** Due deadlines from the sla-deadlines projection, folded from the whole log on each call. */
const dueFromLog =
  (store: EventStore) =>
  async (now: string): Promise<DueDeadline[]> => {
    const events: StoredEvent[] = [];
    for await (const event of store.readAll()) events.push(event);
    const docs = new InMemoryProjection(slaDeadlinesProjection)
      .apply(events.map(fromStored))
      .all(SLA_DEADLINES) as SlaDeadlineDoc[];
    return docs
      .filter((d) => d.status === 'OPEN' && d.deadline <= now)
      .sort((a, b) => a.deadline.localeCompare(b.deadline) || a._id.localeCompare(b._id))
      .map(({ leadId, handoffId, kind, deadline }) => ({ leadId, handoffId, kind, deadline }));
  };

/** Brings the read model up to the log's head, one event per batch (a runner without the runner). */
const catchUp = async (events: EventStore, store: ReadStore, from: string): Promise<string> => {
  const projection = slaDeadlinesProjection;
  let position = from;
  for await (const stored of events.readAll({ from })) {
    position = stored.position;
    if (!projection.handles.has(stored.type)) continue;
    const event = fromStored(stored);
    const docs = new Map<string, Doc | undefined>();
    for (const ref of projection.needs?.(event) ?? []) {
      docs.set(`${ref.collection}/${ref.id}`, await store.get(ref.collection, ref.id));
    }
    const changes = projection.project(event, { get: (c, id) => docs.get(`${c}/${id}`) });
    await store.applyBatch(
      changes.map((change) => ({ ...change, position })),
      [],
    );
  }
  return position;
};

/** Lets `run` land between a breach's decision and its append, once. */
const interleaved = (inner: EventStore, run: () => Promise<unknown>): EventStore => {
  let pending: (() => Promise<unknown>) | undefined = run;
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'append') {
        return async (...args: Parameters<EventStore['append']>) => {
          const before = pending;
          if (before && args[1].some((e) => e.type === 'SlaBreached')) {
            pending = undefined;
            await before();
          }
          return target.append(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
};

describe('SlaMonitor on SQLite', () => {
  let dir: string;
  let store: SqliteEventStore;
  let time: ReturnType<typeof fakeClock>;
  let handler: CommandHandler;
  let errors: Array<{ error: unknown; due?: DueDeadline }>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-sla-monitor-'));
    store = new SqliteEventStore(join(dir, 'events.db'));
    time = fakeClock();
    handler = new CommandHandler(store, { clock: time.clock });
    errors = [];
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const monitor = (options: Partial<SlaMonitorOptions> = {}) =>
    new SlaMonitor({
      handler,
      dueDeadlines: dueFromLog(store),
      clock: time.clock,
      onError: (error, due) => errors.push({ error, due }),
      ...options,
    });

  /** Captures, qualifies and hands the lead to rex under the built-in terms (60 / 240 min, 3 in 7 days). */
  const handOff = async (leadId: string): Promise<LeadHandedOff> => {
    await handler.handle(
      'captureLead',
      { leadId, email: `${leadId}@example.com`, segment: 'SMB', channel: 'EMAIL' },
      { actor: marketer },
    );
    await handler.handle('qualifyLead', { leadId }, { actor: marketer });
    const result = await handler.handle(
      'handOffLead',
      { leadId, handoffId: `H-${leadId}`, repId: rex.id, team: 'EMEA' },
      { actor: marketer },
    );
    return result.events[0]!.data as LeadHandedOff;
  };
  const as = (actor: Actor, type: string, input: Record<string, unknown>, on = handler) =>
    on.handle(type, input, { actor });
  const breaches = async (leadId: string) =>
    (await store.readStream(`lead-${leadId}`)).filter((e) => e.type === 'SlaBreached');

  it('records one ACCEPTANCE breach once the deadline passes, naming the owner, and only once', async () => {
    const handoff = await handOff('L-1');
    const sla = monitor();
    time.advance(59);
    expect(await sla.tick()).toEqual(nothing);

    time.advance(2);
    const detectedAt = time.clock().toISOString();
    expect(await sla.tick()).toEqual(summary({ checked: 1, breached: 1 }));
    const [breach, ...more] = await breaches('L-1');
    expect(more).toEqual([]);
    expect(breach!.data).toEqual({
      leadId: 'L-1',
      handoffId: 'H-L-1',
      kind: 'ACCEPTANCE',
      deadline: handoff.acceptBy,
      detectedAt,
      ownerRepId: 'rex',
      team: 'EMEA',
    } satisfies SlaBreached);
    expect(breach!.metadata.actor).toEqual(SLA_MONITOR_ACTOR);

    time.advance(1);
    expect(await sla.tick()).toEqual(nothing);
    // A read model that has not caught up yet asks again: the key and the decider both refuse.
    const due = { leadId: 'L-1', handoffId: 'H-L-1', kind: 'ACCEPTANCE' as const };
    const stale = monitor({
      dueDeadlines: () => Promise.resolve([{ ...due, deadline: handoff.acceptBy }]),
    });
    expect(await stale.tick()).toEqual(summary({ checked: 1, settled: 1 }));
    const otherProcess = monitor({
      handler: new CommandHandler(store, { clock: time.clock }),
      dueDeadlines: () => Promise.resolve([{ ...due, deadline: handoff.acceptBy }]),
    });
    expect(await otherProcess.tick()).toEqual(summary({ checked: 1, settled: 1 }));
    expect(await breaches('L-1')).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('records nothing for a handoff accepted in time', async () => {
    await handOff('L-1');
    time.advance(30);
    await as(rex, 'acceptHandoff', { leadId: 'L-1' });
    time.advance(31);
    expect(await monitor().tick()).toEqual(nothing);
    expect(await breaches('L-1')).toEqual([]);
  });

  it('records a FIRST_CONTACT breach when no attempt was made by the deadline', async () => {
    const handoff = await handOff('L-1');
    time.advance(10);
    await as(rex, 'acceptHandoff', { leadId: 'L-1' });
    const sla = monitor();
    time.advance(229);
    expect(await sla.tick()).toEqual(nothing);
    time.advance(2);
    expect(await sla.tick()).toEqual(summary({ checked: 1, breached: 1 }));
    expect((await breaches('L-1')).map((e) => e.data)).toEqual([
      expect.objectContaining({
        kind: 'FIRST_CONTACT',
        deadline: handoff.firstContactBy,
        ownerRepId: 'rex',
      }),
    ]);
  });

  it('records an ATTEMPTS breach for too few attempts in the window, and none when met', async () => {
    const short = await handOff('L-short');
    await handOff('L-met');
    time.advance(10);
    await as(rex, 'acceptHandoff', { leadId: 'L-short' });
    await as(rex, 'acceptHandoff', { leadId: 'L-met' });
    for (const minutes of [10, 100, 2 * DAY]) {
      time.advance(minutes);
      const outcome = 'NO_ANSWER';
      await as(rex, 'logContactAttempt', { leadId: 'L-met', channel: 'CALL', outcome });
      if (minutes < DAY) {
        await as(rex, 'logContactAttempt', { leadId: 'L-short', channel: 'CALL', outcome });
      }
    }
    const sla = monitor();
    expect(await sla.tick()).toEqual(nothing);
    time.advance(5 * DAY);
    expect(await sla.tick()).toEqual(summary({ checked: 1, breached: 1 }));
    expect((await breaches('L-short')).map((e) => e.data)).toEqual([
      expect.objectContaining({ kind: 'ATTEMPTS', deadline: short.attemptsBy, ownerRepId: 'rex' }),
    ]);
    expect(await breaches('L-met')).toEqual([]);
  });

  it('holds contact deadlines until the handoff is accepted, then records them', async () => {
    await handOff('L-1');
    const sla = monitor();
    time.advance(300);
    // Past both deadlines, still pending: only acceptance can be breached yet.
    expect(await sla.tick()).toEqual(summary({ checked: 1, breached: 1 }));
    await as(rex, 'acceptHandoff', { leadId: 'L-1' });
    expect(await sla.tick()).toEqual(summary({ checked: 1, breached: 1 }));
    expect((await breaches('L-1')).map((e) => (e.data as SlaBreached).kind)).toEqual([
      'ACCEPTANCE',
      'FIRST_CONTACT',
    ]);
    expect(errors).toEqual([]);
  });

  it('loses cleanly to an accept appended between its decision and its append', async () => {
    await handOff('L-1');
    const rep = new CommandHandler(store, { clock: time.clock });
    const accept = () => as(rex, 'acceptHandoff', { leadId: 'L-1' }, rep);
    const racing = new CommandHandler(interleaved(store, accept), { clock: time.clock });
    const sla = monitor({ handler: racing });
    time.advance(61);

    expect(await sla.tick()).toEqual(summary({ checked: 1, conflicts: 1 }));
    const types = (await store.readStream('lead-L-1')).map((e) => e.type);
    expect(types).toContain('HandoffAccepted');
    expect(types).not.toContain('SlaBreached');
    expect(await store.verify('lead-L-1')).toMatchObject({ ok: true });
    // The next tick re-checks from the new state: the acceptance settled it.
    expect(await sla.tick()).toEqual(nothing);
    expect(await breaches('L-1')).toEqual([]);
  });

  it('is refused by the decider when an accept lands after the read model said due', async () => {
    await handOff('L-1');
    time.advance(61);
    const sla = monitor({
      dueDeadlines: async (now) => {
        const due = await dueFromLog(store)(now);
        await as(rex, 'acceptHandoff', { leadId: 'L-1' });
        return due;
      },
    });
    expect(await sla.tick()).toEqual(summary({ checked: 1, settled: 1 }));
    const accepted = (await store.readStream('lead-L-1')).filter(
      (e) => e.type === 'HandoffAccepted',
    );
    expect(accepted.map((e) => e.data)).toEqual([expect.objectContaining({ withinSla: false })]);
    expect(await breaches('L-1')).toEqual([]);
  });

  it('writes one breach when two monitors tick at once', async () => {
    await handOff('L-1');
    time.advance(61);
    const first = monitor();
    const second = monitor({ handler: new CommandHandler(store, { clock: time.clock }) });
    const results = await Promise.all([first.tick(), second.tick()]);
    expect(results.reduce((n, r) => n + r.breached, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.settled + r.conflicts, 0)).toBe(1);
    expect(await breaches('L-1')).toHaveLength(1);
  });

  it('names the rep who held the lead when the deadline passed', async () => {
    await handOff('L-early');
    await handOff('L-late');
    time.advance(30);
    await as(rex, 'reassignLead', { leadId: 'L-early', toRepId: 'ora' });
    time.advance(40);
    await as(rex, 'reassignLead', { leadId: 'L-late', toRepId: 'ora' });
    time.advance(5);
    expect(await monitor().tick()).toEqual(summary({ checked: 2, breached: 2 }));
    expect((await breaches('L-early'))[0]!.data).toMatchObject({ ownerRepId: 'ora' });
    // Reassigned after its deadline had passed: the breach stays with the rep who missed it.
    expect((await breaches('L-late'))[0]!.data).toMatchObject({ ownerRepId: 'rex' });
  });

  it('counts and reports a breach the decider refuses for another reason', async () => {
    const handoff = await handOff('L-1');
    time.advance(61);
    const wrong = { leadId: 'L-1', handoffId: 'H-L-1', kind: 'ACCEPTANCE' as const };
    const sla = monitor({
      dueDeadlines: () =>
        Promise.resolve([{ ...wrong, deadline: addMinutes(handoff.acceptBy, -1) }]),
    });
    expect(await sla.tick()).toEqual(summary({ checked: 1, failed: 1 }));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toBeInstanceOf(DomainRuleError);
    expect(errors[0]!.error).toMatchObject({ rule: 'SLA_DEADLINE_MISMATCH' });
    expect(await breaches('L-1')).toEqual([]);
  });

  it('never runs two ticks at once', async () => {
    let active = 0;
    let most = 0;
    const sla = monitor({
      dueDeadlines: async () => {
        active += 1;
        most = Math.max(most, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active -= 1;
        return [];
      },
    });
    await Promise.all([sla.tick(), sla.tick(), sla.tick()]);
    expect(most).toBe(1);
  });

  it('stop waits for the tick in progress', async () => {
    let entered: () => void = () => undefined;
    let release: () => void = () => undefined;
    const inTick = new Promise<void>((resolve) => (entered = resolve));
    const sla = monitor({
      dueDeadlines: async () => {
        entered();
        await new Promise<void>((resolve) => (release = resolve));
        return [];
      },
    });
    sla.start(1_000);
    await inTick;
    let stopped = false;
    const stopping = sla.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('ticks on its interval once started, and not after stop', async () => {
    await handOff('L-1');
    time.advance(61);
    const ticks: TickSummary[] = [];
    let finishTick: () => void = () => undefined;
    const breached = new Promise<void>((resolve) => (finishTick = resolve));
    const sla = monitor({
      onTick: (s) => {
        ticks.push(s);
        if (s.breached > 0) finishTick();
      },
    });
    sla.start(5);
    sla.start(5);
    await breached;
    await new Promise((resolve) => setTimeout(resolve, 30));
    await sla.stop();
    const count = ticks.length;
    expect(count).toBeGreaterThan(1);
    expect(ticks.filter((t) => t.breached > 0)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(ticks).toHaveLength(count);
    expect(await breaches('L-1')).toHaveLength(1);
  });
});

describe.each(readStoreFactories())(
  'SlaMonitor on the sla-deadlines read model (%s)',
  (_name, make) => {
    let dir: string;
    let events: SqliteEventStore;
    let readStore: ReadStore;
    let cleanup: () => Promise<void>;
    let time: ReturnType<typeof fakeClock>;
    let handler: CommandHandler;
    let rm: ReadModelAccess;
    let projected = '';

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'leadledger-sla-monitor-'));
      events = new SqliteEventStore(join(dir, 'events.db'));
      ({ store: readStore, cleanup } = await make());
      for (const spec of slaDeadlinesProjection.collections) await readStore.ensureCollection(spec);
      rm = { store: readStore, collection: (logical) => logical };
      projected = '';
      time = fakeClock();
      handler = new CommandHandler(events, { clock: time.clock });
    });
    afterEach(async () => {
      await cleanup();
      await events.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const due = async (now: string, limit = 100) => {
      projected = await catchUp(events, readStore, projected);
      return dueDeadlines(rm, now, limit);
    };
    const handOff = async (leadId: string) => {
      await handler.handle(
        'captureLead',
        { leadId, email: `${leadId}@example.com`, segment: 'SMB', channel: 'EMAIL' },
        { actor: marketer },
      );
      await handler.handle('qualifyLead', { leadId }, { actor: marketer });
      const result = await handler.handle(
        'handOffLead',
        { leadId, handoffId: `H-${leadId}`, repId: rex.id, team: null },
        { actor: marketer },
      );
      return (result.events[0]!.data as LeadHandedOff).acceptBy;
    };

    it('finds due deadlines oldest first, breaches them, and finds them no more', async () => {
      const acceptBy: string[] = [];
      for (const leadId of ['L-1', 'L-2', 'L-3']) {
        acceptBy.push(await handOff(leadId));
        time.advance(5);
      }
      await handler.handle('acceptHandoff', { leadId: 'L-2' }, { actor: rex });
      const now = time.advance(90);
      expect(await due(now, 1)).toEqual([
        {
          leadId: 'L-1',
          handoffId: 'H-L-1',
          kind: 'ACCEPTANCE',
          deadline: acceptBy[0],
          status: 'OPEN',
        },
      ]);
      expect((await due(now)).map((d) => d.deadline)).toEqual([acceptBy[0], acceptBy[2]]);

      const sla = new SlaMonitor({ handler, clock: time.clock, dueDeadlines: (at) => due(at) });
      expect(await sla.tick()).toEqual(summary({ checked: 2, breached: 2 }));
      expect(await due(now)).toEqual([]);
      expect(await sla.tick()).toEqual(nothing);
    });
  },
);
