import fc from 'fast-check';
import { COMMANDS, DECIDERS } from '../../src/domain/catalog';
import type { DealState } from '../../src/domain/deal/decider';
import { LeadStage, SlaKind } from '../../src/domain/lead/events';
import type { LeadState } from '../../src/domain/lead/state';
import { validateEvent } from '../../src/domain/registry';
import type { HandledCommand } from '../../src/domain/shared/command-spec';
import { DomainRuleError, NotFoundError } from '../../src/domain/shared/errors';
import { addMinutes, isBefore } from '../../src/domain/shared/time';
import { CHANNELS, SEGMENTS, type Actor } from '../../src/domain/shared/values';
import { actors, fold, T0 } from './support';
import { asSql } from './lead-fixtures';

const ACTORS: Actor[] = [actors.marketing, actors.rep, actors.otherRep, actors.admin];

/** Everything a step may need; the command type decides which fields it uses. */
const step = (types: readonly string[]) =>
  fc.record({
    type: fc.constantFrom(...types),
    /** Mostly the actor the command is meant for, sometimes anyone. */
    who: fc.integer({ min: 0, max: 9 }),
    /** Business time moves on (sometimes back: imports, mistakes). */
    minutes: fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 180 }), weight: 6 },
      { arbitrary: fc.integer({ min: 0, max: 10 * 24 * 60 }), weight: 2 },
      { arbitrary: fc.integer({ min: -120, max: 0 }), weight: 1 },
    ),
    /** Sometimes the business time runs ahead of the server clock. */
    ahead: fc.constantFrom(0, 0, 0, 3, 10),
    id: fc.constantFrom('1', '2', '3'),
    rep: fc.constantFrom('rex', 'ora'),
    flag: fc.boolean(),
    n: fc.integer({ min: 0, max: 100 }),
  });
type Step = { type: string; who: number; id: string; rep: string; flag: boolean; n: number };

const pick = <T>(options: readonly T[], n: number): T => options[n % options.length]!;

const MARKETING_RUNS = new Set([
  'captureLead',
  'recordTouch',
  'scoreLead',
  'qualifyLead',
  'handOffLead',
  'recycleLead',
  'disqualifyLead',
]);

const actorFor = (s: Step, owner: string | null): Actor => {
  if (s.who >= 7) return pick(ACTORS, s.who);
  if (s.type === 'forgetLead' || s.type === 'recordSlaBreach') return actors.admin;
  if (MARKETING_RUNS.has(s.type) && !(s.who % 2 === 1 && owner)) return actors.marketing;
  return ACTORS.find((a) => a.id === owner) ?? actors.rep;
};

const leadInput = (s: Step, lead: LeadState, clock: string): Record<string, unknown> => {
  const current = lead.handoffs.at(-1);
  const handoffId = s.flag && current ? current.handoffId : `H-${s.id}`;
  switch (s.type) {
    case 'captureLead':
      return { email: 'a@b.co', segment: pick(SEGMENTS, s.n), channel: pick(CHANNELS, s.n) };
    case 'recordTouch':
      return {
        touchId: `T-${s.id}${s.n % 4}`,
        channel: pick(CHANNELS, s.n),
        kind: s.flag ? 'SALES' : 'MARKETING',
        createsLead: s.n % 5 === 0,
      };
    case 'scoreLead':
      return { fit: s.n, engagement: 100 - s.n };
    case 'handOffLead':
      return { handoffId: `H-${s.id}${s.n % 3}`, repId: s.rep, team: s.flag ? 'EMEA' : null };
    case 'acceptHandoff':
      return { handoffId: s.n % 3 === 0 ? `H-${s.id}` : null };
    case 'rejectHandoff':
      return { reason: pick(['NOT_ICP', 'BAD_DATA', 'OTHER'], s.n), note: s.flag ? 'why' : null };
    case 'logContactAttempt':
      return {
        channel: pick(['CALL', 'EMAIL'], s.n),
        outcome: pick(['NO_ANSWER', 'LEFT_MESSAGE', 'CONNECTED'], s.n),
      };
    case 'reassignLead':
      return { toRepId: s.rep };
    case 'recordSlaBreach': {
      const kind = pick(SlaKind.options, s.n);
      const h = lead.handoffs.find((x) => x.handoffId === handoffId);
      const due = !h
        ? clock
        : kind === 'ACCEPTANCE'
          ? h.acceptBy
          : kind === 'FIRST_CONTACT'
            ? h.firstContactBy
            : h.attemptsBy;
      return { handoffId, kind, deadline: due, detectedAt: clock };
    }
    case 'convertLead':
      return { dealId: `D-${s.id}` };
    default:
      return { reason: 'because' };
  }
};

/** Runs one command the way the handler does; a refusal by a rule is a valid outcome. */
const attempt = (
  type: string,
  input: Record<string, unknown>,
  meta: HandledCommand['meta'],
  state: unknown,
  context = {},
) => {
  const spec = COMMANDS[type]!;
  const data = spec.schema.parse(input);
  if (!spec.authorize(meta.actor, data)) return [];
  const command: HandledCommand = { type, data, meta, context };
  try {
    return DECIDERS[spec.aggregate].decide(command, state);
  } catch (error) {
    if (error instanceof DomainRuleError || error instanceof NotFoundError) return [];
    throw error;
  }
};

const LIFECYCLE = new Set([
  'LeadCaptured',
  'LeadMarketingQualified',
  'LeadHandedOff',
  'HandoffAccepted',
  'HandoffRejected',
  'LeadRecycled',
  'LeadSalesQualified',
  'LeadDisqualified',
  'LeadReassigned',
  'LeadConverted',
]);

const assertLeadInvariants = (s: LeadState) => {
  expect(LeadStage.options).toContain(s.stage);
  const open = s.handoffs.filter((h) => h.closedAt === null);
  expect(open.length).toBeLessThanOrEqual(1);
  if (open[0]) expect(open[0]).toBe(s.handoffs.at(-1));
  const worked = s.stage === 'HANDED_OFF' || s.stage === 'SAL' || s.stage === 'SQL';
  if (worked) {
    expect(open[0]?.repId).toBe(s.ownerRepId);
    expect(open[0]?.status).toBe(s.stage === 'HANDED_OFF' ? 'PENDING' : 'ACCEPTED');
  }
  if (s.stage === 'SQL') expect(open[0]?.qualifiedAt).not.toBeNull();
  if (['LEAD', 'MQL', 'RECYCLED', 'DISQUALIFIED'].includes(s.stage)) {
    expect(s.ownerRepId).toBeNull();
    expect(open).toHaveLength(0);
  }
  if (s.stage === 'OPPORTUNITY') expect(s.dealIds.length).toBeGreaterThan(0);
  expect(new Set(s.handoffs.map((h) => h.handoffId)).size).toBe(s.handoffs.length);
  expect(new Set(s.touchIds).size).toBe(s.touchIds.length);
  expect(new Set(s.dealIds).size).toBe(s.dealIds.length);
  for (const h of s.handoffs) {
    expect(new Set(h.breaches).size).toBe(h.breaches.length);
    expect(isBefore(h.acceptBy, h.handedOffAt)).toBe(false);
    expect(isBefore(h.firstContactBy, h.acceptBy)).toBe(false);
    if (h.status !== 'PENDING' && h.status !== 'REJECTED') expect(h.acceptedAt).not.toBeNull();
  }
  if (s.forgotten) expect([s.email, s.name, s.company]).toEqual([null, null, null]);
};

describe('any sequence of accepted lead commands folds to a valid lead', () => {
  // Forward moves are likelier and backward ones rarer, so sequences reach deals and breaches.
  const forward = [
    'qualifyLead',
    'handOffLead',
    'acceptHandoff',
    'logContactAttempt',
    'qualifyForSales',
    'convertLead',
  ];
  const backward = ['recycleLead', 'disqualifyLead', 'rejectHandoff'];
  const others = Object.keys(COMMANDS).filter(
    (t) =>
      COMMANDS[t]!.aggregate === 'lead' && ![...forward, ...backward, 'forgetLead'].includes(t),
  );
  const steps = fc.array(
    fc.oneof(
      { arbitrary: step(forward), weight: 120 },
      { arbitrary: step(others), weight: 80 },
      { arbitrary: step(backward), weight: 15 },
      { arbitrary: step(['forgetLead']), weight: 1 },
    ),
    { maxLength: 80, size: 'max' },
  );

  it('keeps its invariants, validates every event and never mutates a state', () => {
    fc.assert(
      fc.property(step(['captureLead']), steps, (first, sequence) => {
        let clock = T0;
        let state = fold('lead', []) as LeadState;
        let lastLifecycle: string | null = null;
        for (const s of [{ ...first, ahead: 0 }, ...sequence]) {
          clock = addMinutes(clock, s.minutes);
          const actor = actorFor(s, state.ownerRepId);
          const meta = { actor, occurredAt: clock, now: addMinutes(clock, -s.ahead) };
          const input = { leadId: 'L-1', ...leadInput(s, state, clock) };
          const events = attempt(s.type, input, meta, state, {
            agreement: fold('slaAgreement', []),
          });
          for (const e of events) {
            expect(validateEvent(e.type, e.data)).toEqual(e.data);
            expect(state.forgotten).toBe(false);
            if (e.type === 'ContactAttemptLogged') {
              const h = state.handoffs.find(
                (x) => x.handoffId === (e.data as { handoffId: string }).handoffId,
              );
              expect((e.data as { attemptNo: number }).attemptNo).toBe(
                (h?.attempts.length ?? 0) + 1,
              );
            }
            if (LIFECYCLE.has(e.type)) {
              if (lastLifecycle !== null) expect(isBefore(e.occurredAt, lastLifecycle)).toBe(false);
              lastLifecycle = e.occurredAt;
            }
          }
          state = fold('lead', events, state) as LeadState;
          assertLeadInvariants(state);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('any sequence of accepted deal commands folds to a valid deal', () => {
  const types = ['changeDealStage', 'changeDealAmount', 'winDeal', 'loseDeal', 'reopenDeal'];

  it('closes only open deals, keeps its currency and a positive amount', () => {
    fc.assert(
      fc.property(fc.array(step(types), { maxLength: 40, size: 'max' }), (sequence) => {
        let clock = addMinutes(T0, 60);
        const context = { 'lead:L-1': fold('lead', asSql) };
        const openDeal = {
          dealId: 'D-1',
          leadIds: ['L-1'],
          account: 'Acme',
          amount: 1000,
          currency: 'EUR',
          ownerRepId: 'rex',
        };
        const meta0 = { actor: actors.rep, occurredAt: clock, now: clock };
        const opened = attempt('openDeal', openDeal, meta0, fold('deal', []), context);
        expect(opened).toHaveLength(1);
        let deal = fold('deal', opened) as DealState;
        for (const s of sequence) {
          clock = addMinutes(clock, s.minutes);
          const actor = s.who < 7 ? actors.rep : pick(ACTORS, s.who);
          const meta = { actor, occurredAt: clock, now: addMinutes(clock, -s.ahead) };
          const input = {
            dealId: 'D-1',
            stage: pick(['DISCOVERY', 'PROPOSAL', 'NEGOTIATION'], s.n),
            amount: s.flag ? 500 + s.n : null,
            currency: s.n % 7 === 0 ? 'USD' : null,
            reason: pick(['PRICE', 'COMPETITOR', 'TIMING'], s.n),
            competitor: s.flag ? 'Rival' : null,
          };
          if (s.type === 'changeDealAmount' && input.amount === null) input.amount = 1000;
          const before = deal;
          const events = attempt(s.type, input, meta, before);
          for (const e of events) {
            validateEvent(e.type, e.data);
            if (e.type === 'DealWon' || e.type === 'DealLost') expect(before.status).toBe('OPEN');
            if (e.type === 'DealReopened') expect(before.status).not.toBe('OPEN');
          }
          deal = fold('deal', events, deal) as DealState;
          expect(deal.currency).toBe('EUR');
          expect(deal.amount).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
