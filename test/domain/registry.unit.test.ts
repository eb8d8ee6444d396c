import legacyLeadCaptured from '../fixtures/events/lead-captured.v1.json';
import {
  currentSchemaVersion,
  EVENT_TYPES,
  upcast,
  validateEvent,
} from '../../src/domain/registry';
import { ValidationError } from '../../src/domain/shared/errors';
import { segmentForCompanySize } from '../../src/domain/upcasting';
import { actors, command, fold, given } from './support';

const DESIGN_EVENTS = {
  lead: [
    'LeadCaptured',
    'TouchRecorded',
    'LeadScored',
    'LeadMarketingQualified',
    'LeadHandedOff',
    'HandoffAccepted',
    'HandoffRejected',
    'LeadRecycled',
    'ContactAttemptLogged',
    'LeadSalesQualified',
    'LeadDisqualified',
    'LeadReassigned',
    'SlaBreached',
    'LeadConverted',
    'LeadForgotten',
  ],
  deal: [
    'DealOpened',
    'DealStageChanged',
    'DealAmountChanged',
    'DealWon',
    'DealLost',
    'DealReopened',
  ],
  slaAgreement: ['SlaAgreementDefined', 'SlaAgreementRevised'],
  campaign: ['CampaignRegistered', 'CampaignCostRecorded'],
  goals: ['GoalsSet'],
  ledger: ['LedgerAnchored', 'LedgerHeadsRecorded'],
};

describe('EVENT_TYPES', () => {
  it('registers every event of the design, under its aggregate', () => {
    const registered = Object.entries(EVENT_TYPES).map(([type, info]) => [type, info.aggregate]);
    const designed = Object.entries(DESIGN_EVENTS).flatMap(([aggregate, types]) =>
      types.map((type) => [type, aggregate]),
    );
    expect(registered.sort()).toEqual(designed.sort());
  });

  it('writes LeadCaptured as version 2 and the others as version 1', () => {
    expect(currentSchemaVersion('LeadCaptured')).toBe(2);
    expect(currentSchemaVersion('DealWon')).toBe(1);
  });

  it('marks the personal fields the event store encrypts', () => {
    expect(EVENT_TYPES.LeadCaptured?.pii).toEqual(['email', 'name']);
  });

  it('refuses an unknown event type', () => {
    expect(() => currentSchemaVersion('LeadTeleported')).toThrow(ValidationError);
    expect(() => validateEvent('LeadTeleported', {})).toThrow(ValidationError);
  });
});

describe('validateEvent', () => {
  it('returns the normalised data of a valid event', () => {
    expect(validateEvent('LeadConverted', { leadId: 'L-1', dealId: 'D-1' })).toEqual({
      leadId: 'L-1',
      dealId: 'D-1',
    });
  });

  it('lists each invalid field under data.*', () => {
    try {
      validateEvent('DealWon', { dealId: 'D-1', leadIds: [], amount: -1, currency: 'EUR' });
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fields.map((f) => f.path).sort()).toEqual([
        'data.amount',
        'data.leadIds',
        'data.ownerRepId',
      ]);
    }
  });
});

describe('upcast', () => {
  it('turns a stored LeadCaptured v1 into v2, deriving the segment from company size', () => {
    const { type, schemaVersion, data } = legacyLeadCaptured;
    const current = upcast({ type, schemaVersion, data });
    expect(current).toEqual({
      schemaVersion: 2,
      data: {
        leadId: 'legacy-0042',
        email: 'grace.hopper@navy.example',
        name: 'Grace Hopper',
        company: 'Navy Labs',
        segment: 'MID_MARKET',
        channel: 'EVENT',
        campaignId: 'cmp-expo-2025',
      },
    });
    expect(validateEvent(type, current.data)).toEqual(current.data);
  });

  it('folds the upcast event into a lead that accepts commands', () => {
    const { type, schemaVersion, data, occurredAt } = legacyLeadCaptured;
    const stored = { type, occurredAt, data: upcast({ type, schemaVersion, data }).data };
    expect(fold('lead', [stored])).toMatchObject({
      exists: true,
      leadId: 'legacy-0042',
      segment: 'MID_MARKET',
    });
    given(stored)
      .when(command('qualifyLead', { leadId: 'legacy-0042' }, { actor: actors.marketing }))
      .thenState();
  });

  it.each([
    [undefined, 'SMB'],
    [null, 'SMB'],
    [0, 'SMB'],
    [99, 'SMB'],
    [100, 'MID_MARKET'],
    [999, 'MID_MARKET'],
    [1000, 'ENTERPRISE'],
  ])('maps a company of %s employees to %s', (size, segment) => {
    expect(segmentForCompanySize(size)).toBe(segment);
  });

  it('defaults a v1 lead without company size to SMB and null optional fields', () => {
    const v1 = { leadId: 'L-7', email: 'a@b.co', channel: 'DIRECT' };
    expect(upcast({ type: 'LeadCaptured', schemaVersion: 1, data: v1 }).data).toEqual({
      leadId: 'L-7',
      email: 'a@b.co',
      name: null,
      company: null,
      segment: 'SMB',
      channel: 'DIRECT',
      campaignId: null,
    });
  });

  it('leaves current versions and unknown types as they are', () => {
    const data = { leadId: 'L-1', dealId: 'D-1' };
    expect(upcast({ type: 'LeadConverted', schemaVersion: 1, data })).toEqual({
      schemaVersion: 1,
      data,
    });
    expect(upcast({ type: 'FutureThing', schemaVersion: 3, data })).toEqual({
      schemaVersion: 3,
      data,
    });
  });

  it('refuses a version newer than this code knows', () => {
    expect(() => upcast({ type: 'LeadCaptured', schemaVersion: 3, data: {} })).toThrow(/newer/);
  });
});
