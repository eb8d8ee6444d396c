import fc from 'fast-check';
import { COMMANDS, DECIDERS } from '../../src/domain/catalog';
import type { LeadEvent, SlaKind } from '../../src/domain/lead/events';
import type { Handoff, LeadState } from '../../src/domain/lead/state';
import type { DomainEvent } from '../../src/domain/shared/decider';
import { DomainRuleError, NotFoundError } from '../../src/domain/shared/errors';
import { addMinutes, isBefore } from '../../src/domain/shared/time';
import type { ProjectionEvent } from '../../src/projections/projection';
import {
  deadlineId,
  SLA_DEADLINE_LEADS,
  SLA_DEADLINES,
  slaDeadlinesProjection,
  type SlaDeadlineDoc,
} from '../../src/projections/sla-deadlines/projection';
import { actors, at, event, fold, T0 } from '../domain/support';
import {
  accepted,
  asHandedOff,
  asSal,
  attempted,
  disqualified,
  handedOff,
  HANDOFF_ID,
  LEAD_ID,
  reassigned,
  recycled,
  rejected,
  salesQualified,
} from '../domain/lead-fixtures';
import { InMemoryProjection } from '../support/in-memory-projection';

const KINDS: SlaKind[] = ['ACCEPTANCE', 'FIRST_CONTACT', 'ATTEMPTS'];

const asProjected = (events: DomainEvent[]): ProjectionEvent[] =>
  events.map((e, i) => ({
    ...e,
    streamId: `lead-${LEAD_ID}`,
    revision: i,
    position: String(i + 1).padStart(16, '0'),
    recordedAt: e.occurredAt,
    actorId: actors.admin.id,
  }));

const project = (...events: DomainEvent[]) =>
  new InMemoryProjection(slaDeadlinesProjection).apply(asProjected(events));

const statuses = (events: DomainEvent[], handoffId = HANDOFF_ID) => {
  const docs = project(...events);
  return Object.fromEntries(
    KINDS.map((kind) => [
      kind,
      (docs.get(SLA_DEADLINES, deadlineId(LEAD_ID, handoffId, kind)) as SlaDeadlineDoc).status,
    ]),
  );
};

const breached = (kind: SlaKind, minutes: number) =>
  event(
    'SlaBreached',
    {
      leadId: LEAD_ID,
      handoffId: HANDOFF_ID,
      kind,
      deadline: deadlineOf(fold('lead', asHandedOff) as LeadState, kind),
      detectedAt: at(minutes),
      ownerRepId: 'rex',
      team: 'EMEA',
    },
    at(minutes),
  );

const deadlineOf = (s: LeadState, kind: SlaKind, h: Handoff = s.handoffs.at(-1)!): string =>
  kind === 'ACCEPTANCE' ? h.acceptBy : kind === 'FIRST_CONTACT' ? h.firstContactBy : h.attemptsBy;

describe('sla-deadlines projection', () => {
  it('opens acceptance on the handoff and holds the contact deadlines until it is accepted', () => {
    expect(statuses(asHandedOff)).toEqual({
      ACCEPTANCE: 'OPEN',
      FIRST_CONTACT: 'WAITING',
      ATTEMPTS: 'WAITING',
    });
    const docs = project(...asHandedOff);
    expect(docs.get(SLA_DEADLINES, deadlineId(LEAD_ID, HANDOFF_ID, 'ACCEPTANCE'))).toMatchObject({
      leadId: LEAD_ID,
      handoffId: HANDOFF_ID,
      kind: 'ACCEPTANCE',
      deadline: at(80),
      settledBy: null,
    });
    expect(statuses(asSal)).toEqual({
      ACCEPTANCE: 'CLOSED',
      FIRST_CONTACT: 'OPEN',
      ATTEMPTS: 'OPEN',
    });
  });

  it('lets a late acceptance settle the acceptance deadline, as the decider does', () => {
    expect(statuses([...asHandedOff, accepted(200)]).ACCEPTANCE).toBe('CLOSED');
  });

  it('closes every deadline of a rejected handoff', () => {
    expect(statuses([...asHandedOff, rejected(30)])).toEqual({
      ACCEPTANCE: 'CLOSED',
      FIRST_CONTACT: 'CLOSED',
      ATTEMPTS: 'CLOSED',
    });
  });

  it('counts only contact made by the deadline', () => {
    expect(statuses([...asSal, attempted(1, 300)]).FIRST_CONTACT).toBe('OPEN');
    expect(statuses([...asSal, attempted(1, 200)]).FIRST_CONTACT).toBe('CLOSED');
    expect(statuses([...asSal, attempted(1, 40), attempted(2, 50)]).ATTEMPTS).toBe('OPEN');
    expect(statuses([...asSal, attempted(1, 40), attempted(2, 50, 'CONNECTED')]).ATTEMPTS).toBe(
      'CLOSED',
    );
    expect(statuses([...asSal, salesQualified(60)])).toMatchObject({
      FIRST_CONTACT: 'CLOSED',
      ATTEMPTS: 'CLOSED',
    });
  });

  it('keeps a deadline that passed before the lead was dropped, closes the others', () => {
    expect(statuses([...asSal, recycled(100, 'SAL', 'rex')])).toMatchObject({
      FIRST_CONTACT: 'CLOSED',
      ATTEMPTS: 'CLOSED',
    });
    expect(statuses([...asSal, disqualified(300, 'SAL', 'rex')])).toMatchObject({
      FIRST_CONTACT: 'OPEN',
      ATTEMPTS: 'CLOSED',
    });
  });

  it('closes a deadline once its breach is recorded, and keeps deadlines on reassignment', () => {
    const docs = project(...asHandedOff, reassigned(30), breached('ACCEPTANCE', 81));
    expect(docs.get(SLA_DEADLINES, deadlineId(LEAD_ID, HANDOFF_ID, 'ACCEPTANCE'))).toMatchObject({
      status: 'CLOSED',
      settledBy: 'SlaBreached',
      settledAt: at(81),
      deadline: at(80),
    });
  });

  it('keeps an older handoff breachable after the lead is handed off again', () => {
    const events = [
      ...asSal,
      disqualified(300, 'SAL', 'rex'),
      recycled(310, 'DISQUALIFIED'),
      event(
        'LeadMarketingQualified',
        { leadId: LEAD_ID, reason: null, requalified: true },
        at(320),
      ),
      handedOff(330, {}, 'H-2'),
    ];
    expect(statuses(events).FIRST_CONTACT).toBe('OPEN');
    expect(statuses(events, 'H-2').ACCEPTANCE).toBe('OPEN');
  });

  it('needs no attempts deadline when the terms require none', () => {
    expect(statuses([...asHandedOff.slice(0, -1), handedOff(20, { minAttempts: 0 })])).toEqual({
      ACCEPTANCE: 'OPEN',
      FIRST_CONTACT: 'WAITING',
      ATTEMPTS: 'CLOSED',
    });
  });
});

/** Agreements with short deadlines, so generated histories reach and pass them. */
const agreement = (agreementId: string, minAttempts: number) =>
  fold('slaAgreement', [
    event(
      'SlaAgreementDefined',
      {
        agreementId,
        version: 1,
        segment: null,
        acceptWithinMinutes: 30,
        firstContactWithinMinutes: 90,
        minAttempts,
        attemptWindowDays: 1,
        monthlyMqlCommitment: null,
        mqlToSqlBenchmark: null,
      },
      addMinutes(T0, -60),
    ),
  ]);
const AGREEMENTS = [null, 'none-needed', 'one-attempt'] as const;
const AGREEMENT_STATES = {
  'none-needed': agreement('none-needed', 0),
  'one-attempt': agreement('one-attempt', 1),
};

const TYPES = [
  'qualifyLead',
  'handOffLead',
  'acceptHandoff',
  'rejectHandoff',
  'logContactAttempt',
  'qualifyForSales',
  'recycleLead',
  'disqualifyLead',
  'reassignLead',
  'recordSlaBreach',
  'convertLead',
] as const;

/** Moves a sales org would likely make next, so histories reach every deadline rule. */
const LIKELY: Record<LeadState['stage'], readonly string[]> = {
  LEAD: ['qualifyLead'],
  RECYCLED: ['qualifyLead'],
  MQL: ['handOffLead'],
  HANDED_OFF: [
    'acceptHandoff',
    'acceptHandoff',
    'rejectHandoff',
    'reassignLead',
    'recordSlaBreach',
  ],
  SAL: [
    'logContactAttempt',
    'logContactAttempt',
    'logContactAttempt',
    'logContactAttempt',
    'qualifyForSales',
    'reassignLead',
    'recordSlaBreach',
    'recycleLead',
    'disqualifyLead',
  ],
  SQL: ['convertLead', 'logContactAttempt', 'recordSlaBreach', 'recycleLead', 'disqualifyLead'],
  OPPORTUNITY: ['recordSlaBreach', 'convertLead'],
  DISQUALIFIED: ['recycleLead', 'recordSlaBreach'],
};

const step = fc.record({
  /** Mostly a likely move, sometimes any command, rarely an erasure. */
  choice: fc.oneof(
    { arbitrary: fc.constant('likely'), weight: 85 },
    { arbitrary: fc.constantFrom(...TYPES), weight: 14 },
    { arbitrary: fc.constant('forgetLead'), weight: 1 },
  ),
  minutes: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 60 }), weight: 6 },
    { arbitrary: fc.integer({ min: 0, max: 600 }), weight: 2 },
    { arbitrary: fc.integer({ min: 0, max: 3 * 24 * 60 }), weight: 1 },
  ),
  n: fc.nat(1000),
});

const inputFor = (s: { type: string; n: number }, lead: LeadState, clock: string, i: number) => {
  const pick = <T>(options: readonly T[]): T => options[Math.floor(s.n / 7) % options.length]!;
  switch (s.type) {
    case 'handOffLead':
      return {
        handoffId: `H-${i}`,
        repId: pick(['rex', 'ora']),
        team: 'EMEA',
        agreementId: pick(AGREEMENTS),
      };
    case 'rejectHandoff':
      return { reason: 'NOT_READY' };
    case 'logContactAttempt':
      return {
        channel: 'CALL',
        outcome: pick(['NO_ANSWER', 'LEFT_MESSAGE', 'NO_ANSWER', 'CONNECTED']),
      };
    case 'reassignLead':
      return { toRepId: pick(['rex', 'ora', 'ivy']) };
    case 'recordSlaBreach': {
      const h = pick(lead.handoffs.length > 0 ? lead.handoffs : [undefined]);
      const kind = pick(KINDS);
      return {
        handoffId: h?.handoffId ?? 'H-none',
        kind,
        deadline: h ? deadlineOf(lead, kind, h) : clock,
        detectedAt: clock,
      };
    }
    case 'convertLead':
      return { dealId: `D-${i}` };
    default:
      return { reason: 'because' };
  }
};

const decide = (type: string, input: Record<string, unknown>, lead: LeadState, when: string) => {
  const data = COMMANDS[type]!.schema.parse({ leadId: LEAD_ID, ...input }) as {
    agreementId?: string | null;
  };
  const agreementId = type === 'handOffLead' ? data.agreementId : null;
  const context = agreementId ? { agreement: AGREEMENT_STATES[agreementId as 'one-attempt'] } : {};
  const meta = { actor: actors.admin, occurredAt: when, now: when };
  return DECIDERS.lead.decide({ type, data, meta, context }, lead) as LeadEvent[];
};

const refusal = (run: () => unknown): string | null => {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof DomainRuleError) return error.rule;
    if (error instanceof NotFoundError) return 'NOT_FOUND';
    throw error;
  }
};

describe('sla-deadlines projection agrees with the lead decider', () => {
  it('is OPEN exactly when recordSlaBreach would be accepted once the deadline has passed', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: 'max' }), (steps) => {
        let clock = T0;
        let lead = DECIDERS.lead.initialState() as LeadState;
        const history: DomainEvent[] = [];
        const record = (events: LeadEvent[]) => {
          for (const e of events) lead = DECIDERS.lead.evolve(lead, e) as LeadState;
          history.push(...events);
        };
        record(
          decide('captureLead', { email: 'a@b.co', segment: 'SMB', channel: 'EMAIL' }, lead, clock),
        );
        for (const [i, s] of steps.entries()) {
          clock = addMinutes(clock, s.minutes);
          const likely = LIKELY[lead.stage];
          const type = s.choice === 'likely' ? likely[s.n % likely.length]! : s.choice;
          const input = inputFor({ type, n: s.n }, lead, clock, i);
          let events: LeadEvent[] = [];
          if (refusal(() => (events = decide(type, input, lead, clock))) === null) record(events);
        }

        const docs = project(...history);
        const unsettled = new Set<string>();
        for (const h of lead.handoffs) {
          for (const kind of KINDS) {
            const doc = docs.get(
              SLA_DEADLINES,
              deadlineId(LEAD_ID, h.handoffId, kind),
            ) as SlaDeadlineDoc;
            const deadline = deadlineOf(lead, kind, h);
            expect(doc).toMatchObject({ leadId: LEAD_ID, handoffId: h.handoffId, kind, deadline });
            const when = isBefore(clock, deadline) ? deadline : clock;
            const input = { handoffId: h.handoffId, kind, deadline, detectedAt: when };
            const rule = refusal(() => decide('recordSlaBreach', input, lead, when));
            if (rule === null) expect(doc.status).toBe('OPEN');
            else expect({ rule, status: doc.status }).not.toEqual({ rule, status: 'OPEN' });
            if (doc.status === 'WAITING') expect(rule).toBe('HANDOFF_NOT_ACCEPTED');
            if (doc.status !== 'CLOSED') unsettled.add(doc._id);
          }
        }
        const tracker = docs.get(SLA_DEADLINE_LEADS, LEAD_ID);
        const tracked = (
          (tracker?.unsettled ?? []) as Array<{ handoffId: string; kind: SlaKind }>
        ).map((u) => deadlineId(LEAD_ID, u.handoffId, u.kind));
        expect(new Set(tracked)).toEqual(unsettled);
      }),
      { numRuns: 300 },
    );
  });
});
