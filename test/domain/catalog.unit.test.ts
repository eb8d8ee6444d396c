import { COMMANDS, DECIDERS, followUps } from '../../src/domain/catalog';
import type { Actor, Role } from '../../src/domain/shared/values';
import { command, given } from './support';

/** A valid input for every command, to exercise what does not depend on the state. */
const SAMPLE: Record<string, Record<string, unknown>> = {
  captureLead: { leadId: 'L-1', email: 'a@b.co', segment: 'SMB', channel: 'EMAIL' },
  recordTouch: { leadId: 'L-1', touchId: 'T-1', channel: 'EMAIL' },
  scoreLead: { leadId: 'L-1', fit: 1, engagement: 2 },
  qualifyLead: { leadId: 'L-1' },
  handOffLead: { leadId: 'L-1', handoffId: 'H-1', repId: 'rex' },
  acceptHandoff: { leadId: 'L-1' },
  rejectHandoff: { leadId: 'L-1', reason: 'NOT_ICP' },
  recycleLead: { leadId: 'L-1', reason: 'later' },
  logContactAttempt: { leadId: 'L-1', channel: 'CALL', outcome: 'CONNECTED' },
  qualifyForSales: { leadId: 'L-1' },
  disqualifyLead: { leadId: 'L-1', reason: 'student' },
  reassignLead: { leadId: 'L-1', toRepId: 'ora' },
  recordSlaBreach: {
    leadId: 'L-1',
    handoffId: 'H-1',
    kind: 'ACCEPTANCE',
    deadline: '2026-07-01T10:00:00Z',
    detectedAt: '2026-07-01T10:00:01Z',
  },
  convertLead: { leadId: 'L-1', dealId: 'D-1' },
  forgetLead: { leadId: 'L-1', reason: 'GDPR' },
  openDeal: {
    dealId: 'D-1',
    leadIds: ['L-1'],
    account: 'Acme',
    amount: 10,
    currency: 'USD',
    ownerRepId: 'rex',
  },
  changeDealStage: { dealId: 'D-1', stage: 'PROPOSAL' },
  changeDealAmount: { dealId: 'D-1', amount: 12 },
  winDeal: { dealId: 'D-1' },
  loseDeal: { dealId: 'D-1', reason: 'PRICE' },
  reopenDeal: { dealId: 'D-1' },
  defineSlaAgreement: {
    agreementId: 'default',
    acceptWithinMinutes: 60,
    firstContactWithinMinutes: 240,
    minAttempts: 3,
    attemptWindowDays: 7,
  },
  registerCampaign: { campaignId: 'C-1', name: 'Webinar', channel: 'WEBINAR' },
  recordCampaignCost: {
    campaignId: 'C-1',
    amount: 10,
    currency: 'USD',
    periodStart: '2026-07-01',
    periodEnd: '2026-07-31',
  },
  setGoals: { period: '2026-Q3', revenue: 100 },
};

/** Stream prefix and id field of each aggregate (DESIGN.md's stream names). */
const STREAM_OF = {
  lead: ['lead-', 'leadId'],
  deal: ['deal-', 'dealId'],
  slaAgreement: ['sla-', 'agreementId'],
  campaign: ['campaign-', 'campaignId'],
  goals: ['goal-', 'period'],
} as const;

/** API.md's role table (SALES records touches of kind SALES only; see below). */
const MAY_RUN: Record<Role, string[]> = {
  MARKETING: [
    'captureLead',
    'recordTouch',
    'scoreLead',
    'qualifyLead',
    'handOffLead',
    'recycleLead',
    'disqualifyLead',
    'registerCampaign',
    'recordCampaignCost',
  ],
  SALES: [
    'acceptHandoff',
    'rejectHandoff',
    'logContactAttempt',
    'qualifyForSales',
    'recycleLead',
    'disqualifyLead',
    'reassignLead',
    'openDeal',
    'winDeal',
    'loseDeal',
    'reopenDeal',
    'changeDealStage',
    'changeDealAmount',
    'convertLead',
  ],
  ANALYST: [],
  AUDITOR: [],
  ADMIN: Object.keys(SAMPLE),
};

const API_MUTATIONS = [
  'captureLead',
  'recordTouch',
  'scoreLead',
  'qualifyLead',
  'handOffLead',
  'acceptHandoff',
  'rejectHandoff',
  'recycleLead',
  'logContactAttempt',
  'qualifyForSales',
  'disqualifyLead',
  'reassignLead',
  'openDeal',
  'winDeal',
  'loseDeal',
  'reopenDeal',
  'defineSlaAgreement',
  'registerCampaign',
  'recordCampaignCost',
  'setGoals',
  'forgetLead',
];

const parse = (type: string) => COMMANDS[type]!.schema.parse(SAMPLE[type]);

describe('COMMANDS', () => {
  it("holds every API mutation plus the domain's own commands, each under its type", () => {
    expect(Object.keys(COMMANDS).sort()).toEqual(
      [
        ...API_MUTATIONS,
        'changeDealStage',
        'changeDealAmount',
        'recordSlaBreach',
        'convertLead',
      ].sort(),
    );
    for (const [type, spec] of Object.entries(COMMANDS)) expect(spec.type).toBe(type);
  });

  it('has a decider for every aggregate a command names', () => {
    for (const spec of Object.values(COMMANDS)) expect(DECIDERS[spec.aggregate]).toBeDefined();
  });

  it.each(Object.keys(SAMPLE))('%s names the stream of its aggregate', (type) => {
    const spec = COMMANDS[type]!;
    const [prefix, idField] = STREAM_OF[spec.aggregate];
    expect(spec.streamId(parse(type))).toBe(`${prefix}${String(SAMPLE[type]![idField])}`);
  });

  it.each(Object.entries(MAY_RUN))('%s may run exactly its commands', (role, allowed) => {
    const actor: Actor = { id: 'someone', roles: [role as Role] };
    const runnable = Object.keys(SAMPLE).filter((type) =>
      COMMANDS[type]!.authorize(actor, parse(type)),
    );
    expect(runnable.sort()).toEqual(
      [...allowed].filter((t) => !(role === 'SALES' && t === 'recordTouch')).sort(),
    );
  });

  it('lets SALES record sales touches only, and MARKETING any touch', () => {
    const spec = COMMANDS.recordTouch!;
    const touch = (kind: string) => spec.schema.parse({ ...SAMPLE.recordTouch, kind });
    const sales: Actor = { id: 'rex', roles: ['SALES'] };
    const marketing: Actor = { id: 'mia', roles: ['MARKETING'] };
    expect(spec.authorize(sales, touch('SALES'))).toBe(true);
    expect(spec.authorize(sales, touch('MARKETING'))).toBe(false);
    expect(spec.authorize(marketing, touch('SALES'))).toBe(true);
    expect(spec.authorize(marketing, touch('MARKETING'))).toBe(true);
  });

  it('refuses an actor without roles', () => {
    const nobody: Actor = { id: 'x', roles: [] };
    for (const type of Object.keys(SAMPLE)) {
      expect(COMMANDS[type]!.authorize(nobody, parse(type))).toBe(false);
    }
  });
});

describe('every command', () => {
  const CREATING = [
    'captureLead',
    'openDeal',
    'defineSlaAgreement',
    'registerCampaign',
    'setGoals',
  ];
  const ENTITY = {
    lead: ['Lead', 'L-1'],
    deal: ['Deal', 'D-1'],
    campaign: ['Campaign', 'C-1'],
  } as const;

  it.each(Object.keys(SAMPLE))('%s refuses business time over 5 minutes ahead', (type) => {
    const options = { at: '2026-07-01T10:06:00.000Z', now: '2026-07-01T10:00:00.000Z' };
    given()
      .when(command(type, SAMPLE[type]!, options))
      .thenRejects('OCCURRED_IN_FUTURE');
  });

  it.each(Object.keys(SAMPLE).filter((t) => !CREATING.includes(t)))(
    '%s on a stream that does not exist is NOT_FOUND',
    (type) => {
      const [entity, id] = ENTITY[COMMANDS[type]!.aggregate as keyof typeof ENTITY];
      given().when(command(type, SAMPLE[type]!)).thenNotFound(entity, id);
    },
  );
});

describe('followUps', () => {
  it('converts every lead of an opened deal', () => {
    const cmd = command('openDeal', { ...SAMPLE.openDeal, leadIds: ['L-1', 'L-2'] });
    const opened = { type: 'DealOpened', occurredAt: cmd.meta.occurredAt, data: cmd.data };
    expect(followUps(cmd, [opened])).toEqual([
      { type: 'convertLead', data: { leadId: 'L-1', dealId: 'D-1' } },
      { type: 'convertLead', data: { leadId: 'L-2', dealId: 'D-1' } },
    ]);
  });

  it('asks nothing of other events', () => {
    const cmd = command('winDeal', SAMPLE.winDeal!);
    expect(
      followUps(cmd, [{ type: 'DealWon', occurredAt: cmd.meta.occurredAt, data: {} }]),
    ).toEqual([]);
  });
});
