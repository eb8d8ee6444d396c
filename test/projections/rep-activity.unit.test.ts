import { rollupDocId } from '../../src/projections/rollup';
import { bucketOf } from '../../src/projections/histogram';
import {
  REP_ACTIVITY_DEALS,
  REP_ACTIVITY_HANDOFFS,
  REP_ACTIVITY_REPS,
  REP_ACTIVITY_STATS,
  repActivityProjection,
} from '../../src/projections/rep-activity/projection';
import { outliers } from '../../src/projections/rep-activity/queries';
import { at, expectSameDocumentsAnyBatching, history, repDrafts, won } from './analytics.fixtures';
import { at as minutesAfter, D, HISTORY } from './fixtures';
import { MemoryReadModel } from './harness';

const hist = (...minutes: number[]) =>
  minutes.reduce<Record<string, number>>((h, m) => {
    const key = bucketOf(m * 60);
    h[key] = (h[key] ?? 0) + 1;
    return h;
  }, {});

const EVENTS = [...HISTORY, ...history(repDrafts(), HISTORY)];

describe('repActivity projection', () => {
  const model = new MemoryReadModel(repActivityProjection).apply(EVENTS, 5);
  const stats = (grain: 'D' | 'M' | 'Y', bucket: string, rep: string, team: string | null) => {
    const doc = model.get(REP_ACTIVITY_STATS, rollupDocId(grain, bucket, [rep, team]));
    if (!doc) return undefined;
    const { _id, _pos, grain: _g, bucket: _b, ...fields } = doc;
    return fields;
  };

  it('counts each fact for the rep who did it, under the handoff’s team, on its day', () => {
    expect(stats('D', '2026-07-01', 'rex', 'EMEA')).toEqual({
      repId: 'rex',
      team: 'EMEA',
      handoffs: 2,
      accepted: 2,
      attempts: 1,
      firstContacts: 1,
      hist: { firstContact: hist(90) },
    });
    expect(stats('D', '2026-07-02', 'rex', 'EMEA')).toEqual({
      repId: 'rex',
      team: 'EMEA',
      sqls: 1,
    });
    // L3: handed to ula (NA), reassigned to rex, who accepts, calls (320 min) and qualifies.
    expect(stats('M', '2026-07', 'rex', 'NA')).toMatchObject({
      reassignedIn: 1,
      accepted: 1,
      attempts: 1,
      firstContacts: 1,
      sqls: 1,
      hist: { firstContact: hist(320) },
    });
    expect(stats('D', '2026-07-02', 'ula', 'NA')).toEqual({
      repId: 'ula',
      team: 'NA',
      handoffs: 1,
      reassignedOut: 1,
    });
    expect(stats('D', '2026-07-02', 'ora', 'EMEA')).toEqual({
      repId: 'ora',
      team: 'EMEA',
      handoffs: 1,
      rejected: 1,
    });
    expect(model.get(REP_ACTIVITY_HANDOFFS, 'L3|H3b')).toMatchObject({
      repId: 'rex',
      team: 'NA',
      handedOffAt: minutesAfter(D + 180),
      firstContactAt: minutesAfter(D + 500),
    });
  });

  it('counts a win for the deal owner under their latest team, and takes it back on reopening', () => {
    // rex's latest handoff came by reassignment in NA: both wins count there.
    expect(model.get(REP_ACTIVITY_REPS, 'rex')).toMatchObject({ team: 'NA' });
    expect(stats('M', '2026-07', 'rex', 'NA')).toMatchObject({ won: 2, revenue: { EUR: 200000 } });
    expect(stats('D', '2026-08-10', 'p2', 'EMEA')).toMatchObject({
      won: 2,
      revenue: { EUR: 100000, USD: 50000 },
    });
    expect(stats('D', '2026-08-11', 'p1', 'EMEA')).toMatchObject({ won: 0, revenue: { EUR: 0 } });
    expect(model.get(REP_ACTIVITY_DEALS, 'p1-DX')).toMatchObject({ win: null });
    expect(stats('Y', '2026', 'p1', 'EMEA')).toMatchObject({ won: 1, revenue: { EUR: 100000 } });
  });

  it('counts the first contact once per handoff, attempts every time', () => {
    expect(stats('D', '2026-08-03', 'p6', 'EMEA')).toMatchObject({
      handoffs: 2,
      accepted: 2,
      attempts: 20,
      firstContacts: 2,
      hist: { firstContact: hist(120, 120) },
    });
  });

  it('files the win of an owner who never had a handoff under no team', () => {
    const m = new MemoryReadModel(repActivityProjection).apply(
      history([won('DZ', ['LZ'], at('2026-07-01'), { ownerRepId: 'zed' })]),
    );
    expect(m.get(REP_ACTIVITY_STATS, rollupDocId('D', '2026-07-01', ['zed', null]))).toMatchObject({
      won: 1,
      revenue: { EUR: 100000 },
    });
  });

  it('gives the same documents however the events are batched', () => {
    expectSameDocumentsAnyBatching(repActivityProjection, EVENTS);
  });
});

describe('repActivity outliers', () => {
  const reps = (attempts: number[], conversion: Array<number | null>) =>
    attempts.map((a, i) => ({ attempts: a, conversion: conversion[i]! }));
  const flagged = (attempts: number[], conversion: Array<number | null>) =>
    outliers(reps(attempts, conversion)).flatMap((o, i) => (o.outlier ? [i] : []));

  it('flags attempts far above peers (z > 2) with conversion below the median', () => {
    const many = [2, 2, 2, 2, 2, 20];
    expect(flagged(many, [0.5, 0.5, 0.5, 0.5, 0.5, 0])).toEqual([5]);
    const [first] = outliers(reps(many, [0.5, 0.5, 0.5, 0.5, 0.5, 0]));
    // mean 5, population sd sqrt(45)
    expect(first!.attemptsZScore).toBeCloseTo(-3 / Math.sqrt(45), 12);
  });

  it('does not flag a busy rep who converts at or above the median', () => {
    expect(flagged([2, 2, 2, 2, 2, 20], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5])).toEqual([]);
    expect(flagged([2, 2, 2, 2, 2, 20], [0.1, 0.2, 0.3, 0.4, 0.5, 0.9])).toEqual([]);
  });

  it('does not flag a rep without conversion, nor anyone among fewer than six reps', () => {
    expect(flagged([2, 2, 2, 2, 2, 20], [0.5, 0.5, 0.5, 0.5, 0.5, null])).toEqual([]);
    expect(flagged([1, 1, 1, 1, 1000], [0.5, 0.5, 0.5, 0.5, 0])).toEqual([]);
    expect(outliers(reps([3, 3, 3], [0, 1, 0.5])).map((o) => o.attemptsZScore)).toEqual([0, 0, 0]);
    expect(outliers([])).toEqual([]);
  });
});
