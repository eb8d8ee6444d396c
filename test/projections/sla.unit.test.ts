import { bucketOf } from '../../src/projections/histogram';
import {
  dailyDocId,
  SLA_BREACHES,
  SLA_DAILY,
  SLA_HANDOFFS,
  slaProjection,
} from '../../src/projections/sla/projection';
import { at, D, HISTORY } from './fixtures';
import { MemoryReadModel } from './harness';

const hist = (...minutes: number[]) =>
  minutes.reduce<Record<string, number>>((h, m) => {
    const key = bucketOf(m * 60);
    h[key] = (h[key] ?? 0) + 1;
    return h;
  }, {});

describe('sla projection', () => {
  const model = new MemoryReadModel(slaProjection).apply(HISTORY, 4);
  const daily = (day: string, rep: string, team: string | null) => {
    const { _id, ...doc } = model.all(SLA_DAILY)[dailyDocId(day, rep, team)]!;
    return doc;
  };

  it('counts each fact for the rep it concerns, on the day it happened', () => {
    expect(model.all(SLA_DAILY)).toHaveProperty([dailyDocId('2026-07-01', 'rex', 'EMEA')]);
    expect(daily('2026-07-01', 'rex', 'EMEA')).toEqual({
      day: '2026-07-01',
      repId: 'rex',
      team: 'EMEA',
      handoffs: 2,
      acceptedInTime: 1,
      acceptedLate: 1,
      breaches: 1,
      breachesByKind: { ACCEPTANCE: 1 },
      attempts: 1,
      firstContacts: 1,
      hist: { accept: hist(30, 200), firstContact: hist(90) },
    });
    expect(daily('2026-07-02', 'ora', 'EMEA')).toEqual({
      day: '2026-07-02',
      repId: 'ora',
      team: 'EMEA',
      handoffs: 1,
      rejected: 1,
      rejectedByReason: { NOT_ICP: 1 },
    });
    // Handed to ula, reassigned to rex who accepted, was breached, then made contact late.
    expect(daily('2026-07-02', 'ula', 'NA')).toEqual({
      day: '2026-07-02',
      repId: 'ula',
      team: 'NA',
      handoffs: 1,
      reassignedOut: 1,
    });
    expect(daily('2026-07-02', 'rex', 'NA')).toEqual({
      day: '2026-07-02',
      repId: 'rex',
      team: 'NA',
      reassignedIn: 1,
      acceptedInTime: 1,
      breaches: 1,
      breachesByKind: { FIRST_CONTACT: 1 },
      attempts: 1,
      firstContacts: 1,
      hist: { accept: hist(40), firstContact: hist(320) },
    });
    expect(Object.keys(model.all(SLA_DAILY))).toHaveLength(4);
  });

  it('lists each breach with the owner at the deadline', () => {
    expect(model.all(SLA_BREACHES)).toEqual({
      'L2|H2|ACCEPTANCE': {
        _id: 'L2|H2|ACCEPTANCE',
        breachId: 'L2|H2|ACCEPTANCE',
        leadId: 'L2',
        handoffId: 'H2',
        kind: 'ACCEPTANCE',
        deadline: at(160),
        detectedAt: at(165),
        ownerRepId: 'rex',
        team: 'EMEA',
      },
      'L3|H3b|FIRST_CONTACT': {
        _id: 'L3|H3b|FIRST_CONTACT',
        breachId: 'L3|H3b|FIRST_CONTACT',
        leadId: 'L3',
        handoffId: 'H3b',
        kind: 'FIRST_CONTACT',
        deadline: at(D + 420),
        detectedAt: at(D + 425),
        ownerRepId: 'rex',
        team: 'NA',
      },
    });
  });

  it('remembers each handoff’s current rep and first contact', () => {
    expect(model.get(SLA_HANDOFFS, 'L3|H3b')).toMatchObject({
      repId: 'rex',
      team: 'NA',
      handedOffAt: at(D + 180),
      firstContactAt: at(D + 500),
    });
    // SQL after a contact attempt is not a second first contact.
    expect(model.get(SLA_HANDOFFS, 'L1|H1')).toMatchObject({ firstContactAt: at(150) });
  });
});
