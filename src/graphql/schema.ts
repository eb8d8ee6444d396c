import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth';
import type { LivePubSub } from './live-feed';
import { pubSub as emptyPubSub } from './live-feed';
import { AnalyticsResolver } from './resolvers/analytics';
import { AttributionResolver } from './resolvers/attribution';
import { AuditResolver, DroppedLeadResolver } from './resolvers/audit';
import { CommandResolver } from './resolvers/commands';
import { HandoffResolver, LeadResolver } from './resolvers/leads';
import { LiveResolver } from './resolvers/live';
import { ReportResolver, SlaBreachResolver } from './resolvers/reports';

const RESOLVERS = [
  LeadResolver,
  HandoffResolver,
  ReportResolver,
  SlaBreachResolver,
  AnalyticsResolver,
  AttributionResolver,
  AuditResolver,
  DroppedLeadResolver,
  CommandResolver,
  LiveResolver,
] as const;

/** The executable schema: type-graphql classes, our auth checker, the instance's live feed. */
export const buildLeadLedgerSchema = (pubSub: LivePubSub = emptyPubSub()): Promise<GraphQLSchema> =>
  buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    pubSub,
    // zod validates in the domain; class-validator is not used.
    validate: false,
  });

/** The SDL committed as schema.graphql (sorted, so diffs show real changes only). */
export const printLeadLedgerSchema = async (): Promise<string> =>
  `${printSchema(lexicographicSortSchema(await buildLeadLedgerSchema()))}\n`;
