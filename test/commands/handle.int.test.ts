import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandHandler, type CommandContext } from '../../src/commands/handle';
import { ForbiddenError } from '../../src/commands/errors';
import { DomainRuleError, NotFoundError, ValidationError } from '../../src/domain/shared/errors';
import type { Actor } from '../../src/domain/shared/values';
import { createEsdbEventStore } from '../../src/eventstore/esdb';
import { ConcurrencyError, type EventStore } from '../../src/eventstore/port';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import legacyLeadCaptured from '../fixtures/events/lead-captured.v1.json';
import { recordRan, recordSkip } from '../support/skips';

const admin: Actor = { id: 'admin-1', roles: ['ADMIN'] };
const marketer: Actor = { id: 'mkt-1', roles: ['MARKETING'] };
const rep: Actor = { id: 'rep-1', roles: ['SALES'] };
const analyst: Actor = { id: 'ana-1', roles: ['ANALYST'] };
const NOW = '2026-06-01T12:00:00.000Z';

interface StoreUnderTest {
  store: EventStore;
  cleanup: () => Promise<void>;
}

const stores: Array<[string, () => StoreUnderTest]> = [
  [
    'SQLite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'leadledger-cmd-'));
      const store = new SqliteEventStore(join(dir, 'events.db'));
      return {
        store,
        cleanup: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];
const esdbUrl = process.env.EVENTSTORE_URL;
if (esdbUrl) {
  stores.push([
    'EventStoreDB',
    () => {
      recordRan('CommandHandler on EventStoreDB');
      const store = createEsdbEventStore(esdbUrl);
      return { store, cleanup: () => store.close() };
    },
  ]);
} else {
  recordSkip('CommandHandler on EventStoreDB', 'EVENTSTORE_URL is unset');
  it.skip('CommandHandler on EventStoreDB (set EVENTSTORE_URL to run it)', () => undefined);
}

describe.each(stores)('CommandHandler on %s', (_name, makeStore) => {
  let store: EventStore;
  let cleanup: () => Promise<void>;
  let handler: CommandHandler;
  let run: string;
  const id = (name: string) => `${name}-${run}`;

  beforeEach(() => {
    ({ store, cleanup } = makeStore());
    handler = new CommandHandler(store, { clock: () => new Date(NOW) });
    run = Math.random().toString(36).slice(2, 10);
  });
  afterEach(() => cleanup());

  const as = (actor: Actor, extra: Partial<CommandContext> = {}): CommandContext => ({
    actor,
    ...extra,
  });
  const capture = (leadId: string, extra: Record<string, unknown> = {}) =>
    handler.handle(
      'captureLead',
      { leadId, email: 'ada@example.com', segment: 'ENTERPRISE', channel: 'WEBINAR', ...extra },
      as(marketer, { occurredAt: '2026-05-01T09:00:00Z' }),
    );
  /** Runs `action` and checks the store's global head did not move. */
  const writesNothing = async (action: () => Promise<unknown>) => {
    const before = await store.headPosition();
    const failure = await action().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(await store.headPosition()).toBe(before);
    return failure;
  };

  it('captures a lead and records actor, correlation and causation ids', async () => {
    const leadId = id('lead');
    const result = await handler.handle(
      'captureLead',
      { leadId, email: 'Ada@Example.com', name: 'Ada', segment: 'SMB', channel: 'EMAIL' },
      as(marketer, { correlationId: 'corr-1', occurredAt: '2026-05-01T09:00:00+02:00' }),
    );
    expect(result).toMatchObject({ streamId: `lead-${leadId}`, version: 0, deduplicated: false });
    const [event, ...rest] = await store.readStream(`lead-${leadId}`);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      type: 'LeadCaptured',
      schemaVersion: 2,
      position: result.position,
      occurredAt: '2026-05-01T07:00:00.000Z',
      data: { leadId, segment: 'SMB', channel: 'EMAIL' },
      metadata: { actor: marketer, correlationId: 'corr-1', causationId: 'corr-1' },
    });
  });

  it('lists every invalid field and writes nothing', async () => {
    const error = await writesNothing(() =>
      handler.handle(
        'captureLead',
        { leadId: id('lead'), email: 'not-an-email', segment: 'HUGE' },
        as(marketer, { occurredAt: 'yesterday', expectedVersion: 1.5 }),
      ),
    );
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).fields.map((f) => f.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['occurredAt', 'expectedVersion']));
    const data = await writesNothing(() =>
      handler.handle(
        'captureLead',
        { leadId: id('lead'), email: 'not-an-email', segment: 'HUGE' },
        as(marketer),
      ),
    );
    expect((data as ValidationError).fields.map((f) => f.path).sort()).toEqual([
      'channel',
      'email',
      'segment',
    ]);
  });

  it('refuses a broken rule with its code and writes nothing', async () => {
    const leadId = id('lead');
    await capture(leadId);
    const error = await writesNothing(() => capture(leadId));
    expect(error).toBeInstanceOf(DomainRuleError);
    expect(error).toMatchObject({ rule: 'LEAD_ALREADY_EXISTS' });
    const handoff = await writesNothing(() =>
      handler.handle('handOffLead', { leadId, repId: rep.id }, as(marketer)),
    );
    expect(handoff).toMatchObject({ rule: 'LEAD_NOT_MQL' });
  });

  it('reports a command on a lead that does not exist as not found', async () => {
    const error = await writesNothing(() =>
      handler.handle('qualifyLead', { leadId: id('ghost') }, as(marketer)),
    );
    expect(error).toBeInstanceOf(NotFoundError);
  });

  it('resolves a retried captureLead without a leadId to the same lead', async () => {
    const input = { email: 'bo@example.com', segment: 'SMB', channel: 'DIRECT' };
    const key = id('capture');
    const first = await handler.handle('captureLead', input, as(marketer, { idempotencyKey: key }));
    const head = await store.headPosition();
    // A fresh handler: nothing cached in memory, as after a restart.
    const retry = await new CommandHandler(store, { clock: () => new Date(NOW) }).handle(
      'captureLead',
      input,
      as(marketer, { idempotencyKey: key }),
    );
    expect(retry).toEqual({ ...first, deduplicated: true });
    expect(await store.headPosition()).toBe(head);
    expect(await store.readStream(first.streamId)).toHaveLength(1);
    const leadId = (first.events[0]!.data as { leadId: string }).leadId;
    expect(first.streamId).toBe(`lead-${leadId}`);
  });

  it('does not read the stream of a lead whose id it minted, and reads one the caller names', async () => {
    const reads: string[] = [];
    // The real store, its stream reads noted.
    const noted = new Proxy(store, {
      get: (target, property: keyof EventStore) =>
        property === 'readStream'
          ? (streamId: string, options?: Parameters<EventStore['readStream']>[1]) => {
              reads.push(streamId);
              return target.readStream(streamId, options);
            }
          : (target[property] as (...args: unknown[]) => unknown).bind(target),
    });
    const noting = new CommandHandler(noted, { clock: () => new Date(NOW) });
    const input = { email: 'di@example.com', segment: 'SMB', channel: 'DIRECT' };

    const minted = await noting.handle('captureLead', input, as(marketer));
    expect(reads).not.toContain(minted.streamId);
    expect(await store.readStream(minted.streamId)).toHaveLength(1);
    const leadId = (minted.events[0]!.data as { leadId: string }).leadId;
    // The lead is there for the commands that follow (a fresh handler: nothing cached).
    const scored = await new CommandHandler(noted, { clock: () => new Date(NOW) }).handle(
      'scoreLead',
      { leadId, fit: 50, engagement: 40 },
      as(marketer),
    );
    expect(scored).toMatchObject({ streamId: minted.streamId, version: 1 });
    expect(reads).toContain(minted.streamId);

    const named = id('lead');
    await noting.handle('captureLead', { ...input, leadId: named }, as(marketer));
    expect(reads).toContain(`lead-${named}`);
    const again = await writesNothing(() =>
      noting.handle('captureLead', { ...input, leadId: named }, as(marketer)),
    );
    expect(again).toMatchObject({ rule: 'LEAD_ALREADY_EXISTS' });
  });

  it('scopes idempotency keys per actor', async () => {
    const input = { email: 'cy@example.com', segment: 'SMB', channel: 'DIRECT' };
    const key = id('same-key');
    const one = await handler.handle('captureLead', input, as(marketer, { idempotencyKey: key }));
    const two = await handler.handle('captureLead', input, as(admin, { idempotencyKey: key }));
    expect(two.streamId).not.toBe(one.streamId);
    expect(two.deduplicated).toBe(false);
  });

  it('reports a stale expectedVersion as a conflict and writes nothing', async () => {
    const leadId = id('lead');
    await capture(leadId);
    await handler.handle('scoreLead', { leadId, fit: 80, engagement: 60 }, as(marketer));
    const error = await writesNothing(() =>
      handler.handle('qualifyLead', { leadId }, as(marketer, { expectedVersion: 0 })),
    );
    expect(error).toBeInstanceOf(ConcurrencyError);
    const ok = await handler.handle(
      'qualifyLead',
      { leadId },
      as(marketer, { expectedVersion: 1 }),
    );
    expect(ok.version).toBe(2);
  });

  it('re-decides a retryable command after a concurrent write', async () => {
    const leadId = id('lead');
    await capture(leadId);
    const other = new CommandHandler(store, { clock: () => new Date(NOW) });
    const touches = await Promise.all(
      ['EMAIL', 'PAID_SEARCH', 'WEBINAR', 'CHAT'].map((channel, i) =>
        (i % 2 ? other : handler).handle('recordTouch', { leadId, channel }, as(marketer)),
      ),
    );
    expect(touches.map((t) => t.version).sort()).toEqual([1, 2, 3, 4]);
    expect(await store.readStream(`lead-${leadId}`)).toHaveLength(5);
  });

  it('refuses a role without the right and writes nothing', async () => {
    const error = await writesNothing(() =>
      handler.handle(
        'captureLead',
        { leadId: id('lead'), email: 'a@b.co', segment: 'SMB', channel: 'EMAIL' },
        as(analyst),
      ),
    );
    expect(error).toBeInstanceOf(ForbiddenError);
  });

  it('refuses business time more than five minutes ahead of the clock', async () => {
    const error = await writesNothing(() =>
      handler.handle(
        'captureLead',
        { leadId: id('lead'), email: 'a@b.co', segment: 'SMB', channel: 'EMAIL' },
        as(marketer, { occurredAt: '2026-06-01T12:06:00Z' }),
      ),
    );
    expect(error).toMatchObject({ rule: 'OCCURRED_IN_FUTURE' });
  });

  it('writes handoff deadlines from the agreement version in force for the segment', async () => {
    const agreementId = id('sla');
    const define = (extra: Record<string, unknown>, occurredAt: string) =>
      handler.handle(
        'defineSlaAgreement',
        {
          agreementId,
          acceptWithinMinutes: 60,
          firstContactWithinMinutes: 240,
          minAttempts: 3,
          attemptWindowDays: 7,
          ...extra,
        },
        as(admin, { occurredAt }),
      );
    await define({}, '2026-01-01T00:00:00Z');
    await define({ segment: 'ENTERPRISE', acceptWithinMinutes: 30 }, '2026-02-01T00:00:00Z');
    // A revision that takes effect after the handoff must not apply to it.
    await define({ segment: 'ENTERPRISE', acceptWithinMinutes: 5 }, '2026-05-20T00:00:00Z');
    const leadId = id('lead');
    await capture(leadId);
    await handler.handle(
      'qualifyLead',
      { leadId },
      as(marketer, { occurredAt: '2026-05-05T00:00:00Z' }),
    );
    const result = await handler.handle(
      'handOffLead',
      { leadId, repId: rep.id, team: 'EMEA', agreementId },
      as(marketer, { occurredAt: '2026-05-10T10:00:00Z' }),
    );
    const handedOff = result.events.find((e) => e.type === 'LeadHandedOff');
    expect(handedOff?.data).toMatchObject({
      agreementId,
      agreementVersion: 2,
      acceptBy: '2026-05-10T10:30:00.000Z',
      firstContactBy: '2026-05-10T14:00:00.000Z',
    });
  });

  it('takes a lead from capture to a deal and converts the lead as a follow-up', async () => {
    const leadId = id('lead');
    await capture(leadId);
    await handler.handle('qualifyLead', { leadId }, as(marketer));
    const handoff = await handler.handle('handOffLead', { leadId, repId: rep.id }, as(marketer));
    const { handoffId } = handoff.events[0]!.data as { handoffId: string };
    await handler.handle('acceptHandoff', { leadId, handoffId }, as(rep));
    await handler.handle(
      'logContactAttempt',
      { leadId, channel: 'CALL', outcome: 'CONNECTED' },
      as(rep),
    );
    await handler.handle(
      'qualifyForSales',
      { leadId, budget: '50k approved', need: 'replace spreadsheets' },
      as(rep),
    );
    const deal = await handler.handle(
      'openDeal',
      { leadIds: [leadId], account: 'Acme', amount: 12000, currency: 'EUR', ownerRepId: rep.id },
      as(rep),
    );
    const lead = await store.readStream(`lead-${leadId}`);
    expect(lead.map((e) => e.type)).toEqual([
      'LeadCaptured',
      'LeadMarketingQualified',
      'LeadHandedOff',
      'HandoffAccepted',
      'ContactAttemptLogged',
      'LeadSalesQualified',
      'LeadConverted',
    ]);
    const { dealId } = deal.events[0]!.data as { dealId: string };
    expect(lead[6]!.data).toMatchObject({ leadId, dealId });
    expect(lead[6]!.metadata.causationId).toBe(deal.position);
    await handler.handle('winDeal', { dealId }, as(rep));
    const won = await store.readStream(`deal-${dealId}`);
    expect(won.map((e) => e.type)).toEqual(['DealOpened', 'DealWon']);
    expect(won[1]!.data).toMatchObject({ amount: 12000 });
    expect((await store.verify(`lead-${leadId}`)).ok).toBe(true);
  });

  it('folds a stored old-version event through its upcaster', async () => {
    const leadId = id('legacy');
    const { data, metadata, occurredAt, type, schemaVersion } = legacyLeadCaptured;
    // Written as an older release wrote it: LeadCaptured v1, company size and no segment.
    await store.append(
      `lead-${leadId}`,
      [{ type, schemaVersion, occurredAt, data: { ...data, leadId }, metadata }],
      { expectedRevision: 'NO_STREAM' },
    );
    const agreementId = id('sla');
    await handler.handle(
      'defineSlaAgreement',
      {
        agreementId,
        segment: 'MID_MARKET',
        acceptWithinMinutes: 45,
        firstContactWithinMinutes: 120,
        minAttempts: 2,
        attemptWindowDays: 3,
      },
      as(admin, { occurredAt: '2025-01-01T00:00:00Z' }),
    );
    await handler.handle('qualifyLead', { leadId }, as(marketer));
    const result = await handler.handle(
      'handOffLead',
      { leadId, repId: rep.id, agreementId },
      as(marketer),
    );
    // 450 employees upcasts to MID_MARKET, whose terms set the deadline.
    expect(result.events[0]!.data).toMatchObject({ acceptBy: '2026-06-01T12:45:00.000Z' });
  });
});
