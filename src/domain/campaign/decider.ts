import { unknownCommand, type Decider } from '../shared/decider';
import { NotFoundError, reject } from '../shared/errors';
import { assertBusinessTime } from '../shared/time';
import type { CampaignCommand } from './commands';
import type { CampaignEvent } from './events';

export interface CampaignState {
  exists: boolean;
  campaignId: string;
  name: string;
  channel: string;
  /** Set by the first cost: ROI compares costs and revenue, so one campaign spends one currency. */
  currency: string | null;
  totalCost: number;
}

export const initialState = (): CampaignState => ({
  exists: false,
  campaignId: '',
  name: '',
  channel: '',
  currency: null,
  totalCost: 0,
});

export const decide = (command: CampaignCommand, s: CampaignState): CampaignEvent[] => {
  const { meta } = command;
  assertBusinessTime(meta);
  switch (command.type) {
    case 'registerCampaign':
      if (s.exists) reject('CAMPAIGN_ALREADY_REGISTERED', `${command.data.campaignId} exists`);
      return [{ type: 'CampaignRegistered', occurredAt: meta.occurredAt, data: command.data }];

    case 'recordCampaignCost': {
      const { campaignId, currency, periodStart, periodEnd } = command.data;
      if (!s.exists) throw new NotFoundError('Campaign', campaignId);
      if (periodEnd < periodStart) reject('COST_PERIOD_INVERTED', 'periodEnd precedes periodStart');
      if (s.currency !== null && currency !== s.currency) {
        reject('CAMPAIGN_CURRENCY_MISMATCH', `this campaign's costs are in ${s.currency}`);
      }
      return [{ type: 'CampaignCostRecorded', occurredAt: meta.occurredAt, data: command.data }];
    }

    default:
      return unknownCommand(command);
  }
};

export const evolve = (state: CampaignState, event: CampaignEvent): CampaignState => {
  switch (event.type) {
    case 'CampaignRegistered': {
      const { campaignId, name, channel } = event.data;
      return { ...state, exists: true, campaignId, name, channel };
    }
    case 'CampaignCostRecorded':
      return {
        ...state,
        currency: state.currency ?? event.data.currency,
        totalCost: state.totalCost + event.data.amount,
      };
    default:
      return state;
  }
};

export const campaignDecider: Decider<CampaignCommand, CampaignEvent, CampaignState> = {
  decide,
  evolve,
  initialState,
};
