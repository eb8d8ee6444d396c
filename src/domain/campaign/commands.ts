import type { z } from 'zod';
import { allow } from '../shared/authorization';
import type { CommandSpec, HandledCommand } from '../shared/command-spec';
import { CampaignCostRecorded, CampaignRegistered } from './events';

export const campaignStreamId = (campaignId: string): string => `campaign-${campaignId}`;

export const RegisterCampaign = CampaignRegistered;
export type RegisterCampaign = z.infer<typeof RegisterCampaign>;

export const RecordCampaignCost = CampaignCostRecorded;
export type RecordCampaignCost = z.infer<typeof RecordCampaignCost>;

const onCampaign = {
  aggregate: 'campaign' as const,
  streamId: (d: { campaignId: string }) => campaignStreamId(d.campaignId),
  authorize: allow('MARKETING'),
};

export const registerCampaign: CommandSpec<RegisterCampaign> = {
  type: 'registerCampaign',
  ...onCampaign,
  schema: RegisterCampaign,
  retryOnConflict: true,
};

export const recordCampaignCost: CommandSpec<RecordCampaignCost> = {
  type: 'recordCampaignCost',
  ...onCampaign,
  schema: RecordCampaignCost,
  retryOnConflict: true,
};

export const CAMPAIGN_COMMANDS = { registerCampaign, recordCampaignCost };

export type CampaignCommand =
  | HandledCommand<'registerCampaign', RegisterCampaign>
  | HandledCommand<'recordCampaignCost', RecordCampaignCost>;
