import type { AggregateName, AnyDecider, CommandSpec } from './shared/command-spec';
import type { Command, DomainEvent } from './shared/decider';
import { CAMPAIGN_COMMANDS } from './campaign/commands';
import { campaignDecider } from './campaign/decider';
import { DEAL_COMMANDS } from './deal/commands';
import { dealDecider } from './deal/decider';
import type { DealOpened } from './deal/events';
import { GOALS_COMMANDS } from './goals/commands';
import { goalsDecider } from './goals/decider';
import { LEAD_COMMANDS, type ConvertLead } from './lead/commands';
import { leadDecider } from './lead/decider';
import { SLA_COMMANDS } from './sla/commands';
import { slaAgreementDecider } from './sla/decider';

/** Every command the domain accepts, by type. */
export const COMMANDS: Record<string, CommandSpec> = {
  ...LEAD_COMMANDS,
  ...DEAL_COMMANDS,
  ...SLA_COMMANDS,
  ...CAMPAIGN_COMMANDS,
  ...GOALS_COMMANDS,
};

export const DECIDERS: Record<AggregateName, AnyDecider> = {
  lead: leadDecider,
  deal: dealDecider,
  slaAgreement: slaAgreementDecider,
  campaign: campaignDecider,
  goals: goalsDecider,
};

export interface FollowUp {
  type: string;
  data: unknown;
}

/** Commands other aggregates owe to these events; the handler runs them after the append. */
export const followUps = (_command: Command, events: DomainEvent[]): FollowUp[] =>
  events.flatMap((event) => {
    if (event.type !== 'DealOpened') return [];
    const { dealId, leadIds } = event.data as DealOpened;
    return leadIds.map((leadId) => {
      const data: ConvertLead = { leadId, dealId };
      return { type: 'convertLead', data };
    });
  });
