import { Random } from '../../src/demo/random';
import type { Role } from '../../src/domain/shared/values';
import { codeOf, signToken, type GraphQLAnswer, type ServerProcess } from '../support/process';
import type { Acknowledged } from './ledger';

/**
 * Marketing clients writing through the API: each captures its own leads and records touches,
 * scores and MQLs on them, every mutation with its own idempotency key, and keeps what the
 * server answered: acknowledged (with the position, stream and version promised), refused
 * (with the error code) or unanswered (the connection died or timed out: outcome unknown).
 */

export const FAULT_SECRET = 'fault-suite-secret-that-is-long-enough-for-hs256';

export interface Mutation {
  /** The client's idempotency key (unique in the run). */
  key: string;
  actorId: string;
  field: 'captureLead' | 'recordTouch' | 'scoreLead' | 'qualifyLead';
  input: Record<string, unknown>;
  /** The lead it writes to. */
  leadId: string;
}

export interface Refusal {
  mutation: Mutation;
  code: string;
}

const INPUT_TYPES: Record<Mutation['field'], string> = {
  captureLead: 'CaptureLeadInput',
  recordTouch: 'RecordTouchInput',
  scoreLead: 'ScoreLeadInput',
  qualifyLead: 'QualifyLeadInput',
};

const CHANNELS = ['EMAIL', 'PAID_SEARCH', 'WEBINAR', 'CONTENT', 'REFERRAL', 'EVENT'] as const;
const SEGMENTS = ['SMB', 'MID_MARKET', 'ENTERPRISE'] as const;

interface Payload {
  streamId: string;
  version: number;
  position: string;
  eventTypes: string[];
  deduplicated: boolean;
}

/** Sends one mutation; rejects when no answer comes. */
export const send = async (
  server: ServerProcess,
  token: string,
  mutation: Mutation,
  timeoutMs: number,
): Promise<GraphQLAnswer<Record<string, Payload>>> =>
  server.gql<Record<string, Payload>>(
    `mutation Fault($input: ${INPUT_TYPES[mutation.field]}!) {
      ${mutation.field}(input: $input) { streamId version position eventTypes deduplicated }
    }`,
    { input: { ...mutation.input, idempotencyKey: mutation.key } },
    { token, timeoutMs },
  );

export const acknowledgement = (mutation: Mutation, payload: Payload): Acknowledged => ({
  key: mutation.key,
  actorId: mutation.actorId,
  streamId: payload.streamId,
  version: payload.version,
  position: payload.position,
  eventTypes: payload.eventTypes,
});

interface Client {
  actorId: string;
  token: string;
  random: Random;
  /** Its leads whose capture was acknowledged, and whether each is an MQL yet. */
  leads: Array<{ id: string; mql: boolean }>;
  sent: number;
}

export interface LoadOptions {
  clients: number;
  seed: string;
  /** A tag in keys and lead ids, unique per run against one store. */
  tag: string;
  /** A client stops at its first unanswered mutation (the server is gone) when true. */
  stopWhenUnanswered: boolean;
  requestTimeoutMs: number;
  /** Pause between a client's mutations (ms). */
  pauseMs?: number;
}

export class MarketingLoad {
  readonly acknowledged: Acknowledged[] = [];
  /** Answered with an error: a refused mutation writes nothing. */
  readonly refused: Refusal[] = [];
  /** Sent, no answer or TIMEOUT: maybe written, maybe not; retry with the same key to find out. */
  readonly unanswered: Mutation[] = [];
  /** Every mutation sent, by key. */
  private readonly byKey = new Map<string, Mutation>();
  private clients: Client[] = [];
  private loops: Array<Promise<void>> = [];
  private stopped = false;

  constructor(
    private readonly server: () => ServerProcess,
    private readonly options: LoadOptions,
  ) {}

  static async create(server: () => ServerProcess, options: LoadOptions): Promise<MarketingLoad> {
    const load = new MarketingLoad(server, options);
    for (let i = 0; i < options.clients; i += 1) {
      const actorId = `marketer-${options.tag}-${i}`;
      load.clients.push({
        actorId,
        token: await signToken(FAULT_SECRET, actorId, ['MARKETING'] as Role[]),
        random: new Random(options.seed, options.tag, 'client', i),
        leads: [],
        sent: 0,
      });
    }
    return load;
  }

  tokenOf(actorId: string): string {
    return this.clients.find((c) => c.actorId === actorId)!.token;
  }

  start(): void {
    this.loops = this.clients.map((client) => this.run(client));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** Mutations sent so far. */
  get sent(): number {
    return this.clients.reduce((n, c) => n + c.sent, 0);
  }

  private next(client: Client): Mutation {
    const { random } = client;
    const n = client.sent;
    const key = `${this.options.tag}-${client.actorId}-${n}`;
    const lead = client.leads.length > 0 ? random.pick(client.leads) : undefined;
    const roll = random.next();
    if (!lead || roll < 0.3) {
      const leadId = `lead-${key}`;
      return {
        key,
        actorId: client.actorId,
        field: 'captureLead',
        leadId,
        input: {
          leadId,
          email: `${leadId}@example.com`,
          name: `Lead ${n}`,
          segment: random.pick(SEGMENTS),
          channel: random.pick(CHANNELS),
        },
      };
    }
    if (!lead.mql && roll < 0.4) {
      return {
        key,
        actorId: client.actorId,
        field: 'qualifyLead',
        leadId: lead.id,
        input: { leadId: lead.id },
      };
    }
    if (roll < 0.6) {
      return {
        key,
        actorId: client.actorId,
        field: 'scoreLead',
        leadId: lead.id,
        input: { leadId: lead.id, fit: random.int(0, 100), engagement: random.int(0, 100) },
      };
    }
    return {
      key,
      actorId: client.actorId,
      field: 'recordTouch',
      leadId: lead.id,
      input: { leadId: lead.id, channel: random.pick(CHANNELS) },
    };
  }

  /** What an acknowledged mutation changes in the client's picture of its leads. */
  private learn(client: Client, mutation: Mutation) {
    if (mutation.field === 'captureLead') client.leads.push({ id: mutation.leadId, mql: false });
    if (mutation.field === 'qualifyLead') {
      const lead = client.leads.find((l) => l.id === mutation.leadId);
      if (lead) lead.mql = true;
    }
  }

  private async run(client: Client): Promise<void> {
    while (!this.stopped) {
      const mutation = this.next(client);
      client.sent += 1;
      this.byKey.set(mutation.key, mutation);
      let answer: GraphQLAnswer<Record<string, Payload>>;
      try {
        answer = await send(this.server(), client.token, mutation, this.options.requestTimeoutMs);
      } catch {
        this.unanswered.push(mutation);
        if (this.options.stopWhenUnanswered) return;
        // The server may be gone for a while: do not spin.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const payload = answer.data?.[mutation.field];
      const code = codeOf(answer);
      if (payload) {
        this.acknowledged.push(acknowledgement(mutation, payload));
        this.learn(client, mutation);
      } else if (code === 'TIMEOUT') {
        // The outcome is unknown (README): like no answer at all, it must be retried.
        this.unanswered.push(mutation);
      } else {
        this.refused.push({ mutation, code: code ?? `HTTP ${answer.status}` });
      }
      if (this.options.pauseMs) await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
  }

  /**
   * Sends every unanswered mutation again with its key, in the order first sent: each must now
   * succeed, deduplicated when the first attempt was written before the fault.
   */
  async retryUnanswered(): Promise<{ deduplicated: number; written: number; failed: string[] }> {
    const result = { deduplicated: 0, written: 0, failed: [] as string[] };
    for (const mutation of this.unanswered.splice(0)) {
      const client = this.clients.find((c) => c.actorId === mutation.actorId)!;
      const answer = await send(
        this.server(),
        client.token,
        mutation,
        this.options.requestTimeoutMs,
      );
      const payload = answer.data?.[mutation.field];
      if (!payload) {
        result.failed.push(`${mutation.key}: ${codeOf(answer)} ${answer.errors?.[0]?.message}`);
        continue;
      }
      this.acknowledged.push(acknowledgement(mutation, payload));
      this.learn(client, mutation);
      result[payload.deduplicated ? 'deduplicated' : 'written'] += 1;
    }
    return result;
  }

  /**
   * Sends acknowledged mutations again with their keys: each must come back deduplicated with
   * the stream, version and position first answered. Gives the ones that did not.
   */
  async replay(acknowledged: readonly Acknowledged[]): Promise<string[]> {
    const problems: string[] = [];
    for (const ack of acknowledged) {
      const mutation = this.byKey.get(ack.key)!;
      const answer = await send(
        this.server(),
        this.tokenOf(ack.actorId),
        mutation,
        this.options.requestTimeoutMs,
      );
      const payload = answer.data?.[mutation.field];
      const again = payload && acknowledgement(mutation, payload);
      if (!payload?.deduplicated || JSON.stringify(again) !== JSON.stringify(ack)) {
        problems.push(
          `${ack.key}: ${JSON.stringify(payload ?? answer.errors)} != ${JSON.stringify(ack)}`,
        );
      }
    }
    return problems;
  }
}
