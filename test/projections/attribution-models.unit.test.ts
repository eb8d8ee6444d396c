import {
  ATTRIBUTION_MODELS,
  attributionPath,
  computeAllCredits,
  computeCredits,
  HALF_LIFE_DAYS,
  UNATTRIBUTED,
  type AttributionModel,
  type Conversion,
  type Credit,
  type CreditTouch,
} from '../../src/projections/attribution/models';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const DAY_MS = 86_400_000;
/** `d` days (fractional allowed) after T0. */
const day = (d: number): string => new Date(T0 + d * DAY_MS).toISOString();

const touch = (touchId: string, d: number, more: Partial<CreditTouch> = {}): CreditTouch => ({
  touchId,
  leadId: 'L1',
  at: day(d),
  channel: 'WEBINAR',
  campaignId: null,
  createsLead: false,
  ...more,
});
const pipeline = (opened: number, amount = 1000): Conversion => ({
  kind: 'PIPELINE',
  openedAt: day(opened),
  amount,
});
const revenue = (opened: number, won: number, amount = 1000): Conversion => ({
  kind: 'REVENUE',
  openedAt: day(opened),
  wonAt: day(won),
  amount,
});

/** touchId -> credit, the rows that hold a share only. */
const split = (credits: Credit[]): Record<string, number> =>
  Object.fromEntries(credits.map((c) => [c.key, c.credit]));
const credits = (touches: CreditTouch[], conversion: Conversion, model: AttributionModel) =>
  split(computeCredits(touches, conversion, model));
const totalCents = (rows: Credit[]): number =>
  rows.reduce((n, c) => n + Math.round(c.credit * 100), 0);

/**
 * One lead's journey: t1 first touch, t3 the form fill that created the lead, t6 the last
 * touch before the deal opened (day 6), t8 the last before the win (day 12).
 */
const JOURNEY = [
  touch('t1', 0),
  touch('t2', 1),
  touch('t3', 2, { createsLead: true }),
  touch('t4', 3),
  touch('t5', 4),
  touch('t6', 5),
  touch('t7', 8),
  touch('t8', 10),
];
const WON = revenue(6, 12);
const OPENED = pipeline(6);

describe('attribution path', () => {
  it('orders touches by time, then touchId, then leadId, whatever the input order', () => {
    const path = attributionPath(
      [
        touch('b', 1, { leadId: 'L2' }),
        touch('b', 1, { leadId: 'L1' }),
        touch('a', 1),
        touch('z', 0),
      ],
      pipeline(2),
    );
    expect(path.touches.map((t) => `${t.touchId}/${t.leadId}`)).toEqual([
      'z/L1',
      'a/L1',
      'b/L1',
      'b/L2',
    ]);
  });

  it('places FT, LC, OC and CW on a revenue path', () => {
    expect(attributionPath(JOURNEY, WON).positions).toEqual({ FT: 0, LC: 2, OC: 5, CW: 7 });
  });

  it('has no CW for pipeline credit, and its OC is the last counted touch', () => {
    const path = attributionPath(JOURNEY, OPENED);
    expect(path.touches.map((t) => t.touchId)).toEqual(['t1', 't2', 't3', 't4', 't5', 't6']);
    expect(path.positions).toEqual({ FT: 0, LC: 2, OC: 5, CW: null });
  });

  it('counts a touch at the conversion instant, not one a millisecond after', () => {
    const path = attributionPath(
      [touch('at', 6), { ...touch('after', 6), at: new Date(T0 + 6 * DAY_MS + 1).toISOString() }],
      OPENED,
    );
    expect(path.touches.map((t) => t.touchId)).toEqual(['at']);
  });
});

describe('attribution models on one journey', () => {
  it('FIRST_TOUCH gives everything to the first touch', () => {
    expect(credits(JOURNEY, WON, 'FIRST_TOUCH')).toEqual({ t1: 1000 });
  });

  it('LAST_TOUCH gives everything to the last touch before the conversion point', () => {
    expect(credits(JOURNEY, WON, 'LAST_TOUCH')).toEqual({ t8: 1000 });
    expect(credits(JOURNEY, OPENED, 'LAST_TOUCH')).toEqual({ t6: 1000 });
  });

  it('LEAD_CREATION gives everything to the touch that created the lead', () => {
    expect(credits(JOURNEY, WON, 'LEAD_CREATION')).toEqual({ t3: 1000 });
  });

  it('LINEAR shares equally over the counted touches', () => {
    expect(credits(JOURNEY, WON, 'LINEAR')).toEqual(
      Object.fromEntries(JOURNEY.map((t) => [t.touchId, 125])),
    );
    // 16,666.67 cents each: floors of 16,666 lose 4 cents, all to the first of the equal shares.
    expect(credits(JOURNEY, OPENED, 'LINEAR')).toEqual({
      t1: 166.7,
      t2: 166.66,
      t3: 166.66,
      t4: 166.66,
      t5: 166.66,
      t6: 166.66,
    });
  });

  it('U_SHAPED: 40% FT, 40% LC, 20% to the touches between them, none after LC', () => {
    expect(credits(JOURNEY, WON, 'U_SHAPED')).toEqual({ t1: 400, t2: 200, t3: 400 });
  });

  it('W_SHAPED: 30% FT, LC and OC, 10% to the touches between FT and OC holding no position', () => {
    // 100 / 3 = 33.33 each; the cent left over goes to the largest share, the first on a tie.
    expect(credits(JOURNEY, WON, 'W_SHAPED')).toEqual({
      t1: 300.01,
      t2: 33.33,
      t3: 300,
      t4: 33.33,
      t5: 33.33,
      t6: 300,
    });
  });

  it('FULL_PATH: 22.5% FT, LC, OC and CW, 10% to the touches between FT and CW holding none', () => {
    expect(credits(JOURNEY, WON, 'FULL_PATH')).toEqual({
      t1: 225,
      t2: 25,
      t3: 225,
      t4: 25,
      t5: 25,
      t6: 225,
      t7: 25,
      t8: 225,
    });
  });

  it('FULL_PATH splits pipeline credit (no win yet) as W_SHAPED', () => {
    expect(credits(JOURNEY, OPENED, 'FULL_PATH')).toEqual(credits(JOURNEY, OPENED, 'W_SHAPED'));
    expect(credits(JOURNEY, OPENED, 'W_SHAPED')).toEqual({
      t1: 300.01,
      t2: 33.33,
      t3: 300,
      t4: 33.33,
      t5: 33.33,
      t6: 300,
    });
  });

  it('TIME_DECAY weighs each touch 2^(-d/7), d its days before the conversion point', () => {
    for (const conversion of [WON, OPENED, revenue(6, 12, 987_654.32)]) {
      const rows = computeCredits(JOURNEY, conversion, 'TIME_DECAY');
      const until = Date.parse(
        conversion.kind === 'REVENUE' ? conversion.wonAt : conversion.openedAt,
      );
      const weights = rows.map((r) => 2 ** (-(until - Date.parse(r.touch!.at)) / DAY_MS / 7));
      const total = weights.reduce((a, b) => a + b);
      rows.forEach((r, i) => {
        // Floors lose under a cent per touch, all given back to the largest share.
        expect(Math.abs(r.credit - (conversion.amount * weights[i]!) / total)).toBeLessThan(
          rows.length * 0.01,
        );
      });
      expect(totalCents(rows)).toBe(Math.round(conversion.amount * 100));
    }
  });

  it('TIME_DECAY halves the weight every 7 days', () => {
    const rows = [touch('old', -14), touch('mid', -7), touch('new', 0)];
    // Weights 1/4, 1/2, 1 of 7/4: 142.857.., 285.714.., 571.428..; floors lose 2 cents to 'new'.
    expect(HALF_LIFE_DAYS).toBe(7);
    expect(credits(rows, pipeline(0), 'TIME_DECAY')).toEqual({
      old: 142.85,
      mid: 285.71,
      new: 571.44,
    });
  });

  it('TIME_DECAY still splits touches years before the conversion (no underflow)', () => {
    // 2^(-8000/7) is 0 in floating point; the ratios between touches are what count.
    expect(credits([touch('a', -8007), touch('b', -8000)], pipeline(0), 'TIME_DECAY')).toEqual({
      a: 333.33,
      b: 666.67,
    });
  });
});

describe('attribution edge cases', () => {
  it('one touch holding every position takes the whole amount under every model', () => {
    const all = computeAllCredits([touch('only', 0, { createsLead: true })], revenue(1, 2));
    for (const model of ATTRIBUTION_MODELS) {
      expect(all[model]).toEqual([
        {
          key: 'only',
          touch: touch('only', 0, { createsLead: true }),
          positions: ['FT', 'LC', 'OC', 'CW'],
          cents: 100_000,
          credit: 1000,
        },
      ]);
    }
  });

  it('a touch holding several positions adds their weights', () => {
    // t1 is FT and LC; t4 is OC and CW (no touch between the opening and the win).
    const path = [
      touch('t1', 0, { createsLead: true }),
      touch('t2', 1),
      touch('t3', 2),
      touch('t4', 3),
    ];
    expect(credits(path, revenue(4, 5), 'FULL_PATH')).toEqual({ t1: 450, t2: 50, t3: 50, t4: 450 });
    expect(credits(path, revenue(4, 5), 'W_SHAPED')).toEqual({ t1: 600, t2: 50, t3: 50, t4: 300 });
    // FT = LC: nobody between them, and touches after LC get none.
    expect(credits(path, revenue(4, 5), 'U_SHAPED')).toEqual({ t1: 1000 });
  });

  it('with no middle touch, the middle share goes to the positions in proportion', () => {
    const twoTouches = [touch('ft', 0), touch('lc', 1, { createsLead: true })];
    expect(credits(twoTouches, pipeline(2), 'U_SHAPED')).toEqual({ ft: 500, lc: 500 });

    const threeTouches = [...twoTouches, touch('oc', 2)];
    expect(credits(threeTouches, pipeline(3), 'W_SHAPED')).toEqual({
      ft: 333.34,
      lc: 333.33,
      oc: 333.33,
    });

    const fourTouches = [...threeTouches, touch('cw', 4)];
    expect(credits(fourTouches, revenue(3, 5), 'FULL_PATH')).toEqual({
      ft: 250,
      lc: 250,
      oc: 250,
      cw: 250,
    });

    // FT is LC (60%) and OC holds 30%: 2/3 and 1/3.
    const ftIsLc = [touch('ft', 0, { createsLead: true }), touch('oc', 1)];
    expect(credits(ftIsLc, pipeline(2), 'W_SHAPED')).toEqual({ ft: 666.67, oc: 333.33 });
  });

  it('revenue credit with no touch before the opening spreads the OC share over FT and LC', () => {
    const touches = [touch('ft', 5), touch('mid', 6), touch('lc', 7, { createsLead: true })];
    const conversion = revenue(1, 9);
    expect(attributionPath(touches, conversion).positions).toEqual({
      FT: 0,
      LC: 2,
      OC: null,
      CW: 2,
    });
    expect(credits(touches, conversion, 'W_SHAPED')).toEqual({ ft: 500, lc: 500 });
    // FT 22.5, mid 10, LC + CW 45, of 77.5: floors 29,032, 12,903, 58,064 and the cent left to LC.
    expect(credits(touches, conversion, 'FULL_PATH')).toEqual({
      ft: 290.32,
      mid: 129.03,
      lc: 580.65,
    });
  });

  it('a deal with no touch credits UNATTRIBUTED with the whole amount, under every model', () => {
    for (const [touches, conversion] of [
      [[], pipeline(0, 49.99)],
      [[touch('late', 3)], pipeline(2, 49.99)],
    ] as const) {
      const all = computeAllCredits(touches, conversion);
      for (const model of ATTRIBUTION_MODELS) {
        expect(all[model]).toEqual([
          { key: UNATTRIBUTED, touch: null, positions: [], cents: 4999, credit: 49.99 },
        ]);
      }
    }
  });

  it('ignores touches after the conversion point', () => {
    // Pipeline: t7 and t8 came after the opening.
    expect(computeCredits(JOURNEY, OPENED, 'LINEAR').map((c) => c.key)).not.toContain('t7');
    expect(credits(JOURNEY, OPENED, 'TIME_DECAY')).toEqual(
      credits(JOURNEY.slice(0, 6), OPENED, 'TIME_DECAY'),
    );
    // Revenue: touches after the win are ignored, those between the opening and the win count.
    const afterWin = [...JOURNEY, touch('t9', 13)];
    expect(credits(afterWin, WON, 'LAST_TOUCH')).toEqual({ t8: 1000 });
    expect(credits(afterWin, WON, 'FULL_PATH')).toEqual(credits(JOURNEY, WON, 'FULL_PATH'));
  });

  it('several leads per deal: LC is the earliest lead creation among the deal leads', () => {
    // L1 was created by its form fill on day 3; L2 by its first touch, a form fill, on day 1.
    const touches = [
      touch('a', 0, { leadId: 'L1' }),
      touch('c', 1, { leadId: 'L2', createsLead: true }),
      touch('b', 3, { leadId: 'L1', createsLead: true }),
      touch('d', 4, { leadId: 'L2' }),
    ];
    expect(attributionPath(touches, pipeline(5)).positions.LC).toBe(1);
    expect(credits(touches, pipeline(5), 'LEAD_CREATION')).toEqual({ c: 1000 });
    expect(credits(touches, pipeline(5), 'U_SHAPED')).toEqual({ a: 500, c: 500 });
  });

  it('several leads per deal: a lead with no marked touch was created by its first touch', () => {
    // L2's unmarked first touch (day 1) comes before L1's form fill (day 2).
    const touches = [
      touch('a', 0, { leadId: 'L1' }),
      touch('c', 1, { leadId: 'L2' }),
      touch('b', 2, { leadId: 'L1', createsLead: true }),
    ];
    expect(credits(touches, pipeline(5), 'LEAD_CREATION')).toEqual({ c: 1000 });
  });

  it('with no touch marked createsLead, the lead first touch holds LC', () => {
    const touches = [touch('a', 0), touch('b', 1), touch('c', 2)];
    expect(attributionPath(touches, pipeline(3)).positions.LC).toBe(0);
    expect(credits(touches, pipeline(3), 'LEAD_CREATION')).toEqual({ a: 1000 });
    expect(credits(touches, pipeline(3), 'U_SHAPED')).toEqual({ a: 1000 });
    expect(credits(touches, pipeline(3), 'W_SHAPED')).toEqual({ a: 600, b: 100, c: 300 });
  });

  it('a createsLead touch after the conversion point leaves LC to the lead first counted touch', () => {
    const touches = [touch('a', 0), touch('b', 1), touch('form', 5, { createsLead: true })];
    expect(credits(touches, pipeline(3), 'LEAD_CREATION')).toEqual({ a: 1000 });
  });

  it('puts the rounding residue on the largest share, the earliest touch on a tie', () => {
    // 10 cents by 1200:200:200:200:1200: floors 4, 0, 0, 0, 4; the 2 cents left go to FT.
    const touches = [
      touch('ft', 0),
      touch('m1', 1),
      touch('m2', 2),
      touch('m3', 3),
      touch('lc', 4, { createsLead: true }),
    ];
    expect(computeCredits(touches, pipeline(5, 0.1), 'U_SHAPED').map((c) => c.cents)).toEqual([
      6, 0, 0, 0, 4,
    ]);
    // 100 cents by 1:1:1 (LINEAR): the first touch takes the residue.
    expect(credits(touches.slice(0, 3), pipeline(5, 1), 'LINEAR')).toEqual({
      ft: 0.34,
      m1: 0.33,
      m2: 0.33,
    });
  });

  it('rounds the amount to cents before sharing it', () => {
    const rows = computeCredits(JOURNEY, pipeline(6, 1234.5678), 'LINEAR');
    expect(rows.reduce((n, c) => n + c.cents, 0)).toBe(123_457);
  });

  it('gives the same credits as computeCredits for every model at once', () => {
    const all = computeAllCredits(JOURNEY, WON);
    for (const model of ATTRIBUTION_MODELS) {
      expect(all[model]).toEqual(computeCredits(JOURNEY, WON, model));
    }
  });

  it('labels each row with the positions its touch holds', () => {
    const rows = computeCredits(JOURNEY, WON, 'LINEAR');
    expect(rows.map((c) => [c.key, c.positions])).toEqual([
      ['t1', ['FT']],
      ['t2', []],
      ['t3', ['LC']],
      ['t4', []],
      ['t5', []],
      ['t6', ['OC']],
      ['t7', []],
      ['t8', ['CW']],
    ]);
  });

  it('rejects an amount that is not a number', () => {
    expect(() => computeCredits(JOURNEY, pipeline(6, Number.NaN), 'LINEAR')).toThrow(RangeError);
  });
});
