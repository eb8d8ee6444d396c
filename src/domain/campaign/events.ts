import { z } from 'zod';
import type { DomainEvent } from '../shared/decider';
import { Amount, Channel, Currency, Id, Label } from '../shared/values';

/** A calendar day, YYYY-MM-DD: cost periods are whole days, both ends included. */
export const CalendarDate = z.iso.date();

export const CampaignRegistered = z.object({ campaignId: Id, name: Label, channel: Channel });
export type CampaignRegistered = z.infer<typeof CampaignRegistered>;

export const CampaignCostRecorded = z.object({
  campaignId: Id,
  amount: Amount,
  currency: Currency,
  periodStart: CalendarDate,
  periodEnd: CalendarDate,
});
export type CampaignCostRecorded = z.infer<typeof CampaignCostRecorded>;

export const CAMPAIGN_EVENTS = { CampaignRegistered, CampaignCostRecorded };

export interface CampaignEventData {
  CampaignRegistered: CampaignRegistered;
  CampaignCostRecorded: CampaignCostRecorded;
}
export type CampaignEvent = {
  [K in keyof CampaignEventData]: DomainEvent<K, CampaignEventData[K]>;
}[keyof CampaignEventData];
