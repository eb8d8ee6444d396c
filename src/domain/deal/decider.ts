import { isAdmin } from '../shared/authorization';
import { unknownCommand, type Decider } from '../shared/decider';
import { NotFoundError, reject } from '../shared/errors';
import { assertBusinessTime, assertNotBefore } from '../shared/time';
import type { Actor } from '../shared/values';
import type { LeadState } from '../lead/state';
import { leadContextKey, type DealCommand, type OpenDeal } from './commands';
import { dealEvent, type DealEvent, type DealStatus } from './events';

export interface DealState {
  exists: boolean;
  dealId: string;
  status: DealStatus;
  leadIds: string[];
  account: string;
  amount: number;
  /** Fixed when the deal opens. */
  currency: string;
  ownerRepId: string;
  stage: string | null;
  lastChangeAt: string | null;
}

export const initialState = (): DealState => ({
  exists: false,
  dealId: '',
  status: 'OPEN',
  leadIds: [],
  account: '',
  amount: 0,
  currency: '',
  ownerRepId: '',
  stage: null,
  lastChangeAt: null,
});

/** Every lead must be sales-qualified now; checking here keeps the convertLead follow-ups safe. */
const assertLeadsQualified = (data: OpenDeal, context: Record<string, unknown>, at: string) => {
  for (const leadId of data.leadIds) {
    const lead = context[leadContextKey(leadId)] as LeadState | undefined;
    if (!lead?.exists) throw new NotFoundError('Lead', leadId);
    if (lead.forgotten) reject('LEAD_FORGOTTEN', `lead ${leadId} was erased`);
    if (lead.stage === 'DISQUALIFIED') {
      reject('LEAD_DISQUALIFIED', `lead ${leadId} is disqualified`);
    }
    if (lead.stage !== 'SQL' && lead.stage !== 'OPPORTUNITY') {
      reject('LEAD_NOT_SALES_QUALIFIED', `lead ${leadId} has not reached SQL`);
    }
    assertNotBefore(lead.lastChangeAt, at, `lead ${leadId}'s last stage change`);
  }
};

const assertDealOwner = (actor: Actor, s: DealState): void => {
  if (actor.id !== s.ownerRepId && !isAdmin(actor)) {
    reject('NOT_DEAL_OWNER', "a rep moves their own deals; another rep's deal needs ADMIN");
  }
};

const assertOpen = (s: DealState): void => {
  if (s.status !== 'OPEN') reject('DEAL_CLOSED', `the deal is ${s.status}: reopen it first`);
};

export const decide = (command: DealCommand, s: DealState): DealEvent[] => {
  const { meta } = command;
  const at = meta.occurredAt;
  assertBusinessTime(meta);
  if (command.type === 'openDeal') {
    if (s.exists) reject('DEAL_ALREADY_EXISTS', `deal ${command.data.dealId} already exists`);
    assertLeadsQualified(command.data, command.context, at);
    return [dealEvent('DealOpened', at, command.data)];
  }
  const { dealId } = command.data;
  if (!s.exists) throw new NotFoundError('Deal', dealId);
  const inOrder = () => assertNotBefore(s.lastChangeAt, at, "the deal's last change");
  const outcome = { dealId, leadIds: s.leadIds, currency: s.currency, ownerRepId: s.ownerRepId };

  switch (command.type) {
    case 'changeDealStage': {
      const { stage } = command.data;
      assertOpen(s);
      assertDealOwner(meta.actor, s);
      if (stage === s.stage) reject('DEAL_STAGE_UNCHANGED', `the deal is already in ${stage}`);
      inOrder();
      return [dealEvent('DealStageChanged', at, { dealId, fromStage: s.stage, toStage: stage })];
    }

    case 'changeDealAmount': {
      const { amount, currency, reason } = command.data;
      assertOpen(s);
      assertDealOwner(meta.actor, s);
      if (currency !== null && currency !== s.currency) {
        reject('DEAL_CURRENCY_FIXED', `the deal is in ${s.currency}, fixed when it opened`);
      }
      if (amount === s.amount) reject('DEAL_AMOUNT_UNCHANGED', `the deal is already ${amount}`);
      inOrder();
      return [
        dealEvent('DealAmountChanged', at, {
          dealId,
          fromAmount: s.amount,
          toAmount: amount,
          currency: s.currency,
          reason,
        }),
      ];
    }

    case 'winDeal':
      if (s.status !== 'OPEN') reject('DEAL_ALREADY_CLOSED', `the deal is ${s.status}`);
      assertDealOwner(meta.actor, s);
      inOrder();
      return [dealEvent('DealWon', at, { ...outcome, amount: command.data.amount ?? s.amount })];

    case 'loseDeal': {
      const { reason, competitor } = command.data;
      if (s.status !== 'OPEN') reject('DEAL_ALREADY_CLOSED', `the deal is ${s.status}`);
      assertDealOwner(meta.actor, s);
      if (reason === 'COMPETITOR' && competitor === null) {
        reject('COMPETITOR_REQUIRED', 'name the competitor the deal was lost to');
      }
      inOrder();
      return [dealEvent('DealLost', at, { ...outcome, amount: s.amount, reason, competitor })];
    }

    case 'reopenDeal':
      if (s.status === 'OPEN') reject('DEAL_NOT_CLOSED', 'only a won or lost deal is reopened');
      assertDealOwner(meta.actor, s);
      inOrder();
      return [
        dealEvent('DealReopened', at, {
          dealId,
          fromStatus: s.status === 'WON' ? 'WON' : 'LOST',
          reason: command.data.reason,
        }),
      ];

    default:
      return unknownCommand(command);
  }
};

export const evolve = (state: DealState, event: DealEvent): DealState => {
  const at = event.occurredAt;
  switch (event.type) {
    case 'DealOpened': {
      const { dealId, leadIds, account, amount, currency, ownerRepId } = event.data;
      return {
        ...state,
        exists: true,
        dealId,
        status: 'OPEN',
        leadIds,
        account,
        amount,
        currency,
        ownerRepId,
        lastChangeAt: at,
      };
    }
    case 'DealStageChanged':
      return { ...state, stage: event.data.toStage, lastChangeAt: at };
    case 'DealAmountChanged':
      return { ...state, amount: event.data.toAmount, lastChangeAt: at };
    case 'DealWon':
      return { ...state, status: 'WON', amount: event.data.amount, lastChangeAt: at };
    case 'DealLost':
      return { ...state, status: 'LOST', lastChangeAt: at };
    case 'DealReopened':
      return { ...state, status: 'OPEN', lastChangeAt: at };
    default:
      return state;
  }
};

export const dealDecider: Decider<DealCommand, DealEvent, DealState> = {
  decide,
  evolve,
  initialState,
};
