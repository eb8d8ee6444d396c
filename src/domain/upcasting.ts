import { z } from 'zod';
import { Channel, Email, Id, Label, type Segment } from './shared/values';

/** One step: the data of version N of an event type in, the data of version N + 1 out. */
export type Upcaster = (data: unknown) => unknown;

/** LeadCaptured v1 (before segments): the company's size in employees instead. */
const LeadCapturedV1 = z.object({
  leadId: Id,
  email: Email,
  name: Label.nullish(),
  company: Label.nullish(),
  companySize: z.number().int().min(0).nullish(),
  channel: Channel,
  campaignId: Id.nullish(),
});

export const segmentForCompanySize = (employees: number | null | undefined): Segment =>
  employees === null || employees === undefined || employees < 100
    ? 'SMB'
    : employees < 1000
      ? 'MID_MARKET'
      : 'ENTERPRISE';

const leadCapturedV1ToV2: Upcaster = (data) => {
  const v1 = LeadCapturedV1.parse(data);
  return {
    leadId: v1.leadId,
    email: v1.email,
    name: v1.name ?? null,
    company: v1.company ?? null,
    segment: segmentForCompanySize(v1.companySize),
    channel: v1.channel,
    campaignId: v1.campaignId ?? null,
  };
};

/** Per event type, the step from each old schema version to the next. */
export const UPCASTERS: Record<string, Record<number, Upcaster>> = {
  LeadCaptured: { 1: leadCapturedV1ToV2 },
};
