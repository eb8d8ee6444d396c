import { COMMANDS, followUps } from '../../src/domain/catalog';
import type { DealState } from '../../src/domain/deal/decider';
import type { DomainEvent } from '../../src/domain/shared/decider';
import type { Actor } from '../../src/domain/shared/values';
import { actors, at, command, event, fold, given } from './support';
import {
  asMql,
  asOpportunity,
  asSal,
  asSql,
  captured,
  disqualified,
  forgotten,
  LEAD_ID,
} from './lead-fixtures';

const DEAL_ID = 'D-1';
const leadContext = (history: DomainEvent[], leadId = LEAD_ID) => ({
  [`lead:${leadId}`]: fold('lead', history),
});

const open = {
  dealId: DEAL_ID,
  leadIds: [LEAD_ID],
  account: 'Acme',
  amount: 50_000,
  currency: 'EUR',
  ownerRepId: 'rex',
};

const opened = event('DealOpened', open, at(60));
const outcome = { dealId: DEAL_ID, leadIds: [LEAD_ID], currency: 'EUR', ownerRepId: 'rex' };
const won = (minutes: number, amount = 50_000) =>
  event('DealWon', { ...outcome, amount }, at(minutes));
const lost = (minutes: number) =>
  event('DealLost', { ...outcome, amount: 50_000, reason: 'PRICE', competitor: null }, at(minutes));
const reopened = (minutes: number, fromStatus = 'WON') =>
  event('DealReopened', { dealId: DEAL_ID, fromStatus, reason: null }, at(minutes));

const onDeal = (
  type: string,
  input: Record<string, unknown>,
  minutes: number,
  actor: Actor = actors.rep,
) => command(type, { dealId: DEAL_ID, ...input }, { at: at(minutes), actor });

describe('openDeal', () => {
  const openDeal = (context: Record<string, unknown>, minutes = 60) =>
    command('openDeal', open, { at: at(minutes), actor: actors.rep, context });

  it('opens a deal on sales-qualified leads', () => {
    given()
      .when(openDeal(leadContext(asSql)))
      .then(opened);
  });

  it('opens a second deal on a lead already converted (upsell)', () => {
    given()
      .when(openDeal(leadContext(asOpportunity), 90))
      .thenState<DealState>();
  });

  it('converts each lead as a follow-up', () => {
    const cmd = openDeal(leadContext(asSql));
    const events = given().when(cmd).then(opened);
    expect(followUps(cmd, events)).toEqual([
      { type: 'convertLead', data: { leadId: LEAD_ID, dealId: DEAL_ID } },
    ]);
    expect(followUps(cmd, [won(70)])).toEqual([]);
  });

  it('declares each lead stream as a dependency', () => {
    const spec = COMMANDS.openDeal!;
    const data = spec.schema.parse({ ...open, leadIds: ['L-1', 'L-2'] });
    expect(spec.dependencies!(data)).toEqual([
      { key: 'lead:L-1', streamId: 'lead-L-1', aggregate: 'lead' },
      { key: 'lead:L-2', streamId: 'lead-L-2', aggregate: 'lead' },
    ]);
  });

  it('refuses a lead that does not exist (NOT_FOUND)', () => {
    given()
      .when(openDeal({ [`lead:${LEAD_ID}`]: fold('lead', []) }))
      .thenNotFound('Lead', LEAD_ID);
    given().when(openDeal({})).thenNotFound('Lead', LEAD_ID);
  });

  it('refuses a forgotten lead (LEAD_FORGOTTEN)', () => {
    given()
      .when(openDeal(leadContext([...asSql, forgotten(55)])))
      .thenRejects('LEAD_FORGOTTEN');
  });

  it('refuses a disqualified lead (LEAD_DISQUALIFIED)', () => {
    given()
      .when(openDeal(leadContext([...asMql, disqualified(15)])))
      .thenRejects('LEAD_DISQUALIFIED');
  });

  it('refuses a lead that has not reached SQL (LEAD_NOT_SALES_QUALIFIED)', () => {
    given()
      .when(openDeal(leadContext(asSal)))
      .thenRejects('LEAD_NOT_SALES_QUALIFIED');
    given()
      .when(openDeal(leadContext([captured])))
      .thenRejects('LEAD_NOT_SALES_QUALIFIED');
  });

  it("refuses a deal dated before a lead's qualification (OCCURRED_OUT_OF_ORDER)", () => {
    given()
      .when(openDeal(leadContext(asSql), 45))
      .thenRejects('OCCURRED_OUT_OF_ORDER');
  });

  it('refuses a deal id that exists (DEAL_ALREADY_EXISTS)', () => {
    given(opened)
      .when(openDeal(leadContext(asSql)))
      .thenRejects('DEAL_ALREADY_EXISTS');
  });

  it('validates amount > 0, ISO 4217 currency and distinct leads (input validation)', () => {
    const parse = (input: Record<string, unknown>) =>
      COMMANDS.openDeal!.schema.safeParse({ ...open, ...input });
    expect(parse({}).success).toBe(true);
    expect(parse({ amount: 0 }).success).toBe(false);
    expect(parse({ amount: -5 }).success).toBe(false);
    expect(parse({ currency: 'EURO' }).success).toBe(false);
    expect(parse({ currency: 'ABC' }).success).toBe(false);
    expect(parse({ leadIds: [] }).success).toBe(false);
    expect(parse({ leadIds: ['L-1', 'L-1'] }).success).toBe(false);
  });

  it('fills a missing dealId from the IdSource', () => {
    const prepared = COMMANDS.openDeal!.prepare!(
      { ...open, dealId: undefined },
      {
        next: (purpose) => `id-for-${purpose}`,
      },
    );
    expect(prepared.dealId).toBe('id-for-dealId');
  });
});

describe('changeDealStage', () => {
  it('moves an open deal along the pipeline', () => {
    given(opened)
      .when(onDeal('changeDealStage', { stage: 'PROPOSAL' }, 70))
      .then(
        event(
          'DealStageChanged',
          { dealId: DEAL_ID, fromStage: null, toStage: 'PROPOSAL' },
          at(70),
        ),
      );
  });

  it('refuses the stage the deal is in (DEAL_STAGE_UNCHANGED)', () => {
    const staged = event(
      'DealStageChanged',
      { dealId: DEAL_ID, fromStage: null, toStage: 'PROPOSAL' },
      at(65),
    );
    given(opened, staged)
      .when(onDeal('changeDealStage', { stage: 'PROPOSAL' }, 70))
      .thenRejects('DEAL_STAGE_UNCHANGED');
  });

  it('refuses a closed deal (DEAL_CLOSED)', () => {
    given(opened, won(65))
      .when(onDeal('changeDealStage', { stage: 'PROPOSAL' }, 70))
      .thenRejects('DEAL_CLOSED');
  });

  it("refuses another rep's deal (NOT_DEAL_OWNER)", () => {
    given(opened)
      .when(onDeal('changeDealStage', { stage: 'PROPOSAL' }, 70, actors.otherRep))
      .thenRejects('NOT_DEAL_OWNER');
  });

  it('refuses a deal that does not exist (NOT_FOUND)', () => {
    given()
      .when(onDeal('changeDealStage', { stage: 'X' }, 70))
      .thenNotFound('Deal', DEAL_ID);
  });
});

describe('changeDealAmount', () => {
  it('changes the amount of an open deal, in its currency', () => {
    given(opened)
      .when(onDeal('changeDealAmount', { amount: 60_000, currency: 'EUR' }, 70))
      .then(
        event(
          'DealAmountChanged',
          { dealId: DEAL_ID, fromAmount: 50_000, toAmount: 60_000, currency: 'EUR', reason: null },
          at(70),
        ),
      );
  });

  it('keeps the currency fixed at open (DEAL_CURRENCY_FIXED)', () => {
    given(opened)
      .when(onDeal('changeDealAmount', { amount: 60_000, currency: 'USD' }, 70))
      .thenRejects('DEAL_CURRENCY_FIXED');
  });

  it('refuses the current amount (DEAL_AMOUNT_UNCHANGED)', () => {
    given(opened)
      .when(onDeal('changeDealAmount', { amount: 50_000 }, 70))
      .thenRejects('DEAL_AMOUNT_UNCHANGED');
  });

  it('refuses a closed deal (DEAL_CLOSED)', () => {
    given(opened, lost(65))
      .when(onDeal('changeDealAmount', { amount: 1 }, 70))
      .thenRejects('DEAL_CLOSED');
  });
});

describe('winDeal', () => {
  it('wins at the current amount by default', () => {
    given(opened)
      .when(onDeal('winDeal', {}, 70))
      .then(won(70));
  });

  it('wins at the amount given', () => {
    const state = given(opened)
      .when(onDeal('winDeal', { amount: 45_000 }, 70))
      .thenState<DealState>();
    expect(state).toMatchObject({ status: 'WON', amount: 45_000 });
  });

  it('refuses a closed deal unless reopened (DEAL_ALREADY_CLOSED)', () => {
    given(opened, won(65))
      .when(onDeal('winDeal', {}, 70))
      .thenRejects('DEAL_ALREADY_CLOSED');
    given(opened, lost(65))
      .when(onDeal('winDeal', {}, 70))
      .thenRejects('DEAL_ALREADY_CLOSED');
    given(opened, lost(65), reopened(66, 'LOST'))
      .when(onDeal('winDeal', {}, 70))
      .then(won(70));
  });

  it("refuses another rep's deal (NOT_DEAL_OWNER), not an admin", () => {
    given(opened)
      .when(onDeal('winDeal', {}, 70, actors.otherRep))
      .thenRejects('NOT_DEAL_OWNER');
    given(opened)
      .when(onDeal('winDeal', {}, 70, actors.admin))
      .then(won(70));
  });

  it('refuses a win dated before the deal opened (OCCURRED_OUT_OF_ORDER)', () => {
    given(opened)
      .when(onDeal('winDeal', {}, 59))
      .thenRejects('OCCURRED_OUT_OF_ORDER');
  });

  it('refuses a win in the future (OCCURRED_IN_FUTURE)', () => {
    const cmd = onDeal('winDeal', {}, 70);
    given(opened)
      .when({ ...cmd, meta: { ...cmd.meta, now: at(60) } })
      .thenRejects('OCCURRED_IN_FUTURE');
  });

  it('refuses an amount of 0 (input validation)', () => {
    expect(COMMANDS.winDeal!.schema.safeParse({ dealId: DEAL_ID, amount: 0 }).success).toBe(false);
  });
});

describe('loseDeal', () => {
  it('loses an open deal with its reason', () => {
    given(opened)
      .when(onDeal('loseDeal', { reason: 'PRICE' }, 70))
      .then(lost(70));
  });

  it('names the competitor when lost to one (COMPETITOR_REQUIRED)', () => {
    given(opened)
      .when(onDeal('loseDeal', { reason: 'COMPETITOR' }, 70))
      .thenRejects('COMPETITOR_REQUIRED');
    const state = given(opened)
      .when(onDeal('loseDeal', { reason: 'COMPETITOR', competitor: 'Rival Inc' }, 70))
      .thenState<DealState>();
    expect(state.status).toBe('LOST');
  });

  it('refuses a closed deal (DEAL_ALREADY_CLOSED)', () => {
    given(opened, lost(65))
      .when(onDeal('loseDeal', { reason: 'PRICE' }, 70))
      .thenRejects('DEAL_ALREADY_CLOSED');
  });

  it('accepts only the listed reasons (input validation)', () => {
    const parsed = COMMANDS.loseDeal!.schema.safeParse({ dealId: DEAL_ID, reason: 'BAD_LUCK' });
    expect(parsed.success).toBe(false);
  });
});

describe('reopenDeal', () => {
  it('reopens a won or lost deal', () => {
    given(opened, won(65))
      .when(onDeal('reopenDeal', {}, 70))
      .then(reopened(70));
    given(opened, lost(65))
      .when(onDeal('reopenDeal', {}, 70))
      .then(reopened(70, 'LOST'));
  });

  it('refuses an open deal (DEAL_NOT_CLOSED)', () => {
    given(opened)
      .when(onDeal('reopenDeal', {}, 70))
      .thenRejects('DEAL_NOT_CLOSED');
  });

  it("refuses another rep's deal (NOT_DEAL_OWNER)", () => {
    given(opened, won(65))
      .when(onDeal('reopenDeal', {}, 70, actors.otherRep))
      .thenRejects('NOT_DEAL_OWNER');
  });
});
