import { isAdmin } from '../shared/authorization';
import { unknownCommand, type Decider } from '../shared/decider';
import { NotFoundError, reject } from '../shared/errors';
import {
  addDays,
  addMinutes,
  assertBusinessTime,
  assertNotBefore,
  isBefore,
  minutesBetween,
} from '../shared/time';
import type { Actor } from '../shared/values';
import { initialState as noAgreement, type SlaAgreementState } from '../sla/decider';
import { termsInForce } from '../sla/terms';
import type { LeadCommand } from './commands';
import { leadEvent, type LeadEvent, type SlaKind } from './events';
import { evolve, initialState, openHandoff, type Handoff, type LeadState } from './state';

export { evolve, initialState, type LeadState };

const OWNER_RULE =
  "A rep acts on handoffs addressed to them; reassigning another rep's lead needs ADMIN";

const notDisqualified = (s: LeadState): void => {
  if (s.stage === 'DISQUALIFIED') reject('LEAD_DISQUALIFIED', 'recycle the lead first');
};

const inOrder = (s: LeadState, at: string): void =>
  assertNotBefore(s.lastChangeAt, at, "the lead's last stage change");

const assertOwner = (actor: Actor, s: LeadState): void => {
  if (actor.id !== s.ownerRepId && !isAdmin(actor)) reject('NOT_LEAD_OWNER', OWNER_RULE);
};

/** While sales works the lead (SAL, SQL) only its owner or an admin moves it. */
const assertOwnerWhileWorked = (actor: Actor, s: LeadState): void => {
  if (s.stage === 'SAL' || s.stage === 'SQL') assertOwner(actor, s);
};

const pendingHandoff = (s: LeadState, handoffId: string | null): Handoff => {
  if (handoffId !== null && !s.handoffs.some((h) => h.handoffId === handoffId)) {
    reject('HANDOFF_UNKNOWN', `no handoff ${handoffId} on this lead`);
  }
  const handoff = openHandoff(s);
  if (handoff?.status !== 'PENDING' || (handoffId !== null && handoff.handoffId !== handoffId)) {
    return reject('HANDOFF_NOT_PENDING', 'the handoff was already accepted, rejected or replaced');
  }
  return handoff;
};

const assertHandoffRep = (actor: Actor, handoff: Handoff): void => {
  if (actor.id !== handoff.repId && !isAdmin(actor)) {
    reject('NOT_HANDOFF_REP', 'A rep acts on handoffs addressed to them');
  }
};

const acceptedHandoff = (s: LeadState): Handoff => {
  if (s.stage === 'OPPORTUNITY') reject('LEAD_CONVERTED', 'the lead is worked in its deal now');
  const handoff = openHandoff(s);
  return handoff?.status === 'ACCEPTED'
    ? handoff
    : reject('HANDOFF_NOT_ACCEPTED', 'this needs a handoff accepted by sales');
};

/** The handler folds `sla-<agreementId ?? 'default'>` into `context.agreement`. */
const agreementFor = (agreementId: string | null, context: Record<string, unknown>) => {
  const agreement = context.agreement as SlaAgreementState | undefined;
  if (agreementId !== null && !agreement?.exists) {
    throw new NotFoundError('SlaAgreement', agreementId);
  }
  return agreement ?? noAgreement();
};

const deadlineOf = (h: Handoff, kind: SlaKind): string =>
  kind === 'ACCEPTANCE' ? h.acceptBy : kind === 'FIRST_CONTACT' ? h.firstContactBy : h.attemptsBy;

/** Contact counts by the deadline; reaching SQL, or connecting, ends the attempt cadence. */
const slaMet = (h: Handoff, kind: SlaKind): boolean => {
  const due = deadlineOf(h, kind);
  const attempts = h.attempts.filter((a) => !isBefore(due, a.at));
  const qualified = h.qualifiedAt !== null && !isBefore(due, h.qualifiedAt);
  if (kind === 'FIRST_CONTACT') return attempts.length > 0 || qualified;
  const connected = attempts.some(
    (a) => a.outcome === 'CONNECTED' || a.outcome === 'MEETING_BOOKED',
  );
  return attempts.length >= h.minAttempts || connected || qualified;
};

const ownerAt = (h: Handoff, at: string): string =>
  h.owners.findLast((o) => !isBefore(at, o.since))?.repId ?? h.repId;

export const decide = (command: LeadCommand, s: LeadState): LeadEvent[] => {
  const { meta } = command;
  const at = meta.occurredAt;
  assertBusinessTime(meta);
  if (s.forgotten) reject('LEAD_FORGOTTEN', 'the lead was erased and accepts no command');
  if (command.type === 'captureLead') {
    if (s.exists) reject('LEAD_ALREADY_EXISTS', `lead ${command.data.leadId} already exists`);
    return [leadEvent('LeadCaptured', at, command.data)];
  }
  const { leadId } = command.data;
  if (!s.exists) throw new NotFoundError('Lead', leadId);

  switch (command.type) {
    case 'recordTouch': {
      const { touchId, createsLead } = command.data;
      if (s.touchIds.includes(touchId)) reject('TOUCH_ALREADY_RECORDED', `touch ${touchId} exists`);
      if (createsLead && s.leadCreationTouchId !== null) {
        reject('LEAD_CREATION_TOUCH_EXISTS', 'another touch already created this lead');
      }
      return [leadEvent('TouchRecorded', at, command.data)];
    }

    case 'scoreLead':
      return [leadEvent('LeadScored', at, command.data)];

    case 'qualifyLead':
      notDisqualified(s);
      if (s.stage !== 'LEAD' && s.stage !== 'RECYCLED') {
        reject('ALREADY_QUALIFIED', `the lead is already ${s.stage}`);
      }
      inOrder(s, at);
      return [
        leadEvent('LeadMarketingQualified', at, {
          leadId,
          reason: command.data.reason,
          requalified: s.stage === 'RECYCLED',
        }),
      ];

    case 'handOffLead': {
      const { handoffId, repId, team, agreementId } = command.data;
      notDisqualified(s);
      if (s.stage === 'HANDED_OFF') reject('HANDOFF_ALREADY_PENDING', 'a handoff awaits the rep');
      if (s.stage !== 'MQL') reject('LEAD_NOT_MQL', 'only an MQL can be handed off');
      if (s.handoffs.some((h) => h.handoffId === handoffId)) {
        reject('HANDOFF_ID_TAKEN', `handoff ${handoffId} already exists on this lead`);
      }
      inOrder(s, at);
      const sla = termsInForce(agreementFor(agreementId, command.context), s.segment, at);
      return [
        leadEvent('LeadHandedOff', at, {
          leadId,
          handoffId,
          repId,
          team,
          agreementId: sla.agreementId,
          agreementVersion: sla.agreementVersion,
          acceptBy: addMinutes(at, sla.terms.acceptWithinMinutes),
          firstContactBy: addMinutes(at, sla.terms.firstContactWithinMinutes),
          minAttempts: sla.terms.minAttempts,
          attemptsBy: addDays(at, sla.terms.attemptWindowDays),
          touchSummary: { count: s.touchIds.length, first: s.firstTouch, last: s.lastTouch },
        }),
      ];
    }

    case 'acceptHandoff': {
      const h = pendingHandoff(s, command.data.handoffId);
      assertHandoffRep(meta.actor, h);
      inOrder(s, at);
      return [
        leadEvent('HandoffAccepted', at, {
          leadId,
          handoffId: h.handoffId,
          repId: h.repId,
          minutesToAccept: minutesBetween(h.handedOffAt, at),
          withinSla: !isBefore(h.acceptBy, at),
        }),
      ];
    }

    case 'rejectHandoff': {
      const { reason, note } = command.data;
      const h = pendingHandoff(s, command.data.handoffId);
      assertHandoffRep(meta.actor, h);
      if (reason === 'OTHER' && !note) reject('REJECTION_NOTE_REQUIRED', 'say why (reason OTHER)');
      inOrder(s, at);
      return [
        leadEvent('HandoffRejected', at, {
          leadId,
          handoffId: h.handoffId,
          repId: h.repId,
          reason,
          note,
        }),
      ];
    }

    case 'recycleLead':
      if (s.stage === 'LEAD' || s.stage === 'RECYCLED') {
        reject('ALREADY_IN_NURTURE', `the lead is ${s.stage}: nothing to recycle`);
      }
      if (s.stage === 'HANDED_OFF') reject('HANDOFF_PENDING', 'the rep must answer it first');
      assertOwnerWhileWorked(meta.actor, s);
      inOrder(s, at);
      return [
        leadEvent('LeadRecycled', at, {
          leadId,
          reason: command.data.reason,
          fromStage: s.stage,
          ownerRepId: s.ownerRepId,
        }),
      ];

    case 'logContactAttempt': {
      notDisqualified(s);
      const h = acceptedHandoff(s);
      assertOwner(meta.actor, s);
      assertNotBefore(h.acceptedAt, at, 'the handoff was accepted');
      return [
        leadEvent('ContactAttemptLogged', at, {
          leadId,
          handoffId: h.handoffId,
          repId: h.repId,
          attemptNo: h.attempts.length + 1,
          channel: command.data.channel,
          outcome: command.data.outcome,
        }),
      ];
    }

    case 'qualifyForSales': {
      notDisqualified(s);
      if (s.stage === 'SQL' || s.stage === 'OPPORTUNITY') {
        reject('ALREADY_SALES_QUALIFIED', `the lead is already ${s.stage}`);
      }
      const h = acceptedHandoff(s);
      assertOwner(meta.actor, s);
      inOrder(s, at);
      const { budget, authority, need, timeline } = command.data;
      return [
        leadEvent('LeadSalesQualified', at, {
          leadId,
          handoffId: h.handoffId,
          repId: h.repId,
          budget,
          authority,
          need,
          timeline,
        }),
      ];
    }

    case 'disqualifyLead':
      if (s.stage === 'DISQUALIFIED') reject('ALREADY_DISQUALIFIED', 'the lead is disqualified');
      if (s.stage === 'HANDED_OFF') reject('HANDOFF_PENDING', 'the rep must answer it first');
      if (s.stage === 'OPPORTUNITY') reject('LEAD_CONVERTED', 'the lead is worked in its deal now');
      assertOwnerWhileWorked(meta.actor, s);
      inOrder(s, at);
      return [
        leadEvent('LeadDisqualified', at, {
          leadId,
          reason: command.data.reason,
          fromStage: s.stage,
          ownerRepId: s.ownerRepId,
        }),
      ];

    case 'reassignLead': {
      const { toRepId, reason } = command.data;
      notDisqualified(s);
      if (s.stage === 'OPPORTUNITY') reject('LEAD_CONVERTED', 'the lead is worked in its deal now');
      const h = openHandoff(s) ?? reject('LEAD_NOT_ASSIGNED', 'the lead has no rep to replace');
      assertOwner(meta.actor, s);
      if (toRepId === h.repId) reject('SAME_REP', `the lead is already with ${toRepId}`);
      inOrder(s, at);
      return [
        leadEvent('LeadReassigned', at, {
          leadId,
          handoffId: h.handoffId,
          fromRepId: h.repId,
          toRepId,
          reason,
        }),
      ];
    }

    case 'recordSlaBreach': {
      const { handoffId, kind, detectedAt } = command.data;
      assertBusinessTime({ ...meta, occurredAt: detectedAt });
      const h =
        s.handoffs.find((x) => x.handoffId === handoffId) ??
        reject('HANDOFF_UNKNOWN', `no handoff ${handoffId} on this lead`);
      if (h.breaches.includes(kind)) reject('SLA_BREACH_ALREADY_RECORDED', `${kind} breach exists`);
      const deadline = deadlineOf(h, kind);
      if (Date.parse(command.data.deadline) !== Date.parse(deadline)) {
        reject('SLA_DEADLINE_MISMATCH', `the ${kind} deadline of this handoff is ${deadline}`);
      }
      if (isBefore(detectedAt, deadline)) reject('SLA_DEADLINE_NOT_PASSED', `due ${deadline}`);
      if (kind === 'ACCEPTANCE' && h.status !== 'PENDING') {
        reject('HANDOFF_NOT_PENDING', 'the handoff was answered before the breach was recorded');
      }
      if (kind !== 'ACCEPTANCE' && h.acceptedAt === null) {
        reject('HANDOFF_NOT_ACCEPTED', 'contact is due only on an accepted handoff');
      }
      if (h.closedAt !== null && !isBefore(deadline, h.closedAt)) {
        reject('HANDOFF_CLOSED', 'the handoff ended before its deadline');
      }
      if (kind !== 'ACCEPTANCE' && slaMet(h, kind)) reject('SLA_MET', `${kind} was met in time`);
      return [
        leadEvent('SlaBreached', at, {
          leadId,
          handoffId,
          kind,
          deadline,
          detectedAt,
          ownerRepId: ownerAt(h, deadline),
          team: h.team,
        }),
      ];
    }

    case 'convertLead': {
      const { dealId } = command.data;
      notDisqualified(s);
      if (s.stage !== 'SQL' && s.stage !== 'OPPORTUNITY') {
        reject('LEAD_NOT_SALES_QUALIFIED', 'only a sales-qualified lead becomes an opportunity');
      }
      if (s.dealIds.includes(dealId)) reject('ALREADY_CONVERTED', `already in deal ${dealId}`);
      inOrder(s, at);
      return [leadEvent('LeadConverted', at, { leadId, dealId })];
    }

    case 'forgetLead':
      return [leadEvent('LeadForgotten', at, { leadId, reason: command.data.reason })];

    default:
      return unknownCommand(command);
  }
};

export const leadDecider: Decider<LeadCommand, LeadEvent, LeadState> = {
  decide,
  evolve,
  initialState,
};
