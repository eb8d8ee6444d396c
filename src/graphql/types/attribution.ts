import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ATTRIBUTION_MODELS, POSITIONS } from '../../projections/attribution/models';
import { ChannelEnum, enumOf } from '../enums';
import { DateTimeScalar } from '../scalars';

export const AttributionModelEnum = enumOf(ATTRIBUTION_MODELS);
export const AttributionGroupByEnum = enumOf(['CAMPAIGN', 'CHANNEL'] as const);
export const AttributionPositionEnum = enumOf(POSITIONS);

registerEnumType(AttributionModelEnum, { name: 'AttributionModel' });
registerEnumType(AttributionGroupByEnum, { name: 'AttributionGroupBy' });
registerEnumType(AttributionPositionEnum, {
  name: 'AttributionPosition',
  description: 'FT first touch, LC lead creation, OC opportunity creation, CW closed won.',
});

@ObjectType({
  description: 'Credit of a key (campaign or channel) in one currency under one model.',
})
export class AttributionRow {
  @Field(() => String, {
    nullable: true,
    description:
      'Campaign id or channel; null: touches without a campaign; UNATTRIBUTED: deals with no touch.',
  })
  key!: string | null;
  @Field(() => Boolean) unattributed!: boolean;
  @Field(() => String) currency!: string;
  @Field(() => Float, { description: 'Credit of the deals won in the period.' }) revenue!: number;
  @Field(() => Float, { description: 'Credit of the deals opened in the period.' })
  pipeline!: number;
  @Field(() => Float, { description: 'Share of the won deals (a deal sums to 1).' }) deals!: number;
  @Field(() => Float, { description: 'Share of the opened deals.' }) opportunities!: number;
}

@ObjectType({ description: 'One amount per attribution model.' })
export class ModelAmounts {
  @Field(() => Float) FIRST_TOUCH!: number;
  @Field(() => Float) LAST_TOUCH!: number;
  @Field(() => Float) LEAD_CREATION!: number;
  @Field(() => Float) LINEAR!: number;
  @Field(() => Float) U_SHAPED!: number;
  @Field(() => Float) W_SHAPED!: number;
  @Field(() => Float) FULL_PATH!: number;
  @Field(() => Float) TIME_DECAY!: number;
}

@ObjectType({ description: "A key's revenue and pipeline under every model, side by side." })
export class AttributionComparisonRow {
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field(() => Boolean) unattributed!: boolean;
  @Field(() => String) currency!: string;
  @Field(() => ModelAmounts) revenue!: ModelAmounts;
  @Field(() => ModelAmounts) pipeline!: ModelAmounts;
}

@ObjectType({ description: "A touch on a deal's path and its credit under the model asked." })
export class TouchCredit {
  @Field(() => String, { description: 'The touch id, or UNATTRIBUTED for a deal with no touch.' })
  key!: string;
  @Field(() => ID, { nullable: true }) touchId!: string | null;
  @Field(() => ID, { nullable: true }) leadId!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) occurredAt!: string | null;
  @Field(() => ChannelEnum, { nullable: true }) channel!: string | null;
  @Field(() => ID, { nullable: true }) campaignId!: string | null;
  @Field(() => [AttributionPositionEnum]) positions!: string[];
  @Field(() => Float, { description: 'Revenue credit when the deal is won, else pipeline credit.' })
  credit!: number;
  @Field(() => Float, { description: "The touch's share of the deal (a deal sums to 1)." })
  share!: number;
}
