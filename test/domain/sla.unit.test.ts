import { COMMANDS } from '../../src/domain/catalog';
import type { SlaAgreementState } from '../../src/domain/sla/decider';
import { BUILTIN_TERMS, termsInForce } from '../../src/domain/sla/terms';
import { actors, at, command, event, fold, given } from './support';

const terms = {
  acceptWithinMinutes: 30,
  firstContactWithinMinutes: 120,
  minAttempts: 5,
  attemptWindowDays: 10,
};
const define = (input: Record<string, unknown> = {}, minutes = 0) =>
  command(
    'defineSlaAgreement',
    { agreementId: 'default', ...terms, ...input },
    { at: at(minutes), actor: actors.admin },
  );
const defined = (minutes = 0, extra: Record<string, unknown> = {}) =>
  event(
    'SlaAgreementDefined',
    {
      agreementId: 'default',
      version: 1,
      segment: null,
      ...terms,
      monthlyMqlCommitment: null,
      mqlToSqlBenchmark: null,
      ...extra,
    },
    at(minutes),
  );
const revised = (version: number, minutes: number, extra: Record<string, unknown> = {}) =>
  event(
    'SlaAgreementRevised',
    {
      agreementId: 'default',
      version,
      segment: null,
      ...terms,
      monthlyMqlCommitment: null,
      mqlToSqlBenchmark: null,
      ...extra,
    },
    at(minutes),
  );

describe('defineSlaAgreement', () => {
  it('defines version 1 with the default terms', () => {
    given().when(define()).then(defined());
  });

  it('defines version 1 with a segment and the commitments', () => {
    given()
      .when(define({ segment: 'SMB', monthlyMqlCommitment: 400, mqlToSqlBenchmark: 0.25 }))
      .then(defined(0, { segment: 'SMB', monthlyMqlCommitment: 400, mqlToSqlBenchmark: 0.25 }));
  });

  it('revises an existing agreement as version + 1', () => {
    given(defined(), revised(2, 10, { segment: 'SMB' }))
      .when(define({ acceptWithinMinutes: 15 }, 20))
      .then(revised(3, 20, { acceptWithinMinutes: 15 }));
  });

  it('keeps every version as a full snapshot of default and segment terms', () => {
    const state = given(defined(), revised(2, 10, { segment: 'SMB', acceptWithinMinutes: 10 }))
      .when(define({ acceptWithinMinutes: 45 }, 20))
      .thenState<SlaAgreementState>();
    expect(state.versions.map((v) => [v.version, v.defaults?.acceptWithinMinutes])).toEqual([
      [1, 30],
      [2, 30],
      [3, 45],
    ]);
    expect(state.versions[2]?.segments.SMB?.acceptWithinMinutes).toBe(10);
  });

  it('reserves the id of the built-in terms (SLA_AGREEMENT_ID_RESERVED)', () => {
    given()
      .when(define({ agreementId: 'builtin' }))
      .thenRejects('SLA_AGREEMENT_ID_RESERVED');
  });

  it('refuses a first-contact deadline before acceptance (SLA_FIRST_CONTACT_BEFORE_ACCEPT)', () => {
    given()
      .when(define({ acceptWithinMinutes: 60, firstContactWithinMinutes: 30 }))
      .thenRejects('SLA_FIRST_CONTACT_BEFORE_ACCEPT');
  });

  it('refuses an attempt window shorter than the first contact (SLA_ATTEMPT_WINDOW_TOO_SHORT)', () => {
    given()
      .when(define({ firstContactWithinMinutes: 2 * 24 * 60, attemptWindowDays: 1 }))
      .thenRejects('SLA_ATTEMPT_WINDOW_TOO_SHORT');
  });

  it('refuses a revision dated before the version in force (OCCURRED_OUT_OF_ORDER)', () => {
    given(defined(10)).when(define({}, 5)).thenRejects('OCCURRED_OUT_OF_ORDER');
  });

  it('validates positive whole minutes and days (input validation)', () => {
    const parse = (input: Record<string, unknown>) =>
      COMMANDS.defineSlaAgreement!.schema.safeParse({ agreementId: 'a', ...terms, ...input });
    expect(parse({}).success).toBe(true);
    expect(parse({ acceptWithinMinutes: 0 }).success).toBe(false);
    expect(parse({ attemptWindowDays: 1.5 }).success).toBe(false);
    expect(parse({ segment: 'GIANT' }).success).toBe(false);
  });
});

describe('termsInForce', () => {
  const agreement = fold('slaAgreement', [
    defined(0),
    revised(2, 10, { segment: 'ENTERPRISE', acceptWithinMinutes: 10 }),
    revised(3, 20, { acceptWithinMinutes: 20 }),
  ]) as SlaAgreementState;

  it('takes the latest version effective at the time', () => {
    expect(termsInForce(agreement, 'SMB', at(5))).toMatchObject({
      agreementVersion: 1,
      terms: { acceptWithinMinutes: 30 },
    });
    expect(termsInForce(agreement, 'SMB', at(20))).toMatchObject({
      agreementVersion: 3,
      terms: { acceptWithinMinutes: 20 },
    });
  });

  it("takes the segment's terms where the version has them", () => {
    expect(termsInForce(agreement, 'ENTERPRISE', at(15)).terms.acceptWithinMinutes).toBe(10);
    expect(termsInForce(agreement, 'ENTERPRISE', at(25)).terms.acceptWithinMinutes).toBe(10);
  });

  it('falls back to the built-in terms before the first version', () => {
    expect(termsInForce(agreement, 'SMB', at(-1))).toEqual({
      agreementId: 'builtin',
      agreementVersion: 0,
      terms: BUILTIN_TERMS,
    });
  });
});
