import type { Role } from '../../src/domain/shared/values';
import { startServer, type GraphQLResponse, type TestServer } from '../support/server';

/**
 * Role escalation (issue 9 §3), against API.md's table: every role tries every mutation it may
 * not run (FORBIDDEN, nothing written), every role runs the ones it may (never FORBIDDEN), reps
 * act on other reps' handoffs, leads and deals (DOMAIN_RULE, nothing written) and only ADMIN may,
 * and the event-store reads are AUDITOR and ADMIN only. errors.e2e covers one FORBIDDEN of each
 * kind; this is the whole matrix.
 */

type Inputs = Record<string, Record<string, unknown>>;

/** What API.md says each role may run (ADMIN: everything). */
const MAY_RUN: Record<Exclude<Role, 'ADMIN'>, string[]> = {
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
    'changeDealAmount',
    'changeDealStage',
    // recordTouch with kind SALES only: checked on its own below
  ],
  ANALYST: [],
  AUDITOR: [],
};

const MUTATIONS = [
  'acceptHandoff',
  'captureLead',
  'changeDealAmount',
  'changeDealStage',
  'defineSlaAgreement',
  'disqualifyLead',
  'forgetLead',
  'handOffLead',
  'logContactAttempt',
  'loseDeal',
  'openDeal',
  'qualifyForSales',
  'qualifyLead',
  'reassignLead',
  'recordCampaignCost',
  'recordTouch',
  'recycleLead',
  'registerCampaign',
  'rejectHandoff',
  'reopenDeal',
  'scoreLead',
  'setGoals',
  'winDeal',
];

const inputType = (name: string) => `${name[0]!.toUpperCase()}${name.slice(1)}Input`;

describe('role escalation', () => {
  let server: TestServer;
  const tokens = {} as Record<'mia' | 'rex' | 'sam' | 'ann' | 'aud' | 'root', string>;
  /** Leads: pending handoff to rex; accepted by rex (SAL, rex owns it); in a deal of rex. */
  const ids = { pending: '', owned: '', spare: '', dealLead: '', deal: '' };

  const head = () => server.running.app.events.headPosition();
  const run = (token: string, name: string, input: Record<string, unknown>) =>
    server.gql(
      `mutation M($input: ${inputType(name)}!) { ${name}(input: $input) { position } }`,
      { input },
      token,
    );
  const ok = async (token: string, name: string, input: Record<string, unknown>, field = '') => {
    const res = await server.gql<Record<string, Record<string, string>>>(
      `mutation M($input: ${inputType(name)}!) { ${name}(input: $input) { position ${field} } }`,
      { input },
      token,
    );
    if (res.errors) throw new Error(`${name}: ${JSON.stringify(res.errors)}`);
    return res.data![name]!;
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : String(undefined));
  const code = (res: GraphQLResponse) =>
    res.errors ? text(res.errors[0]?.extensions?.code) : 'ok';
  const rule = (res: GraphQLResponse) => text(res.errors?.[0]?.extensions?.rule);

  /** A valid input for each mutation: what decides the answer is the role, not the input. */
  const inputs = (): Inputs => ({
    captureLead: { email: 'new@example.com', segment: 'SMB', channel: 'EMAIL' },
    recordTouch: { leadId: ids.spare, channel: 'EMAIL' },
    scoreLead: { leadId: ids.spare, fit: 10, engagement: 10 },
    qualifyLead: { leadId: ids.spare },
    handOffLead: { leadId: ids.spare, repId: 'rex' },
    acceptHandoff: { leadId: ids.pending },
    rejectHandoff: { leadId: ids.pending, reason: 'NOT_ICP' },
    recycleLead: { leadId: ids.spare, reason: 'not now' },
    logContactAttempt: { leadId: ids.owned, channel: 'CALL', outcome: 'NO_ANSWER' },
    qualifyForSales: { leadId: ids.owned },
    disqualifyLead: { leadId: ids.spare, reason: 'student' },
    reassignLead: { leadId: ids.owned, toRepId: 'sam' },
    openDeal: {
      leadIds: [ids.owned],
      account: 'Acme',
      amount: 100,
      currency: 'EUR',
      ownerRepId: 'rex',
    },
    winDeal: { dealId: ids.deal },
    loseDeal: { dealId: ids.deal, reason: 'PRICE' },
    reopenDeal: { dealId: ids.deal },
    changeDealAmount: { dealId: ids.deal, amount: 200 },
    changeDealStage: { dealId: ids.deal, stage: 'PROPOSAL' },
    defineSlaAgreement: {
      agreementId: 'escalation',
      acceptWithinMinutes: 60,
      firstContactWithinMinutes: 120,
      minAttempts: 2,
      attemptWindowDays: 3,
    },
    registerCampaign: { campaignId: 'escalation', name: 'Escalation', channel: 'EMAIL' },
    recordCampaignCost: {
      campaignId: 'spring',
      amount: 10,
      currency: 'EUR',
      periodStart: '2026-01-01',
      periodEnd: '2026-01-31',
    },
    setGoals: { period: '2026-Q3', revenue: 1000 },
    forgetLead: { leadId: ids.spare, reason: 'ticket-1' },
  });

  beforeAll(async () => {
    server = await startServer({ SLA_MONITOR_INTERVAL_MS: '600000' });
    tokens.mia = await server.token('mia', ['MARKETING']);
    tokens.rex = await server.token('rex', ['SALES']);
    tokens.sam = await server.token('sam', ['SALES']);
    tokens.ann = await server.token('ann', ['ANALYST']);
    tokens.aud = await server.token('aud', ['AUDITOR']);
    tokens.root = await server.token('root', ['ADMIN']);
    await ok(tokens.mia, 'registerCampaign', {
      campaignId: 'spring',
      name: 'Spring',
      channel: 'EMAIL',
    });
    const lead = async (n: string) =>
      (
        await ok(
          tokens.mia,
          'captureLead',
          { email: `${n}@example.com`, name: n, segment: 'SMB', channel: 'EMAIL' },
          'leadId',
        )
      ).leadId!;
    const handedOff = async (n: string) => {
      const leadId = await lead(n);
      await ok(tokens.mia, 'qualifyLead', { leadId });
      await ok(tokens.mia, 'handOffLead', { leadId, repId: 'rex' });
      return leadId;
    };
    ids.pending = await handedOff('pending');
    ids.owned = await handedOff('owned');
    await ok(tokens.rex, 'acceptHandoff', { leadId: ids.owned });
    ids.spare = await lead('spare');
    ids.dealLead = await handedOff('deal-lead');
    await ok(tokens.rex, 'acceptHandoff', { leadId: ids.dealLead });
    await ok(tokens.rex, 'qualifyForSales', { leadId: ids.dealLead });
    ids.deal = (
      await ok(
        tokens.rex,
        'openDeal',
        {
          leadIds: [ids.dealLead],
          account: 'Acme',
          amount: 1000,
          currency: 'EUR',
          ownerRepId: 'rex',
        },
        'dealId',
      )
    ).dealId!;
  });
  afterAll(() => server.stop());

  it('every role is FORBIDDEN every mutation API.md does not give it, and nothing is written', async () => {
    const before = await head();
    const all = inputs();
    const byRole: Array<[string, string]> = [
      ['MARKETING', tokens.mia],
      ['SALES', tokens.rex],
      ['ANALYST', tokens.ann],
      ['AUDITOR', tokens.aud],
    ];
    const answers: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const [role, token] of byRole) {
      const allowed = MAY_RUN[role as keyof typeof MAY_RUN];
      for (const name of MUTATIONS.filter((m) => !allowed.includes(m))) {
        if (role === 'SALES' && name === 'recordTouch') continue; // kind-dependent, below
        answers[`${role} ${name}`] = code(await run(token, name, all[name]!));
        expected[`${role} ${name}`] = 'FORBIDDEN';
      }
    }
    expect(answers).toEqual(expected);
    expect(await head()).toBe(before);
  });

  it('SALES may record a touch of kind SALES only', async () => {
    const before = await head();
    const marketing = await run(tokens.rex, 'recordTouch', {
      leadId: ids.spare,
      channel: 'EMAIL',
      kind: 'MARKETING',
    });
    const unspecified = await run(tokens.rex, 'recordTouch', {
      leadId: ids.spare,
      channel: 'EMAIL',
    });
    expect([code(marketing), code(unspecified)]).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(await head()).toBe(before);
    const sales = await run(tokens.rex, 'recordTouch', {
      leadId: ids.owned,
      channel: 'EMAIL',
      kind: 'SALES',
    });
    expect(code(sales)).toBe('ok');
  });

  it('a token holding several roles gets the union of their rights, no more', async () => {
    const both = await server.token('mixed', ['ANALYST', 'AUDITOR']);
    const before = await head();
    for (const name of MUTATIONS) {
      expect([name, code(await run(both, name, inputs()[name]!))]).toEqual([name, 'FORBIDDEN']);
    }
    expect(await head()).toBe(before);
    const history = await server.gql(
      `{ leadHistory(leadId: "${ids.spare}") { events { type } } }`,
      {},
      both,
    );
    expect(code(history)).toBe('ok');
  });

  it("a rep may not act on another rep's handoff, lead or deal (DOMAIN_RULE), and nothing is written", async () => {
    const before = await head();
    const sam = tokens.sam;
    const attempts = {
      "accept rex's handoff": await run(sam, 'acceptHandoff', { leadId: ids.pending }),
      "reject rex's handoff": await run(sam, 'rejectHandoff', {
        leadId: ids.pending,
        reason: 'NOT_ICP',
      }),
      "reassign rex's lead to himself": await run(sam, 'reassignLead', {
        leadId: ids.owned,
        toRepId: 'sam',
      }),
      "reassign rex's lead elsewhere": await run(sam, 'reassignLead', {
        leadId: ids.owned,
        toRepId: 'zoe',
      }),
      "log a contact on rex's lead": await run(sam, 'logContactAttempt', {
        leadId: ids.owned,
        channel: 'CALL',
        outcome: 'CONNECTED',
      }),
      "qualify rex's lead for sales": await run(sam, 'qualifyForSales', { leadId: ids.owned }),
      "recycle rex's lead": await run(sam, 'recycleLead', {
        leadId: ids.owned,
        reason: 'mine now',
      }),
      "disqualify rex's lead": await run(sam, 'disqualifyLead', {
        leadId: ids.owned,
        reason: 'mine now',
      }),
      "win rex's deal": await run(sam, 'winDeal', { dealId: ids.deal }),
      "lose rex's deal": await run(sam, 'loseDeal', { dealId: ids.deal, reason: 'PRICE' }),
      "change the amount of rex's deal": await run(sam, 'changeDealAmount', {
        dealId: ids.deal,
        amount: 1,
      }),
      "move rex's deal": await run(sam, 'changeDealStage', { dealId: ids.deal, stage: 'LOST-ISH' }),
      'marketing recycles a lead sales is working': await run(tokens.mia, 'recycleLead', {
        leadId: ids.owned,
        reason: 'back',
      }),
      'marketing disqualifies a lead sales is working': await run(tokens.mia, 'disqualifyLead', {
        leadId: ids.owned,
        reason: 'no',
      }),
    };
    const outcomes = Object.fromEntries(
      Object.entries(attempts).map(([what, res]) => [what, `${code(res)} ${rule(res)}`]),
    );
    expect(outcomes).toEqual({
      "accept rex's handoff": 'DOMAIN_RULE NOT_HANDOFF_REP',
      "reject rex's handoff": 'DOMAIN_RULE NOT_HANDOFF_REP',
      "reassign rex's lead to himself": 'DOMAIN_RULE NOT_LEAD_OWNER',
      "reassign rex's lead elsewhere": 'DOMAIN_RULE NOT_LEAD_OWNER',
      "log a contact on rex's lead": 'DOMAIN_RULE NOT_LEAD_OWNER',
      "qualify rex's lead for sales": 'DOMAIN_RULE NOT_LEAD_OWNER',
      "recycle rex's lead": 'DOMAIN_RULE NOT_LEAD_OWNER',
      "disqualify rex's lead": 'DOMAIN_RULE NOT_LEAD_OWNER',
      "win rex's deal": 'DOMAIN_RULE NOT_DEAL_OWNER',
      "lose rex's deal": 'DOMAIN_RULE NOT_DEAL_OWNER',
      "change the amount of rex's deal": 'DOMAIN_RULE NOT_DEAL_OWNER',
      "move rex's deal": 'DOMAIN_RULE NOT_DEAL_OWNER',
      'marketing recycles a lead sales is working': 'DOMAIN_RULE NOT_LEAD_OWNER',
      'marketing disqualifies a lead sales is working': 'DOMAIN_RULE NOT_LEAD_OWNER',
    });
    expect(await head()).toBe(before);
  });

  it("an actor id that merely looks like the rep's does not pass for the rep", async () => {
    const before = await head();
    for (const sub of ['REX', 'rex ', ' rex', 'rex\u0000', 'rеx' /* Cyrillic е */]) {
      const token = await server.token(sub, ['SALES']);
      const res = await run(token, 'acceptHandoff', { leadId: ids.pending });
      expect([sub, code(res)]).toEqual([sub, 'DOMAIN_RULE']);
    }
    expect(await head()).toBe(before);
  });

  it("ADMIN may act on any rep's handoff, lead and deal", async () => {
    const reassigned = await run(tokens.root, 'reassignLead', {
      leadId: ids.owned,
      toRepId: 'sam',
    });
    expect(code(reassigned)).toBe('ok');
    const accepted = await run(tokens.root, 'acceptHandoff', { leadId: ids.pending });
    expect(code(accepted)).toBe('ok');
    const moved = await run(tokens.root, 'changeDealStage', {
      dealId: ids.deal,
      stage: 'PROPOSAL',
    });
    expect(code(moved)).toBe('ok');
    // Reassigned, the lead is sam's now: rex is the other rep.
    const rex = await run(tokens.rex, 'logContactAttempt', {
      leadId: ids.owned,
      channel: 'CALL',
      outcome: 'CONNECTED',
    });
    expect(`${code(rex)} ${rule(rex)}`).toBe('DOMAIN_RULE NOT_LEAD_OWNER');
  });

  it('only AUDITOR and ADMIN read the event store (leadHistory, verifyStream, auditTrail)', async () => {
    const reads = {
      leadHistory: `{ leadHistory(leadId: "${ids.spare}") { events { type } } }`,
      verifyStream: `{ verifyStream(streamId: "lead-${ids.spare}") { ok } }`,
      auditTrail: '{ auditTrail(first: 1) { totalCount } }',
    };
    const answers: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const [who, token] of Object.entries(tokens)) {
      for (const [name, q] of Object.entries(reads)) {
        answers[`${who} ${name}`] = code(await server.gql(q, {}, token));
        expected[`${who} ${name}`] = who === 'aud' || who === 'root' ? 'ok' : 'FORBIDDEN';
      }
    }
    expect(answers).toEqual(expected);
  });

  it('each role may run what API.md gives it (never FORBIDDEN)', async () => {
    const all = inputs();
    const answers: Record<string, unknown> = {};
    for (const [role, token] of [
      ['MARKETING', tokens.mia],
      ['SALES', tokens.rex],
      ['ADMIN', tokens.root],
    ] as const) {
      const allowed = role === 'ADMIN' ? MUTATIONS : MAY_RUN[role];
      for (const name of allowed) {
        const answer = code(await run(token, name, all[name]!));
        answers[`${role} ${name}`] = answer === 'FORBIDDEN' ? 'FORBIDDEN' : 'not forbidden';
      }
    }
    expect(Object.entries(answers).filter(([, v]) => v === 'FORBIDDEN')).toEqual([]);
  });
});
