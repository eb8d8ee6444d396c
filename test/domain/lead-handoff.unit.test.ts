import { COMMANDS } from '../../src/domain/catalog';
import type { LeadState } from '../../src/domain/lead/state';
import { actors, at, event, fold, given } from './support';
import {
  accepted,
  asHandedOff,
  asMql,
  asOpportunity,
  asSal,
  asSql,
  attempted,
  captured,
  handedOff,
  HANDOFF_ID,
  LEAD_ID,
  onLead,
  qualified,
  reassigned,
  recycled,
  rejected,
  salesQualified,
  touched,
} from './lead-fixtures';

const sla = (version: number, minutes: number, terms: Record<string, unknown>) =>
  event(
    version === 1 ? 'SlaAgreementDefined' : 'SlaAgreementRevised',
    {
      agreementId: 'default',
      version,
      segment: null,
      acceptWithinMinutes: 30,
      firstContactWithinMinutes: 120,
      minAttempts: 5,
      attemptWindowDays: 10,
      monthlyMqlCommitment: 400,
      mqlToSqlBenchmark: 0.3,
      ...terms,
    },
    at(minutes),
  );

const agreement = (...events: ReturnType<typeof sla>[]) => ({
  context: { agreement: fold('slaAgreement', events) },
  actor: actors.marketing,
  at: at(20),
});

const handOff = { handoffId: HANDOFF_ID, repId: 'rex', team: 'EMEA' };

describe('handOffLead', () => {
  it('hands an MQL to a rep under the built-in terms when no agreement exists', () => {
    given(...asMql)
      .when(onLead('handOffLead', handOff, agreement()))
      .then(handedOff(20));
  });

  it('passes a summary of the touches to sales, first and last by business time', () => {
    given(
      captured,
      touched('T-2', 5, { channel: 'PAID_SEARCH', campaignId: 'cmp-search' }),
      touched('T-1', -30),
      touched('T-3', 3, { campaignId: null }),
      qualified(),
    )
      .when(onLead('handOffLead', handOff, agreement()))
      .then(
        handedOff(20, {
          touchSummary: {
            count: 3,
            first: {
              touchId: 'T-1',
              channel: 'EMAIL',
              campaignId: 'cmp-nurture',
              occurredAt: at(-30),
            },
            last: {
              touchId: 'T-2',
              channel: 'PAID_SEARCH',
              campaignId: 'cmp-search',
              occurredAt: at(5),
            },
          },
        }),
      );
  });

  it("uses the agreement's default terms, writing its id, version and deadlines", () => {
    given(...asMql)
      .when(onLead('handOffLead', handOff, agreement(sla(1, -100, {}))))
      .then(
        handedOff(20, {
          agreementId: 'default',
          agreementVersion: 1,
          acceptBy: at(50),
          firstContactBy: at(140),
          minAttempts: 5,
          attemptsBy: at(20 + 10 * 24 * 60),
        }),
      );
  });

  it("prefers the lead's segment terms over the default terms", () => {
    const [e] = given(...asMql)
      .when(
        onLead(
          'handOffLead',
          handOff,
          agreement(
            sla(1, -100, {}),
            sla(2, -90, { segment: 'MID_MARKET', acceptWithinMinutes: 15 }),
            sla(3, -80, { segment: 'ENTERPRISE', acceptWithinMinutes: 5 }),
          ),
        ),
      )
      .thenState<LeadState>().handoffs;
    expect(e).toMatchObject({ acceptBy: at(35), firstContactBy: at(140) });
  });

  it('uses the version in force at the handoff, not a later revision', () => {
    const [e] = given(...asMql)
      .when(
        onLead(
          'handOffLead',
          handOff,
          agreement(sla(1, -100, {}), sla(2, 25, { acceptWithinMinutes: 5 })),
        ),
      )
      .then(
        handedOff(20, {
          agreementId: 'default',
          agreementVersion: 1,
          acceptBy: at(50),
          firstContactBy: at(140),
          minAttempts: 5,
          attemptsBy: at(20 + 10 * 24 * 60),
        }),
      );
    expect(e?.data).toMatchObject({ agreementVersion: 1 });
  });

  it('falls back to the built-in terms when the agreement has none for the segment', () => {
    given(...asMql)
      .when(onLead('handOffLead', handOff, agreement(sla(1, -100, { segment: 'SMB' }))))
      .then(handedOff(20));
  });

  it('refuses an agreement named but never defined (NOT_FOUND)', () => {
    given(...asMql)
      .when(onLead('handOffLead', { ...handOff, agreementId: 'emea' }, agreement()))
      .thenNotFound('SlaAgreement', 'emea');
  });

  it('declares the SLA agreement stream it needs', () => {
    const spec = COMMANDS.handOffLead!;
    const deps = (input: Record<string, unknown>) =>
      spec.dependencies!(spec.schema.parse({ leadId: LEAD_ID, ...handOff, ...input }));
    expect(deps({})).toEqual([
      { key: 'agreement', streamId: 'sla-default', aggregate: 'slaAgreement' },
    ]);
    expect(deps({ agreementId: 'emea' })[0]?.streamId).toBe('sla-emea');
  });

  it('fills a missing handoffId from the IdSource', () => {
    const prepared = COMMANDS.handOffLead!.prepare!(
      { leadId: LEAD_ID, repId: 'rex' },
      {
        next: (purpose) => `id-for-${purpose}`,
      },
    );
    expect(prepared.handoffId).toBe('id-for-handoffId');
  });

  it('hands off a recycled lead once it is re-qualified', () => {
    given(...asMql, recycled(12), qualified(15, true))
      .when(onLead('handOffLead', handOff, agreement()))
      .then(handedOff(20));
  });

  it('refuses a lead that is not an MQL (LEAD_NOT_MQL)', () => {
    given(captured)
      .when(onLead('handOffLead', handOff, agreement()))
      .thenRejects('LEAD_NOT_MQL');
    given(...asMql, recycled(12))
      .when(onLead('handOffLead', handOff, agreement()))
      .thenRejects('LEAD_NOT_MQL');
    given(...asSal)
      .when(onLead('handOffLead', handOff, agreement()))
      .thenRejects('LEAD_NOT_MQL');
  });

  it('refuses while another handoff awaits the rep (HANDOFF_ALREADY_PENDING)', () => {
    given(...asMql, handedOff(15, {}, 'H-0'))
      .when(onLead('handOffLead', handOff, agreement()))
      .thenRejects('HANDOFF_ALREADY_PENDING');
  });

  it('refuses to reuse a handoff id on the lead (HANDOFF_ID_TAKEN)', () => {
    given(...asMql, handedOff(12), rejected(15))
      .when(onLead('handOffLead', handOff, agreement()))
      .thenRejects('HANDOFF_ID_TAKEN');
  });

  it('hands a rejected lead to another rep under a new handoff', () => {
    const state = given(...asMql, handedOff(12), rejected(15))
      .when(onLead('handOffLead', { ...handOff, handoffId: 'H-2', repId: 'ora' }, agreement()))
      .thenState<LeadState>();
    expect(state).toMatchObject({ stage: 'HANDED_OFF', ownerRepId: 'ora' });
    expect(state.handoffs.map((h) => h.status)).toEqual(['REJECTED', 'PENDING']);
  });
});

describe('acceptHandoff (SAL)', () => {
  it('is accepted by its rep within the SLA', () => {
    given(...asHandedOff)
      .when(onLead('acceptHandoff', {}, { at: at(30), actor: actors.rep }))
      .then(accepted(30));
  });

  it('records a late acceptance as outside the SLA', () => {
    given(...asHandedOff)
      .when(onLead('acceptHandoff', { handoffId: HANDOFF_ID }, { at: at(95), actor: actors.rep }))
      .then(
        event(
          'HandoffAccepted',
          {
            leadId: LEAD_ID,
            handoffId: HANDOFF_ID,
            repId: 'rex',
            minutesToAccept: 75,
            withinSla: false,
          },
          at(95),
        ),
      );
  });

  it('may be accepted by an admin on the rep’s behalf', () => {
    given(...asHandedOff)
      .when(onLead('acceptHandoff', {}, { at: at(30) }))
      .then(accepted(30));
  });

  it('refuses anyone but the rep it is addressed to (NOT_HANDOFF_REP)', () => {
    for (const actor of [actors.otherRep, actors.marketing]) {
      given(...asHandedOff)
        .when(onLead('acceptHandoff', {}, { at: at(30), actor }))
        .thenRejects('NOT_HANDOFF_REP');
    }
  });

  it('is accepted by the rep it was reassigned to, not the first one', () => {
    given(...asHandedOff, reassigned(25))
      .when(onLead('acceptHandoff', {}, { at: at(30), actor: actors.rep }))
      .thenRejects('NOT_HANDOFF_REP');
    given(...asHandedOff, reassigned(25))
      .when(onLead('acceptHandoff', {}, { at: at(30), actor: actors.otherRep }))
      .then(accepted(30, HANDOFF_ID, 'ora'));
  });

  it('refuses a handoff that is not pending (HANDOFF_NOT_PENDING)', () => {
    given(...asSal)
      .when(onLead('acceptHandoff', {}, { at: at(35), actor: actors.rep }))
      .thenRejects('HANDOFF_NOT_PENDING');
    given(...asMql)
      .when(onLead('acceptHandoff', {}, { at: at(35) }))
      .thenRejects('HANDOFF_NOT_PENDING');
    given(...asMql, handedOff(12, {}, 'H-0'), rejected(14, 'H-0'), handedOff(20))
      .when(onLead('acceptHandoff', { handoffId: 'H-0' }, { at: at(35) }))
      .thenRejects('HANDOFF_NOT_PENDING');
  });

  it('refuses a handoff id the lead never had (HANDOFF_UNKNOWN)', () => {
    given(...asHandedOff)
      .when(onLead('acceptHandoff', { handoffId: 'H-9' }, { at: at(30) }))
      .thenRejects('HANDOFF_UNKNOWN');
  });

  it('refuses an acceptance dated before the handoff (OCCURRED_OUT_OF_ORDER)', () => {
    given(...asHandedOff)
      .when(onLead('acceptHandoff', {}, { at: at(19), actor: actors.rep }))
      .thenRejects('OCCURRED_OUT_OF_ORDER');
  });
});

describe('rejectHandoff', () => {
  it('returns the lead to marketing as an MQL without owner', () => {
    given(...asHandedOff)
      .when(onLead('rejectHandoff', { reason: 'NOT_READY' }, { at: at(30), actor: actors.rep }))
      .then(rejected(30));
    const state = given(...asHandedOff)
      .when(onLead('rejectHandoff', { reason: 'NOT_READY' }, { at: at(30), actor: actors.rep }))
      .thenState<LeadState>();
    expect(state).toMatchObject({ stage: 'MQL', ownerRepId: null, team: null });
  });

  it('needs a note when the reason is OTHER (REJECTION_NOTE_REQUIRED)', () => {
    given(...asHandedOff)
      .when(onLead('rejectHandoff', { reason: 'OTHER' }, { at: at(30), actor: actors.rep }))
      .thenRejects('REJECTION_NOTE_REQUIRED');
    given(...asHandedOff)
      .when(
        onLead(
          'rejectHandoff',
          { reason: 'OTHER', note: 'wrong territory' },
          { at: at(30), actor: actors.rep },
        ),
      )
      .thenState();
  });

  it('refuses anyone but the rep it is addressed to (NOT_HANDOFF_REP)', () => {
    given(...asHandedOff)
      .when(onLead('rejectHandoff', { reason: 'NOT_ICP' }, { at: at(30), actor: actors.otherRep }))
      .thenRejects('NOT_HANDOFF_REP');
  });

  it('refuses a handoff that is not pending (HANDOFF_NOT_PENDING)', () => {
    given(...asSal)
      .when(onLead('rejectHandoff', { reason: 'NOT_ICP' }, { at: at(35), actor: actors.rep }))
      .thenRejects('HANDOFF_NOT_PENDING');
  });

  it('accepts only the listed reasons (input validation)', () => {
    const parsed = COMMANDS.rejectHandoff!.schema.safeParse({ leadId: LEAD_ID, reason: 'MEH' });
    expect(parsed.success).toBe(false);
  });
});

describe('logContactAttempt', () => {
  const call = { channel: 'CALL', outcome: 'NO_ANSWER' };

  it('numbers the attempts under the accepted handoff', () => {
    given(...asSal)
      .when(onLead('logContactAttempt', call, { at: at(40), actor: actors.rep }))
      .then(attempted(1, 40));
    given(...asSal, attempted(1, 40))
      .when(onLead('logContactAttempt', call, { at: at(45), actor: actors.rep }))
      .then(attempted(2, 45));
  });

  it('keeps logging after SQL', () => {
    given(...asSql)
      .when(onLead('logContactAttempt', call, { at: at(55), actor: actors.rep }))
      .then(attempted(2, 55));
  });

  it('needs an accepted handoff (HANDOFF_NOT_ACCEPTED)', () => {
    given(...asHandedOff)
      .when(onLead('logContactAttempt', call, { at: at(30), actor: actors.rep }))
      .thenRejects('HANDOFF_NOT_ACCEPTED');
    given(...asMql)
      .when(onLead('logContactAttempt', call, { at: at(30) }))
      .thenRejects('HANDOFF_NOT_ACCEPTED');
  });

  it('refuses another rep (NOT_LEAD_OWNER)', () => {
    given(...asSal)
      .when(onLead('logContactAttempt', call, { at: at(40), actor: actors.otherRep }))
      .thenRejects('NOT_LEAD_OWNER');
  });

  it('refuses a converted lead (LEAD_CONVERTED)', () => {
    given(...asOpportunity)
      .when(onLead('logContactAttempt', call, { at: at(90), actor: actors.rep }))
      .thenRejects('LEAD_CONVERTED');
  });

  it('may be logged late but not dated before the acceptance (OCCURRED_OUT_OF_ORDER)', () => {
    given(...asSql)
      .when(onLead('logContactAttempt', call, { at: at(45), actor: actors.rep }))
      .then(attempted(2, 45));
    given(...asSal)
      .when(onLead('logContactAttempt', call, { at: at(29), actor: actors.rep }))
      .thenRejects('OCCURRED_OUT_OF_ORDER');
  });
});

describe('qualifyForSales (SQL)', () => {
  const bant = {
    budget: '50k',
    authority: 'VP Sales',
    need: 'pipeline visibility',
    timeline: 'Q3',
  };

  it('qualifies an accepted lead with its BANT notes', () => {
    given(...asSal, attempted(1, 40, 'CONNECTED'))
      .when(onLead('qualifyForSales', bant, { at: at(50), actor: actors.rep }))
      .then(salesQualified(50));
  });

  it('needs an accepted handoff (HANDOFF_NOT_ACCEPTED)', () => {
    given(...asHandedOff)
      .when(onLead('qualifyForSales', bant, { at: at(50), actor: actors.rep }))
      .thenRejects('HANDOFF_NOT_ACCEPTED');
  });

  it('refuses a lead already SQL (ALREADY_SALES_QUALIFIED)', () => {
    given(...asSql)
      .when(onLead('qualifyForSales', bant, { at: at(55), actor: actors.rep }))
      .thenRejects('ALREADY_SALES_QUALIFIED');
  });

  it("refuses another rep's lead (NOT_LEAD_OWNER)", () => {
    given(...asSal)
      .when(onLead('qualifyForSales', bant, { at: at(50), actor: actors.otherRep }))
      .thenRejects('NOT_LEAD_OWNER');
  });
});

describe('reassignLead', () => {
  it('lets the owner hand the lead to a colleague; the handoff follows', () => {
    given(...asSal)
      .when(onLead('reassignLead', { toRepId: 'ora' }, { at: at(35), actor: actors.rep }))
      .then(reassigned(35));
    const state = given(...asSal)
      .when(onLead('reassignLead', { toRepId: 'ora' }, { at: at(35), actor: actors.rep }))
      .thenState<LeadState>();
    expect(state.ownerRepId).toBe('ora');
    expect(state.handoffs[0]?.owners.map((o) => o.repId)).toEqual(['rex', 'ora']);
  });

  it("lets an admin reassign another rep's lead", () => {
    given(...asHandedOff)
      .when(onLead('reassignLead', { toRepId: 'ora' }, { at: at(35), actor: actors.admin }))
      .then(reassigned(35));
  });

  it("refuses a rep reassigning another rep's lead (NOT_LEAD_OWNER)", () => {
    given(...asSal)
      .when(onLead('reassignLead', { toRepId: 'ora' }, { at: at(35), actor: actors.otherRep }))
      .thenRejects('NOT_LEAD_OWNER');
  });

  it('refuses the rep who already owns it (SAME_REP)', () => {
    given(...asSal)
      .when(onLead('reassignLead', { toRepId: 'rex' }, { at: at(35), actor: actors.rep }))
      .thenRejects('SAME_REP');
  });

  it('refuses a lead no rep holds (LEAD_NOT_ASSIGNED)', () => {
    given(...asMql)
      .when(onLead('reassignLead', { toRepId: 'ora' }, { at: at(35) }))
      .thenRejects('LEAD_NOT_ASSIGNED');
  });

  it('refuses a converted lead (LEAD_CONVERTED)', () => {
    given(...asOpportunity)
      .when(onLead('reassignLead', { toRepId: 'ora' }, { at: at(90) }))
      .thenRejects('LEAD_CONVERTED');
  });
});
