import {
  LEAD_DEALS,
  LEAD_TOUCHES,
  LEADS,
  leadsProjection,
  type LeadDoc,
} from '../../src/projections/leads/projection';
import { stageOf } from '../../src/projections/leads/queries';
import { at, D, HISTORY, historyBefore } from './fixtures';
import { MemoryReadModel } from './harness';

const fold = (events = HISTORY, batchSize = 1) =>
  new MemoryReadModel(leadsProjection).apply(events, batchSize);
const leadIn = (model: MemoryReadModel, id: string) => model.get(LEADS, id) as unknown as LeadDoc;

describe('leads projection', () => {
  const model = fold();

  it('keeps a converted, won lead with its source, scores, touches and stage dates', () => {
    const l1 = leadIn(model, 'L1');
    expect(l1).toMatchObject({
      leadId: 'L1',
      lifecycleStage: 'OPPORTUNITY',
      ownerRepId: 'rex',
      team: 'EMEA',
      segment: 'SMB',
      channel: 'WEBINAR',
      campaignId: 'cmp-a',
      email: 'l1@example.com',
      scores: { fit: 80, engagement: 60, modelVersion: 'v3' },
      touchCount: 2,
      // t2 was recorded after t1 but happened before it.
      firstTouch: { touchId: 't2', at: at(2), channel: 'WEBINAR', campaignId: 'cmp-a' },
      lastTouch: { touchId: 't1', at: at(5), channel: 'EMAIL', campaignId: 'cmp-n' },
      dealIds: ['D1'],
      openDeals: 0,
      wonDeals: 1,
      lostDeals: 0,
      slaStatus: 'MET',
      capturedAt: at(0),
      updatedAt: at(10 * D),
    });
    expect(stageOf(l1)).toBe('WON');
    expect(l1.stageDates).toEqual({
      LEAD: at(0),
      MQL: at(60),
      HANDED_OFF: at(60),
      SAL: at(90),
      SQL: at(D),
      OPPORTUNITY: at(2 * D),
      WON: at(10 * D),
    });
    expect(l1.handoffs).toHaveLength(1);
    expect(l1.handoffs[0]).toMatchObject({
      handoffId: 'H1',
      status: 'ACCEPTED',
      acceptedAt: at(90),
      acceptedWithinSla: true,
      firstContactAt: at(150),
      attempts: 1,
      qualifiedAt: at(D),
      closedAt: at(2 * D),
      sla: 'MET',
    });
  });

  it('releases a recycled lead and keeps its breached handoff', () => {
    const l2 = leadIn(model, 'L2');
    expect(l2).toMatchObject({
      lifecycleStage: 'RECYCLED',
      ownerRepId: null,
      team: null,
      scores: null,
      slaStatus: 'BREACHED',
    });
    expect(stageOf(l2)).toBe('RECYCLED');
    expect(l2.handoffs[0]).toMatchObject({
      status: 'ACCEPTED',
      acceptedWithinSla: false,
      breaches: ['ACCEPTANCE'],
      closedAt: at(2 * D),
    });
  });

  it('follows rejection, a second handoff and reassignment', () => {
    const l3 = leadIn(model, 'L3');
    expect(l3.handoffs.map((h) => [h.handoffId, h.status, h.repId, h.team, h.sla])).toEqual([
      ['H3a', 'REJECTED', 'ora', 'EMEA', 'MET'],
      ['H3b', 'ACCEPTED', 'rex', 'NA', 'BREACHED'],
    ]);
    expect(l3.handoffs[0]).toMatchObject({ rejectionReason: 'NOT_ICP', rejectedAt: at(D + 150) });
    expect(l3.handoffs[1]!.owners).toEqual([
      { repId: 'ula', since: at(D + 180) },
      { repId: 'rex', since: at(D + 200) },
    ]);
    expect(l3.handoffs[1]!.breaches).toEqual(['FIRST_CONTACT']);
    expect(l3).toMatchObject({ ownerRepId: 'rex', team: 'NA', slaStatus: 'BREACHED' });
    // Re-entering MQL on rejection moves its date: stage dates are the latest entries.
    expect(l3.stageDates.MQL).toBe(at(D + 150));
  });

  it('derives WON and LOST from the deals, through a reopening', () => {
    const stageAt = (type: string) => stageOf(leadIn(fold(historyBefore(type, 'deal-D2')), 'L3'));
    expect(stageAt('DealLost')).toBe('OPPORTUNITY');
    expect(stageAt('DealReopened')).toBe('LOST');
    expect(stageAt('DealWon')).toBe('OPPORTUNITY');
    expect(stageOf(leadIn(model, 'L3'))).toBe('WON');
    expect(leadIn(model, 'L3')).toMatchObject({ openDeals: 0, wonDeals: 1, lostDeals: 0 });
    expect(model.get(LEAD_DEALS, 'D2')).toMatchObject({ dealId: 'D2', leadIds: ['L3'] });
  });

  it('scrubs PII (and rejection notes) when a lead is forgotten', () => {
    const l4 = leadIn(model, 'L4');
    expect(l4).toMatchObject({
      forgotten: true,
      email: null,
      name: null,
      company: null,
      lifecycleStage: 'DISQUALIFIED',
      segment: 'MID_MARKET',
    });
    const forgotten = {
      type: 'LeadForgotten',
      data: { leadId: 'L3', reason: 'asked' },
      streamId: 'lead-L3',
      revision: 99,
      position: '9999999999999999',
      occurredAt: at(20 * D),
      recordedAt: at(20 * D),
      actorId: 'ada',
    };
    const l3 = leadIn(fold([...HISTORY, forgotten]), 'L3');
    expect(l3).toMatchObject({ email: null, name: null, company: null, forgotten: true });
    expect(l3.handoffs.map((h) => h.rejectionNote)).toEqual([null, null]);
  });

  it('keeps one touch document per touch', () => {
    expect(model.all(LEAD_TOUCHES)).toEqual({
      'L1|t1': {
        _id: 'L1|t1',
        leadId: 'L1',
        touchId: 't1',
        channel: 'EMAIL',
        campaignId: 'cmp-n',
        contentId: null,
        kind: 'MARKETING',
        createsLead: false,
        occurredAt: at(5),
      },
      'L1|t2': {
        _id: 'L1|t2',
        leadId: 'L1',
        touchId: 't2',
        channel: 'WEBINAR',
        campaignId: 'cmp-a',
        contentId: 'c-9',
        kind: 'MARKETING',
        createsLead: true,
        occurredAt: at(2),
      },
    });
  });

  it('marks a pending handoff PENDING and an acceptance in time without contact still PENDING', () => {
    const pending = leadIn(fold(historyBefore('HandoffAccepted', 'lead-L1')), 'L1');
    expect(pending).toMatchObject({ lifecycleStage: 'HANDED_OFF', slaStatus: 'PENDING' });
    const accepted = leadIn(fold(historyBefore('ContactAttemptLogged', 'lead-L1')), 'L1');
    expect(accepted).toMatchObject({ lifecycleStage: 'SAL', slaStatus: 'PENDING' });
  });
});
