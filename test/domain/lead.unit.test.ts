import { COMMANDS } from '../../src/domain/catalog';
import type { LeadState } from '../../src/domain/lead/state';
import { actors, at, command, event, given, T0 } from './support';
import {
  asHandedOff,
  asMql,
  asOpportunity,
  asSal,
  asSql,
  captured,
  converted,
  disqualified,
  forgotten,
  LEAD_ID,
  onLead,
  qualified,
  recycled,
  scored,
  touched,
} from './lead-fixtures';

const captureInput = {
  leadId: LEAD_ID,
  email: '  Ann@Acme.IO ',
  name: 'Ann Lee',
  segment: 'MID_MARKET',
  channel: 'WEBINAR',
};

describe('captureLead', () => {
  it('captures a new lead, normalising the email and absent fields to null', () => {
    given()
      .when(command('captureLead', captureInput, { actor: actors.marketing }))
      .then(
        event('LeadCaptured', {
          leadId: LEAD_ID,
          email: 'ann@acme.io',
          name: 'Ann Lee',
          company: null,
          phone: null,
          segment: 'MID_MARKET',
          channel: 'WEBINAR',
          campaignId: null,
        }),
      );
  });

  it('refuses to capture a lead that exists (LEAD_ALREADY_EXISTS)', () => {
    given(captured).when(command('captureLead', captureInput)).thenRejects('LEAD_ALREADY_EXISTS');
  });

  it('allows business time a little ahead of the server clock, not more than 5 minutes', () => {
    given()
      .when(command('captureLead', captureInput, { at: at(4), now: T0 }))
      .thenState<LeadState>();
    given()
      .when(command('captureLead', captureInput, { at: at(6), now: T0 }))
      .thenRejects('OCCURRED_IN_FUTURE');
  });

  it('accepts history imported with its real, earlier dates', () => {
    const state = given()
      .when(command('captureLead', captureInput, { at: '2024-01-15T10:00:00.000Z', now: T0 }))
      .thenState<LeadState>();
    expect(state.lastChangeAt).toBe('2024-01-15T10:00:00.000Z');
  });

  it('validates the input: email, segment, channel and id format', () => {
    const result = COMMANDS.captureLead!.schema.safeParse({
      leadId: 'bad id!',
      email: 'nope',
      segment: 'HUGE',
      channel: 'FAX',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'channel',
      'email',
      'leadId',
      'segment',
    ]);
  });

  it('fills a missing leadId from the IdSource and keeps a given one', () => {
    const ids = { next: (purpose: string) => `new-${purpose}` };
    const spec = COMMANDS.captureLead!;
    expect(spec.prepare!({ email: 'a@b.co' }, ids)).toMatchObject({ leadId: 'new-leadId' });
    expect(spec.prepare!({ leadId: 'L-9' }, ids)).toMatchObject({ leadId: 'L-9' });
  });
});

describe('recordTouch', () => {
  const touch = { touchId: 'T-1', channel: 'PAID_SEARCH', campaignId: 'cmp-search' };

  it('records a marketing touch by default', () => {
    given(captured)
      .when(onLead('recordTouch', touch, { at: at(5) }))
      .then(
        event(
          'TouchRecorded',
          {
            leadId: LEAD_ID,
            touchId: 'T-1',
            channel: 'PAID_SEARCH',
            campaignId: 'cmp-search',
            contentId: null,
            kind: 'MARKETING',
            createsLead: false,
          },
          at(5),
        ),
      );
  });

  it('records a touch that happened before the lead was captured (anonymous history)', () => {
    const state = given(captured)
      .when(onLead('recordTouch', { ...touch, createsLead: true }, { at: at(-60) }))
      .thenState<LeadState>();
    expect(state.firstTouch).toMatchObject({ touchId: 'T-1', occurredAt: at(-60) });
    expect(state.leadCreationTouchId).toBe('T-1');
  });

  it('refuses a touch on a lead that does not exist (NOT_FOUND)', () => {
    given().when(onLead('recordTouch', touch)).thenNotFound('Lead', LEAD_ID);
  });

  it('refuses a touch id twice (TOUCH_ALREADY_RECORDED)', () => {
    given(captured, touched('T-1', 1))
      .when(onLead('recordTouch', touch))
      .thenRejects('TOUCH_ALREADY_RECORDED');
  });

  it('lets only one touch create the lead (LEAD_CREATION_TOUCH_EXISTS)', () => {
    given(captured, touched('T-0', 1, { createsLead: true }))
      .when(onLead('recordTouch', { ...touch, createsLead: true }))
      .thenRejects('LEAD_CREATION_TOUCH_EXISTS');
  });

  it('still records touches of a disqualified or converted lead: they are facts', () => {
    given(...asMql, disqualified(15))
      .when(onLead('recordTouch', touch, { at: at(20) }))
      .thenState();
    given(...asOpportunity)
      .when(onLead('recordTouch', touch, { at: at(90) }))
      .thenState();
  });
});

describe('scoreLead', () => {
  it('records fit and engagement scores', () => {
    given(captured)
      .when(onLead('scoreLead', { fit: 80, engagement: 60, modelVersion: 'v3' }, { at: at(3) }))
      .then(scored(3));
  });

  it('refuses scores outside 0..100 (input validation)', () => {
    const schema = COMMANDS.scoreLead!.schema;
    expect(schema.safeParse({ leadId: LEAD_ID, fit: 101, engagement: 0 }).success).toBe(false);
    expect(schema.safeParse({ leadId: LEAD_ID, fit: 0, engagement: -1 }).success).toBe(false);
    expect(schema.safeParse({ leadId: LEAD_ID, fit: 100, engagement: 0 }).success).toBe(true);
  });

  it('refuses to score a lead that does not exist (NOT_FOUND)', () => {
    given()
      .when(onLead('scoreLead', { fit: 1, engagement: 1 }))
      .thenNotFound('Lead', LEAD_ID);
  });
});

describe('qualifyLead (MQL)', () => {
  it('qualifies a new lead', () => {
    given(captured)
      .when(onLead('qualifyLead', {}, { at: at(10) }))
      .then(qualified(10));
  });

  it('re-qualifies a recycled lead, marking it requalified', () => {
    given(...asMql, recycled(15))
      .when(onLead('qualifyLead', {}, { at: at(20) }))
      .then(qualified(20, true));
  });

  it('refuses a lead that is already MQL or further (ALREADY_QUALIFIED)', () => {
    given(...asMql)
      .when(onLead('qualifyLead', {}, { at: at(11) }))
      .thenRejects('ALREADY_QUALIFIED');
    given(...asSql)
      .when(onLead('qualifyLead', {}, { at: at(60) }))
      .thenRejects('ALREADY_QUALIFIED');
  });

  it('refuses a disqualified lead (LEAD_DISQUALIFIED)', () => {
    given(captured, disqualified(5, 'LEAD'))
      .when(onLead('qualifyLead', {}, { at: at(10) }))
      .thenRejects('LEAD_DISQUALIFIED');
  });

  it('refuses a stage change dated before the previous one (OCCURRED_OUT_OF_ORDER)', () => {
    given(captured)
      .when(onLead('qualifyLead', {}, { at: at(-1) }))
      .thenRejects('OCCURRED_OUT_OF_ORDER');
  });
});

describe('recycleLead', () => {
  it('sends a worked lead back to nurture, resetting its scores and owner', () => {
    const state = given(...asSql, scored(55))
      .when(
        onLead('recycleLead', { reason: 'budget next year' }, { at: at(70), actor: actors.rep }),
      )
      .thenState<LeadState>();
    expect(state).toMatchObject({ stage: 'RECYCLED', scores: null, ownerRepId: null });
    expect(state.handoffs[0]?.closedAt).toBe(at(70));
  });

  it('records where the lead came from and who owned it', () => {
    given(...asSql)
      .when(onLead('recycleLead', { reason: 'not now' }, { at: at(70), actor: actors.rep }))
      .then(recycled(70, 'SQL', 'rex'));
  });

  it('recycles an MQL (marketing) and a disqualified lead', () => {
    given(...asMql)
      .when(onLead('recycleLead', { reason: 'not now' }, { at: at(15), actor: actors.marketing }))
      .then(recycled(15));
    given(...asMql, disqualified(12))
      .when(onLead('recycleLead', { reason: 'not now' }, { at: at(15) }))
      .then(recycled(15, 'DISQUALIFIED'));
  });

  it('recycles a converted lead whose deal went nowhere', () => {
    given(...asOpportunity)
      .when(onLead('recycleLead', { reason: 'not now' }, { at: at(90) }))
      .then(recycled(90, 'OPPORTUNITY', 'rex'));
  });

  it('refuses a lead already in nurture (ALREADY_IN_NURTURE)', () => {
    given(captured)
      .when(onLead('recycleLead', { reason: 'x' }))
      .thenRejects('ALREADY_IN_NURTURE');
    given(...asMql, recycled(12))
      .when(onLead('recycleLead', { reason: 'x' }, { at: at(15) }))
      .thenRejects('ALREADY_IN_NURTURE');
  });

  it('refuses while a handoff awaits the rep (HANDOFF_PENDING)', () => {
    given(...asHandedOff)
      .when(onLead('recycleLead', { reason: 'x' }, { at: at(25) }))
      .thenRejects('HANDOFF_PENDING');
  });

  it('refuses another rep recycling a lead sales is working (NOT_LEAD_OWNER)', () => {
    given(...asSal)
      .when(onLead('recycleLead', { reason: 'x' }, { at: at(40), actor: actors.otherRep }))
      .thenRejects('NOT_LEAD_OWNER');
    given(...asSal)
      .when(onLead('recycleLead', { reason: 'x' }, { at: at(40), actor: actors.marketing }))
      .thenRejects('NOT_LEAD_OWNER');
  });
});

describe('disqualifyLead', () => {
  it('disqualifies an MQL', () => {
    given(...asMql)
      .when(
        onLead('disqualifyLead', { reason: 'student' }, { at: at(12), actor: actors.marketing }),
      )
      .then(disqualified(12));
  });

  it('disqualifies a lead sales works, by its owner, releasing the rep', () => {
    const state = given(...asSal)
      .when(onLead('disqualifyLead', { reason: 'student' }, { at: at(40), actor: actors.rep }))
      .thenState<LeadState>();
    expect(state).toMatchObject({ stage: 'DISQUALIFIED', ownerRepId: null });
  });

  it('refuses a lead already disqualified (ALREADY_DISQUALIFIED)', () => {
    given(captured, disqualified(5, 'LEAD'))
      .when(onLead('disqualifyLead', { reason: 'x' }, { at: at(6) }))
      .thenRejects('ALREADY_DISQUALIFIED');
  });

  it('refuses while a handoff awaits the rep (HANDOFF_PENDING)', () => {
    given(...asHandedOff)
      .when(onLead('disqualifyLead', { reason: 'x' }, { at: at(25) }))
      .thenRejects('HANDOFF_PENDING');
  });

  it('refuses a converted lead: the deal decides now (LEAD_CONVERTED)', () => {
    given(...asOpportunity)
      .when(onLead('disqualifyLead', { reason: 'x' }, { at: at(90) }))
      .thenRejects('LEAD_CONVERTED');
  });

  it("refuses another rep's lead (NOT_LEAD_OWNER)", () => {
    given(...asSql)
      .when(onLead('disqualifyLead', { reason: 'x' }, { at: at(60), actor: actors.otherRep }))
      .thenRejects('NOT_LEAD_OWNER');
  });

  it('leaves a disqualified lead open to recycle, touches, scores and erasure only', () => {
    const history = [...asMql, disqualified(12)];
    const later = { at: at(30) };
    given(...history)
      .when(onLead('recycleLead', { reason: 'x' }, later))
      .thenState();
    given(...history)
      .when(onLead('scoreLead', { fit: 1, engagement: 2 }, later))
      .thenState();
    given(...history)
      .when(onLead('forgetLead', { reason: 'GDPR' }, later))
      .thenState();
    for (const [type, input] of [
      ['qualifyLead', {}],
      ['handOffLead', { handoffId: 'H-2', repId: 'rex' }],
      ['logContactAttempt', { channel: 'CALL', outcome: 'CONNECTED' }],
      ['qualifyForSales', {}],
      ['reassignLead', { toRepId: 'ora' }],
      ['convertLead', { dealId: 'D-1' }],
    ] as const) {
      given(...history)
        .when(onLead(type, input, later))
        .thenRejects('LEAD_DISQUALIFIED');
    }
  });
});

describe('convertLead (follow-up of openDeal)', () => {
  it('converts a sales-qualified lead into the deal', () => {
    const state = given(...asSql)
      .when(onLead('convertLead', { dealId: 'D-1' }, { at: at(60), actor: actors.rep }))
      .thenState<LeadState>();
    expect(state).toMatchObject({ stage: 'OPPORTUNITY', dealIds: ['D-1'] });
    expect(state.handoffs[0]?.closedAt).toBe(at(60));
  });

  it('links a converted lead to a further deal (upsell)', () => {
    given(...asOpportunity)
      .when(onLead('convertLead', { dealId: 'D-2' }, { at: at(90) }))
      .then(converted(90, 'D-2'));
  });

  it('refuses a lead that has not reached SQL (LEAD_NOT_SALES_QUALIFIED)', () => {
    given(...asSal)
      .when(onLead('convertLead', { dealId: 'D-1' }, { at: at(60) }))
      .thenRejects('LEAD_NOT_SALES_QUALIFIED');
  });

  it('refuses the same deal twice (ALREADY_CONVERTED)', () => {
    given(...asOpportunity)
      .when(onLead('convertLead', { dealId: 'D-1' }, { at: at(90) }))
      .thenRejects('ALREADY_CONVERTED');
  });
});

describe('forgetLead', () => {
  it('erases the lead: its personal data leaves the state', () => {
    const state = given(...asMql)
      .when(onLead('forgetLead', { reason: 'GDPR request' }, { at: at(15) }))
      .thenState<LeadState>();
    expect(state).toMatchObject({ forgotten: true, email: null, name: null, company: null });
  });

  it('emits LeadForgotten', () => {
    given(captured)
      .when(onLead('forgetLead', { reason: 'GDPR request' }, { at: at(5) }))
      .then(forgotten());
  });

  it('refuses a lead that does not exist (NOT_FOUND)', () => {
    given()
      .when(onLead('forgetLead', { reason: 'x' }))
      .thenNotFound('Lead', LEAD_ID);
  });

  it('makes the lead accept no further command (LEAD_FORGOTTEN)', () => {
    const history = [...asSql, forgotten(70)];
    const later = { at: at(80) };
    for (const [type, input] of [
      ['captureLead', captureInput],
      ['recordTouch', { touchId: 'T-9', channel: 'EMAIL' }],
      ['scoreLead', { fit: 1, engagement: 1 }],
      ['qualifyLead', {}],
      ['handOffLead', { handoffId: 'H-2', repId: 'rex' }],
      ['acceptHandoff', {}],
      ['rejectHandoff', { reason: 'BAD_DATA' }],
      ['recycleLead', { reason: 'x' }],
      ['logContactAttempt', { channel: 'CALL', outcome: 'CONNECTED' }],
      ['qualifyForSales', {}],
      ['disqualifyLead', { reason: 'x' }],
      ['reassignLead', { toRepId: 'ora' }],
      [
        'recordSlaBreach',
        { handoffId: 'H-1', kind: 'ACCEPTANCE', deadline: at(80), detectedAt: at(80) },
      ],
      ['convertLead', { dealId: 'D-1' }],
      ['forgetLead', { reason: 'again' }],
    ] as const) {
      given(...history)
        .when(onLead(type, input, later))
        .thenRejects('LEAD_FORGOTTEN');
    }
  });
});
