import { reject } from '../shared/errors';
import type { Decider } from '../shared/decider';
import { assertBusinessTime, assertNotBefore } from '../shared/time';
import type { Segment } from '../shared/values';
import type { SlaCommand } from './commands';
import type { SlaEvent, SlaTerms } from './events';
import { BUILTIN_AGREEMENT_ID } from './terms';

/** A full snapshot of the agreement as of one version: revisions replace one slot each. */
export interface SlaVersion {
  version: number;
  /** Business time from which this version applies. */
  effectiveAt: string;
  defaults: SlaTerms | null;
  segments: Partial<Record<Segment, SlaTerms>>;
}

export interface SlaAgreementState {
  exists: boolean;
  agreementId: string;
  versions: SlaVersion[];
}

export const initialState = (): SlaAgreementState => ({
  exists: false,
  agreementId: '',
  versions: [],
});

export const decide = (command: SlaCommand, state: SlaAgreementState): SlaEvent[] => {
  const { data, meta } = command;
  assertBusinessTime(meta);
  if (data.agreementId === BUILTIN_AGREEMENT_ID) {
    reject('SLA_AGREEMENT_ID_RESERVED', `"${BUILTIN_AGREEMENT_ID}" names the built-in terms`);
  }
  if (data.firstContactWithinMinutes < data.acceptWithinMinutes) {
    reject('SLA_FIRST_CONTACT_BEFORE_ACCEPT', 'first contact cannot be due before acceptance');
  }
  if (data.attemptWindowDays * 24 * 60 < data.firstContactWithinMinutes) {
    reject('SLA_ATTEMPT_WINDOW_TOO_SHORT', 'the attempt window must cover the first contact');
  }
  const last = state.versions.at(-1);
  assertNotBefore(last?.effectiveAt ?? null, meta.occurredAt, 'the version in force');
  return last
    ? [
        {
          type: 'SlaAgreementRevised',
          occurredAt: meta.occurredAt,
          data: { ...data, version: last.version + 1 },
        },
      ]
    : [{ type: 'SlaAgreementDefined', occurredAt: meta.occurredAt, data: { ...data, version: 1 } }];
};

export const evolve = (state: SlaAgreementState, event: SlaEvent): SlaAgreementState => {
  switch (event.type) {
    case 'SlaAgreementDefined':
    case 'SlaAgreementRevised': {
      const { agreementId, version, segment, ...terms } = event.data;
      const previous = state.versions.at(-1) ?? { defaults: null, segments: {} };
      const next: SlaVersion = {
        version,
        effectiveAt: event.occurredAt,
        defaults: segment ? previous.defaults : terms,
        segments: segment ? { ...previous.segments, [segment]: terms } : previous.segments,
      };
      return { exists: true, agreementId, versions: [...state.versions, next] };
    }
    default:
      return state;
  }
};

export const slaAgreementDecider: Decider<SlaCommand, SlaEvent, SlaAgreementState> = {
  decide,
  evolve,
  initialState,
};
