import { COMMANDS } from '../../src/domain/catalog';
import type { CampaignState } from '../../src/domain/campaign/decider';
import { actors, command, event, given } from './support';

const CAMPAIGN_ID = 'cmp-webinar';
const registered = event('CampaignRegistered', {
  campaignId: CAMPAIGN_ID,
  name: 'Summer webinar',
  channel: 'WEBINAR',
});
const cost = {
  campaignId: CAMPAIGN_ID,
  amount: 1200,
  currency: 'EUR',
  periodStart: '2026-07-01',
  periodEnd: '2026-07-31',
};
const on = (type: string, input: Record<string, unknown>) =>
  command(type, input, { actor: actors.marketing });

describe('registerCampaign', () => {
  it('registers a campaign', () => {
    given()
      .when(
        on('registerCampaign', {
          campaignId: CAMPAIGN_ID,
          name: 'Summer webinar',
          channel: 'WEBINAR',
        }),
      )
      .then(registered);
  });

  it('refuses an id already registered (CAMPAIGN_ALREADY_REGISTERED)', () => {
    given(registered)
      .when(on('registerCampaign', { campaignId: CAMPAIGN_ID, name: 'Again', channel: 'EMAIL' }))
      .thenRejects('CAMPAIGN_ALREADY_REGISTERED');
  });
});

describe('recordCampaignCost', () => {
  it('records a cost for a period', () => {
    given(registered)
      .when(on('recordCampaignCost', cost))
      .then(event('CampaignCostRecorded', cost));
  });

  it('adds costs up', () => {
    const state = given(registered, event('CampaignCostRecorded', cost))
      .when(on('recordCampaignCost', { ...cost, amount: 300 }))
      .thenState<CampaignState>();
    expect(state).toMatchObject({ totalCost: 1500, currency: 'EUR' });
  });

  it('refuses a campaign that is not registered (NOT_FOUND)', () => {
    given().when(on('recordCampaignCost', cost)).thenNotFound('Campaign', CAMPAIGN_ID);
  });

  it('refuses a period that ends before it starts (COST_PERIOD_INVERTED)', () => {
    given(registered)
      .when(on('recordCampaignCost', { ...cost, periodStart: '2026-08-01' }))
      .thenRejects('COST_PERIOD_INVERTED');
  });

  it("keeps a campaign's costs in one currency (CAMPAIGN_CURRENCY_MISMATCH)", () => {
    given(registered, event('CampaignCostRecorded', cost))
      .when(on('recordCampaignCost', { ...cost, currency: 'USD' }))
      .thenRejects('CAMPAIGN_CURRENCY_MISMATCH');
  });

  it('validates amount > 0, ISO 4217 currency and calendar dates (input validation)', () => {
    const parse = (input: Record<string, unknown>) =>
      COMMANDS.recordCampaignCost!.schema.safeParse({ ...cost, ...input });
    expect(parse({}).success).toBe(true);
    expect(parse({ amount: 0 }).success).toBe(false);
    expect(parse({ currency: 'eur' }).success).toBe(false);
    expect(parse({ periodEnd: '2026-02-30' }).success).toBe(false);
  });
});
