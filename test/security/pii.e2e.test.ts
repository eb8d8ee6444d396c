import { introspectionFromSchema } from 'graphql';
import type { Client } from 'graphql-ws';
import { LEAD_PII_FIELDS } from '../../src/domain/lead/events';
import { buildLeadLedgerSchema } from '../../src/graphql/schema';
import { startServer, type GraphQLResponse, type TestServer } from '../support/server';

/**
 * PII masking for every role on every type that carries PII (issue 9 §3). The types come from a
 * walk of the schema: every output field whose name says it may hold personal data, and every
 * JSON field, must be classified below (a new one fails the first test until it is), and every
 * way from a root field to a type carrying PII must be exercised by the catalogue of queries.
 * The world's personal data are canaries (unique strings): MARKETING, SALES and ADMIN read them;
 * in ANALYST's and AUDITOR's answers none of them may appear anywhere, and the fields read `***`.
 */

const MASK = '***';
const PII_ROLES = ['MARKETING', 'SALES', 'ADMIN'] as const;
const MASKED_ROLES = ['ANALYST', 'AUDITOR'] as const;
const ROLES = [...PII_ROLES, ...MASKED_ROLES];
type RoleName = (typeof ROLES)[number];

/** Output fields that carry personal data (masked for ANALYST and AUDITOR). */
const PII_FIELDS: Record<string, string> = {
  'Lead.email': 'API.md: PII',
  'Lead.name': 'API.md: PII',
  'Lead.phone': 'API.md: PII',
  'Handoff.rejectionNote':
    'free text about the person: HandoffRejected.note is PII in LEAD_PII_FIELDS',
  'HistoryEvent.data': "event data: the registry's PII fields of each event type",
  'LeadHistory.state': 'the folded lead: its contact details',
  'AuditTrailEvent.data': "event data: the registry's PII fields of each event type",
};
/** Fields whose names look personal but hold none, and why. */
const NOT_PII: Record<string, string> = {
  'Lead.company': 'business data: API.md lists email, name, phone; analysts read it (journey test)',
  'Deal.account': 'the customer account (a company)',
  'Deal.competitor': 'a competitor (a company)',
  'Deal.lostReason': 'an enum',
  'CampaignPerformance.name': "a campaign's name",
  'ProjectionStatus.name': "a read model's name",
  'LeadDrop.detail': 'generated text: deadlines, event types, the rejection reason code',
  'CompetitorCount.competitor': 'a competitor (a company)',
  'LostReasonRow.reason': 'an enum',
  'Verification.reason': 'generated text about a hash chain',
  'CampaignPerformance.rejectedByReason': 'counts per reason code',
  'CampaignPerformance.lostByReason': 'counts per reason code',
  'SlaComplianceRow.rejectedByReason': 'counts per reason code',
  'Handoff.rejectionReason': 'an enum',
  'DroppedLead.reasons': 'enums',
  'LeadDrop.reason': 'an enum',
  'DroppedLead.closedBy': 'an event type',
  'LostReasonRow.competitors': 'competitors (companies) with counts',
};
const PERSONAL_NAME =
  /mail|name|phone|note|company|account|budget|authority|need|timeline|reason|detail|competitor|comment|address|text/i;
/** Types whose fields in PII_FIELDS carry personal data. */
const PII_TYPES = [...new Set(Object.keys(PII_FIELDS).map((f) => f.split('.')[0]!))];

interface Ref {
  kind: string;
  name?: string | null;
  ofType?: Ref | null;
}
interface SchemaType {
  kind: string;
  name: string;
  fields?: Array<{ name: string; type: Ref }> | null;
}
const namedOf = (ref: Ref): string => (ref.name ? ref.name : namedOf(ref.ofType!));

/** The edges (`Parent.field`) by which the API reaches each PII type from a root. */
const edgesToPiiTypes = (types: Map<string, SchemaType>, roots: string[]) => {
  const edges = new Set<string>();
  const seen = new Set<string>(roots);
  const queue = [...roots];
  while (queue.length > 0) {
    const type = types.get(queue.shift()!)!;
    for (const field of type.fields ?? []) {
      const target = namedOf(field.type);
      if (PII_TYPES.includes(target)) edges.add(`${type.name}.${field.name}`);
      const next = types.get(target);
      if (next?.kind === 'OBJECT' && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return edges;
};

/** The world's personal data: unique strings nobody without the right may ever see. */
const C = {
  email1: 'ada.canary@example.com',
  name1: 'Ada Canary-Lovelace',
  phone1: '+44 20 7946 0958',
  mql1: 'canary-mql-reason-1',
  note1: 'canary-rejection-note: she said call her husband',
  recycle1: 'canary-recycle-reason-1',
  disqualify1: 'canary-disqualify-reason-1',
  email2: 'grace.canary@example.com',
  name2: 'Grace Canary-Hopper',
  reassign2: 'canary-reassign-reason-2',
  budget2: 'canary-budget-50k',
  authority2: 'canary-authority-cfo',
  need2: 'canary-need-visibility',
  timeline2: 'canary-timeline-q3',
  email3: 'alan.canary@example.com',
  name3: 'Alan Canary-Turing',
};
/** The canaries except the rejection note, whose masking is a known gap (see below). */
const CANARIES_BUT_NOTE = Object.entries(C)
  .filter(([k]) => k !== 'note1')
  .map(([, v]) => v);

describe('PII masking, every role, every type that carries PII', () => {
  let server: TestServer;
  const tokens = {} as Record<RoleName | 'rex' | 'sam', string>;
  const leads = { one: '', two: '', three: '' };
  let schemaTypes: Map<string, SchemaType>;

  beforeAll(async () => {
    server = await startServer({ SLA_MONITOR_INTERVAL_MS: '200' });
    tokens.MARKETING = await server.token('mia', ['MARKETING']);
    tokens.SALES = await server.token('rex', ['SALES']);
    tokens.ADMIN = await server.token('root', ['ADMIN']);
    tokens.ANALYST = await server.token('ann', ['ANALYST']);
    tokens.AUDITOR = await server.token('aud', ['AUDITOR']);
    tokens.rex = tokens.SALES;
    tokens.sam = await server.token('sam', ['SALES']);
    const introspection = introspectionFromSchema(await buildLeadLedgerSchema());
    schemaTypes = new Map(
      (introspection.__schema.types as unknown as SchemaType[]).map((t) => [t.name, t]),
    );

    const ok = async (token: string, name: string, input: Record<string, unknown>, field = '') => {
      const type = `${name[0]!.toUpperCase()}${name.slice(1)}Input`;
      const res = await server.gql<Record<string, Record<string, string>>>(
        `mutation M($input: ${type}!) { ${name}(input: $input) { position ${field} } }`,
        { input },
        token,
      );
      if (res.errors) throw new Error(`${name}: ${JSON.stringify(res.errors)}`);
      return res.data![name]!;
    };
    const mia = tokens.MARKETING;
    // One: rejected with a note, recycled, disqualified.
    leads.one = (
      await ok(
        mia,
        'captureLead',
        {
          email: C.email1,
          name: C.name1,
          phone: C.phone1,
          company: 'Acme Corp',
          segment: 'SMB',
          channel: 'EMAIL',
        },
        'leadId',
      )
    ).leadId!;
    await ok(mia, 'qualifyLead', { leadId: leads.one, reason: C.mql1 });
    await ok(mia, 'handOffLead', { leadId: leads.one, repId: 'rex', team: 'emea' });
    await ok(tokens.rex, 'rejectHandoff', { leadId: leads.one, reason: 'BAD_DATA', note: C.note1 });
    await ok(mia, 'recycleLead', { leadId: leads.one, reason: C.recycle1 });
    await ok(mia, 'disqualifyLead', { leadId: leads.one, reason: C.disqualify1 });
    // Two: accepted, reassigned with a reason, qualified for sales with BANT.
    leads.two = (
      await ok(
        mia,
        'captureLead',
        {
          email: C.email2,
          name: C.name2,
          company: 'Globex',
          segment: 'MID_MARKET',
          channel: 'WEBINAR',
        },
        'leadId',
      )
    ).leadId!;
    await ok(mia, 'qualifyLead', { leadId: leads.two });
    await ok(mia, 'handOffLead', { leadId: leads.two, repId: 'rex', team: 'emea' });
    await ok(tokens.rex, 'acceptHandoff', { leadId: leads.two });
    await ok(tokens.rex, 'reassignLead', {
      leadId: leads.two,
      toRepId: 'sam',
      reason: C.reassign2,
    });
    await ok(tokens.sam, 'qualifyForSales', {
      leadId: leads.two,
      budget: C.budget2,
      authority: C.authority2,
      need: C.need2,
      timeline: C.timeline2,
    });
    // Three: handed off three days ago, never accepted: the SLA monitor records the breach.
    const past = new Date(Date.now() - 3 * 86_400_000).toISOString();
    leads.three = (
      await ok(
        mia,
        'captureLead',
        { email: C.email3, name: C.name3, segment: 'SMB', channel: 'EMAIL', occurredAt: past },
        'leadId',
      )
    ).leadId!;
    await ok(mia, 'qualifyLead', { leadId: leads.three, occurredAt: past });
    await ok(mia, 'handOffLead', {
      leadId: leads.three,
      repId: 'rex',
      team: 'emea',
      occurredAt: past,
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await server.gql<{ slaBreaches: { totalCount: number } }>(
        '{ slaBreaches(first: 1) { totalCount } }',
        {},
        tokens.ADMIN,
      );
      if ((res.data?.slaBreaches.totalCount ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error('the SLA monitor recorded no breach');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);
  afterAll(() => server.stop());

  const read = (role: RoleName, query: string) => server.gql(query, {}, tokens[role]);
  const leaksIn = (res: GraphQLResponse, canaries = CANARIES_BUT_NOTE) =>
    canaries.filter((c) => JSON.stringify(res).includes(c));

  /** Queries exercising each edge into a PII type, all answered with data for every role allowed. */
  const CATALOGUE: Record<string, () => string> = {
    'Query.lead': () =>
      `{ lead(id: "${leads.one}") { email name phone piiMasked handoffs { rejectionNote } currentHandoff { rejectionNote } } }`,
    'Lead.handoffs': () => `{ lead(id: "${leads.two}") { handoffs { rejectionNote } } }`,
    'Lead.currentHandoff': () =>
      `{ lead(id: "${leads.three}") { currentHandoff { rejectionNote } } }`,
    'LeadEdge.node': () =>
      '{ leads(first: 50) { edges { node { id email name phone piiMasked } } } }',
    'SlaBreach.lead': () =>
      '{ slaBreaches(first: 50) { edges { node { lead { id email name phone } } } } }',
    'DroppedLead.lead': () =>
      `{ droppedLeads(first: 50, from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z") { edges { node { lead { id email name phone handoffs { rejectionNote } } } } } }`,
    'Query.leadHistory': () =>
      `{ a: leadHistory(leadId: "${leads.one}") { state events { type data } } b: leadHistory(leadId: "${leads.two}") { state events { type data } } }`,
    'LeadHistory.events': () =>
      `{ leadHistory(leadId: "${leads.three}") { state events { type data } } }`,
    'AuditTrailEdge.node': () =>
      '{ auditTrail(first: 500) { edges { node { type streamId data } } } }',
    'LeadChange.lead': () => 'subscription (see its own test)',
  };

  it('every field that may hold personal data is classified, and every way to one is exercised', () => {
    const candidates: string[] = [];
    for (const type of schemaTypes.values()) {
      const root = ['Query', 'Mutation', 'Subscription'].includes(type.name);
      if (type.kind !== 'OBJECT' || type.name.startsWith('__') || root) continue;
      for (const field of type.fields ?? []) {
        const named = namedOf(field.type);
        if (
          named === 'JSON' ||
          (PERSONAL_NAME.test(field.name) && named !== 'Int' && named !== 'Float')
        ) {
          candidates.push(`${type.name}.${field.name}`);
        }
      }
    }
    const unclassified = candidates.filter((c) => !(c in PII_FIELDS) && !(c in NOT_PII));
    expect(unclassified).toEqual([]);
    const roots = ['Query', 'Mutation', 'Subscription'];
    expect([...edgesToPiiTypes(schemaTypes, roots)].sort()).toEqual(Object.keys(CATALOGUE).sort());
  });

  it.each(PII_ROLES)(
    '%s reads the personal data of leads in every query that returns a lead',
    async (role) => {
      const results: Record<string, unknown> = {};
      for (const edge of ['Query.lead', 'LeadEdge.node', 'SlaBreach.lead', 'DroppedLead.lead']) {
        const res = await read(role, CATALOGUE[edge]!());
        expect(res.errors).toBeUndefined();
        results[edge] = res;
      }
      const lead = (results['Query.lead'] as GraphQLResponse<{ lead: Record<string, unknown> }>)
        .data!.lead;
      expect(lead).toMatchObject({
        email: C.email1,
        name: C.name1,
        phone: C.phone1,
        piiMasked: false,
      });
      const all = JSON.stringify(results);
      for (const value of [C.email1, C.name1, C.phone1, C.email2, C.name2, C.email3, C.name3]) {
        expect([value, all.includes(value)]).toEqual([value, true]);
      }
      expect(all).not.toContain(`"${MASK}"`);
      // The rejection note as written, for the roles that may read it.
      expect(JSON.stringify(results['Query.lead'])).toContain(C.note1);
    },
  );

  it.each(MASKED_ROLES)('%s sees every lead masked and no personal data anywhere', async (role) => {
    for (const edge of [
      'Query.lead',
      'Lead.handoffs',
      'Lead.currentHandoff',
      'LeadEdge.node',
      'SlaBreach.lead',
      'DroppedLead.lead',
    ]) {
      const res = await read(role, CATALOGUE[edge]!());
      expect([edge, res.errors]).toEqual([edge, undefined]);
      expect([edge, leaksIn(res)]).toEqual([edge, []]);
      const text = JSON.stringify(res.data);
      for (const match of text.matchAll(/"(email|name)":("[^"]*"|null)/g)) {
        expect([edge, match[1], match[2]]).toEqual([edge, match[1], `"${MASK}"`]);
      }
      for (const match of text.matchAll(/"piiMasked":(true|false)/g)) expect(match[1]).toBe('true');
    }
  });

  it('the event store reads: ADMIN sees the data, AUDITOR sees every PII field of every event masked, the others are FORBIDDEN', async () => {
    for (const role of ['MARKETING', 'SALES', 'ANALYST'] as const) {
      for (const edge of ['Query.leadHistory', 'AuditTrailEdge.node']) {
        const res = await read(role, CATALOGUE[edge]!());
        expect([role, edge, res.errors?.[0]?.extensions?.code]).toEqual([role, edge, 'FORBIDDEN']);
      }
    }
    type Event = { type: keyof typeof LEAD_PII_FIELDS; data: Record<string, unknown> };
    type Answer = { auditTrail?: { edges: Array<{ node: Event }> } } & Record<
      string,
      { events: Event[] } | undefined
    >;
    const eventsOf = (res: GraphQLResponse): Event[] => {
      const data = res.data as Answer;
      if (data.auditTrail) return data.auditTrail.edges.map((e) => e.node);
      return Object.values(data).flatMap((h) => (h as { events: Event[] }).events);
    };
    const checked = new Set<string>();
    for (const edge of ['Query.leadHistory', 'LeadHistory.events', 'AuditTrailEdge.node']) {
      const admin = await read('ADMIN', CATALOGUE[edge]!());
      const auditor = await read('AUDITOR', CATALOGUE[edge]!());
      expect([edge, admin.errors, auditor.errors]).toEqual([edge, undefined, undefined]);
      expect([edge, leaksIn(auditor, Object.values(C))]).toEqual([edge, []]);
      const adminEvents = eventsOf(admin);
      const auditorEvents = eventsOf(auditor);
      expect(auditorEvents.map((e) => e.type)).toEqual(adminEvents.map((e) => e.type));
      auditorEvents.forEach((event, i) => {
        for (const field of LEAD_PII_FIELDS[event.type] ?? []) {
          const original = adminEvents[i]!.data[field];
          if (original === null || original === undefined) continue;
          checked.add(`${event.type}.${field}`);
          expect([edge, event.type, field, event.data[field]]).toEqual([
            edge,
            event.type,
            field,
            MASK,
          ]);
          expect(original).not.toBe(MASK);
        }
      });
    }
    // The world holds a value in every PII field the registry declares.
    const declared = Object.entries(LEAD_PII_FIELDS).flatMap(([type, fields]) =>
      fields.map((f: string) => `${type}.${f}`),
    );
    expect([...checked].sort()).toEqual(declared.sort());
  });

  it("leadHistory's state masks what the events that set it mask (AUDITOR), and shows it to ADMIN", async () => {
    const q = `{ leadHistory(leadId: "${leads.one}") { state events { type data } } }`;
    type History = {
      leadHistory: {
        state: Record<string, unknown>;
        events: Array<{ type: string; data: Record<string, unknown> }>;
      };
    };
    const auditor = (await server.gql<History>(q, {}, tokens.AUDITOR)).data!.leadHistory;
    const admin = (await server.gql<History>(q, {}, tokens.ADMIN)).data!.leadHistory;
    const captured = auditor.events.find((e) => e.type === 'LeadCaptured')!.data;
    for (const field of LEAD_PII_FIELDS.LeadCaptured) {
      expect([field, auditor.state[field]]).toEqual([field, captured[field]]);
    }
    expect(admin.state).toMatchObject({ email: C.email1, name: C.name1, company: 'Acme Corp' });
  });

  it('subscriptions push the lead masked for ANALYST and AUDITOR, readable for the others', async () => {
    const clients: Client[] = [];
    const pushes = ROLES.map((role) => {
      const client = server.ws(tokens[role]);
      clients.push(client);
      return new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no push for ${role}`)), 10_000);
        client.subscribe(
          {
            query: `subscription { leadChanged(leadId: "${leads.two}") { eventType lead { email name piiMasked } } }`,
          },
          {
            next: (value) => {
              clearTimeout(timer);
              resolve(value);
            },
            error: (error) =>
              reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
            complete: () => undefined,
          },
        );
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const touched = await server.gql(
      `mutation { recordTouch(input: { leadId: "${leads.two}", channel: EMAIL }) { position } }`,
      {},
      tokens.MARKETING,
    );
    expect(touched.errors).toBeUndefined();
    const received = await Promise.all(pushes);
    ROLES.forEach((role, i) => {
      const lead = (received[i] as { data: { leadChanged: { lead: Record<string, unknown> } } })
        .data.leadChanged.lead;
      const masked = (MASKED_ROLES as readonly string[]).includes(role);
      expect([role, lead]).toEqual([
        role,
        masked
          ? { email: MASK, name: MASK, piiMasked: true }
          : { email: C.email2, name: C.name2, piiMasked: false },
      ]);
    });
  });

  // Was a bug, fixed (src/graphql/resolvers/leads.ts, the Lead/Handoff field resolvers): Handoff.rejectionNote
  // is served as written to every role. The note is free text about the person (LEAD_PII_FIELDS
  // lists HandoffRejected.note; the vault encrypts it, forgetLead scrubs it, leadHistory and
  // auditTrail mask it for ANALYST and AUDITOR), but lead(id) { handoffs { rejectionNote } } and
  // droppedLeads { lead { handoffs { rejectionNote } } } show it to them. Proposed fix: a
  // @FieldResolver for Handoff.rejectionNote that answers MASK unless mayReadPii(ctx.actor).
  it.each(MASKED_ROLES)(
    '%s does not read the rejection note written about the person',
    async (role) => {
      for (const edge of ['Query.lead', 'DroppedLead.lead']) {
        const res = await read(role, CATALOGUE[edge]!());
        expect([edge, leaksIn(res, [C.note1])]).toEqual([edge, []]);
      }
    },
  );
});
