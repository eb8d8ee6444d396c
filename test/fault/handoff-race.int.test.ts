import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../src/demo/random';
import type { Role } from '../../src/domain/shared/values';
import {
  buildDist,
  codeOf,
  killSpawned,
  signToken,
  sleep,
  startServerProcess,
  type ServerProcess,
} from '../support/process';
import { checkLedger, integrityOf, openAppEvents, type Acknowledged } from './ledger';
import { FAULT_SECRET } from './load';

/**
 * 50 clients race on 10 handed-off leads at once: for each lead two of the rep's clients
 * accept, two reject (one of each with the expected version it saw), one does either. They
 * are spread over two server processes on the same DATA_DIR (one with the projections and the
 * SLA monitor ticking every 100 ms, one API-only), so commands really interleave between read
 * and append, and the monitor races them to the acceptance deadline that passed 14 minutes
 * ago. Four rounds, the clients let go at a seeded moment after the handoffs. Exactly one
 * answer wins each handoff; the others are CONFLICT or DOMAIN_RULE (HANDOFF_NOT_PENDING), never
 * INTERNAL; the final state holds: one terminal event per handoff, a breach at most once and
 * only while it was pending, the read model's stage and handoff as the events say, streams
 * contiguous, chains intact, nothing written by a refused command.
 * FAULT_SEED=<seed> replays a run's client orders and timings.
 */
const seed = process.env.FAULT_SEED ?? randomUUID().slice(0, 8);
const ROUNDS = 4;
const LEADS = 10;
const AGREEMENT = 'race-sla';
const REPS = ['rex', 'rita', 'ravi'];

type Action = 'acceptHandoff' | 'rejectHandoff';

interface Racer {
  leadId: string;
  repId: string;
  action: Action;
  /** The lead's version right after the handoff, when this client sends one. */
  expectedVersion?: number;
  key: string;
  /** Which server it talks to. */
  via: 'projector' | 'replica';
}

interface Payload {
  streamId: string;
  version: number;
  position: string;
  eventTypes: string[];
}

interface HistoryEvent {
  type: string;
  revision: number;
  position: string;
  data: Record<string, unknown>;
}

interface LeadState {
  leadHistory: { events: HistoryEvent[]; state: { stage: string } };
  lead: {
    stage: string;
    handoffs: Array<{
      handoffId: string;
      status: string;
      breaches: string[];
      acceptedWithinSla: boolean | null;
    }>;
  };
}

const minutesAgo = (now: number, minutes: number) => new Date(now - minutes * 60_000).toISOString();

const errorLines = (server: ServerProcess) =>
  server
    .stderr()
    .split('\n')
    .filter((line) => /"level":"(error|fatal)"/.test(line));

beforeAll(() => buildDist(), 240_000);
afterAll(() => killSpawned());

describe('accept vs reject vs SLA breach on the same handoffs', () => {
  let dir: string;
  let projector: ServerProcess;
  let replica: ServerProcess;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-fault-race-'));
    const env = {
      DATA_DIR: dir,
      JWT_SECRET: FAULT_SECRET,
      LOG_LEVEL: 'warn',
      SLA_MONITOR_INTERVAL_MS: '100',
    };
    projector = await startServerProcess({ env });
    replica = await startServerProcess({ env, args: ['--no-projections'] });
    const sign = async (sub: string, roles: Role[]) =>
      tokens.set(sub, await signToken(FAULT_SECRET, sub, roles));
    await sign('race-admin', ['ADMIN']);
    await sign('race-marketer', ['MARKETING']);
    for (const rep of REPS) await sign(rep, ['SALES']);
  }, 120_000);
  afterAll(async () => {
    await killSpawned();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends a mutation and gives its payload, or its error code and rule. */
  const mutate = async (
    server: ServerProcess,
    field: string,
    type: string,
    input: Record<string, unknown>,
    actor: string,
  ) => {
    const answer = await server.gql<Record<string, Payload>>(
      `mutation Race($input: ${type}!) { ${field}(input: $input) { streamId version position eventTypes } }`,
      { input },
      { token: tokens.get(actor)! },
    );
    const rule = answer.errors?.[0]?.extensions?.rule as string | undefined;
    return { payload: answer.data?.[field], code: codeOf(answer), rule };
  };
  const must = async (field: string, type: string, input: Record<string, unknown>) => {
    const { payload, code } = await mutate(replica, field, type, input, 'race-marketer');
    if (!payload) throw new Error(`${field} ${JSON.stringify(input)} failed: ${String(code)}`);
    return payload;
  };

  it('gives each handoff exactly one outcome; the rest are CONFLICT or DOMAIN_RULE', async () => {
    const random = new Random(seed, 'race');
    const acknowledged: Acknowledged[] = [];
    const refused: Array<{ actorId: string; key: string }> = [];
    const rounds: string[] = [];
    const totals = { accepted: 0, rejected: 0, breachedFirst: 0, conflicts: 0, rules: 0 };
    const defined = await mutate(
      projector,
      'defineSlaAgreement',
      'DefineSlaAgreementInput',
      {
        agreementId: AGREEMENT,
        acceptWithinMinutes: 1,
        firstContactWithinMinutes: 60,
        minAttempts: 1,
        attemptWindowDays: 1,
        occurredAt: minutesAgo(Date.now(), 120),
      },
      'race-admin',
    );
    expect(defined.code).toBeUndefined();

    for (let round = 1; round <= ROUNDS; round += 1) {
      // Ten MQLs handed off 15 minutes ago under a 1-minute acceptance SLA: all due at once.
      const now = Date.now();
      const handoffs: Array<{ leadId: string; repId: string; handoffId: string; version: number }> =
        [];
      const leads = Array.from({ length: LEADS }, (_, i) => ({
        leadId: `race-${seed}-r${round}-l${i}`,
        repId: REPS[i % REPS.length]!,
      }));
      for (const { leadId } of leads) {
        await must('captureLead', 'CaptureLeadInput', {
          leadId,
          email: `${leadId}@example.com`,
          segment: 'SMB',
          channel: 'WEBINAR',
          occurredAt: minutesAgo(now, 30),
        });
        await must('qualifyLead', 'QualifyLeadInput', { leadId, occurredAt: minutesAgo(now, 20) });
      }
      // All ten handed off at once, so all ten fall due for the monitor at once.
      handoffs.push(
        ...(await Promise.all(
          leads.map(async ({ leadId, repId }) => {
            const handed = await replica.gql<{ handOffLead: Payload & { handoffId: string } }>(
              `mutation Hand($input: HandOffLeadInput!) {
                handOffLead(input: $input) { version position handoffId }
              }`,
              { input: { leadId, repId, agreementId: AGREEMENT, occurredAt: minutesAgo(now, 15) } },
              { token: tokens.get('race-marketer')! },
            );
            const h = handed.data?.handOffLead;
            if (!h) throw new Error(`handOffLead failed: ${JSON.stringify(handed.errors)}`);
            return { leadId, repId, handoffId: h.handoffId, version: h.version };
          }),
        )),
      );

      const racers: Racer[] = handoffs.flatMap(({ leadId, repId, version }) => {
        const actions: Array<[Action, boolean]> = [
          ['acceptHandoff', false],
          ['rejectHandoff', false],
          ['acceptHandoff', true],
          ['rejectHandoff', true],
          [random.pick(['acceptHandoff', 'rejectHandoff'] as const), random.chance(0.5)],
        ];
        return actions.map(([action, expecting], c) => ({
          leadId,
          repId,
          action,
          ...(expecting ? { expectedVersion: version } : {}),
          key: `race-${round}-${leadId}-${c}`,
          via: random.chance(0.5) ? 'projector' : 'replica',
        }));
      });
      const order = racers
        .map((r) => ({ r, k: random.next() }))
        .sort((a, b) => a.k - b.k)
        .map(({ r }) => r);
      // The monitor sees the handoffs once the projector has projected them (it polls the log
      // written by the replica every 250 ms, and ticks every 100 ms): each lead's clients are
      // let go together 0-400 ms after the handoffs, so the monitor wins some leads, not others.
      const delays = new Map(handoffs.map(({ leadId }) => [leadId, random.int(0, 400)]));
      const answers = await Promise.all(
        order.map(async (r) => {
          await sleep(delays.get(r.leadId)!);
          return mutate(
            r.via === 'projector' ? projector : replica,
            r.action,
            r.action === 'acceptHandoff' ? 'AcceptHandoffInput' : 'RejectHandoffInput',
            {
              leadId: r.leadId,
              idempotencyKey: r.key,
              ...(r.action === 'rejectHandoff' ? { reason: 'NOT_READY' } : {}),
              ...(r.expectedVersion !== undefined ? { expectedVersion: r.expectedVersion } : {}),
            },
            r.repId,
          );
        }),
      );
      expect(answers).toHaveLength(LEADS * 5);

      let breachedFirst = 0;
      for (const { leadId, handoffId, repId } of handoffs) {
        const mine = order
          .map((r, i) => ({ r, a: answers[i]! }))
          .filter(({ r }) => r.leadId === leadId);
        const winners = mine.filter(({ a }) => a.payload);
        const losers = mine.filter(({ a }) => !a.payload);
        // Exactly one answer wins; every other is a clean refusal.
        expect(winners).toHaveLength(1);
        expect(
          losers
            .map(({ a }) => `${a.code}:${a.rule ?? ''}`)
            .filter((c) => c !== 'CONFLICT:' && c !== 'DOMAIN_RULE:HANDOFF_NOT_PENDING'),
        ).toEqual([]);
        const winner = winners[0]!;
        acknowledged.push({ key: winner.r.key, actorId: repId, ...winner.a.payload! });
        for (const { r } of losers) refused.push({ actorId: repId, key: r.key });
        totals.conflicts += losers.filter(({ a }) => a.code === 'CONFLICT').length;
        totals.rules += losers.filter(({ a }) => a.code === 'DOMAIN_RULE').length;

        // The log: one terminal event for the handoff, a breach at most once and only before.
        const state = await projector.gql<LeadState>(
          `query State($id: ID!, $p: String) {
            leadHistory(leadId: $id) { events { type revision position data } state }
            lead(id: $id, consistentWith: $p) {
              stage handoffs { handoffId status breaches acceptedWithinSla }
            }
          }`,
          { id: leadId, p: winner.a.payload!.position },
          { token: tokens.get('race-admin')! },
        );
        expect(state.errors).toBeUndefined();
        const events = state.data!.leadHistory.events;
        const forHandoff = events.filter((e) => e.data.handoffId === handoffId);
        const terminal = forHandoff.filter(
          (e) => e.type === 'HandoffAccepted' || e.type === 'HandoffRejected',
        );
        const breaches = forHandoff.filter((e) => e.type === 'SlaBreached');
        expect(terminal).toHaveLength(1);
        const end = terminal[0]!;
        expect(breaches.length).toBeLessThanOrEqual(1);
        expect(
          breaches.filter((b) => b.data.kind !== 'ACCEPTANCE' || b.revision > end.revision),
        ).toEqual([]);
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
        // The winner's answer names that event.
        expect([end.type, end.position]).toEqual([
          winner.r.action === 'acceptHandoff' ? 'HandoffAccepted' : 'HandoffRejected',
          winner.a.payload!.position,
        ]);
        // The read model says what the events say.
        const accepted = end.type === 'HandoffAccepted';
        const lead = state.data!.lead;
        expect(lead.stage).toBe(state.data!.leadHistory.state.stage);
        expect(lead.stage).toBe(accepted ? 'SAL' : 'MQL');
        const handoff = lead.handoffs.find((h) => h.handoffId === handoffId)!;
        expect(handoff.status).toBe(accepted ? 'ACCEPTED' : 'REJECTED');
        expect(handoff.breaches).toEqual(breaches.map(() => 'ACCEPTANCE'));
        // Accepted 14 minutes after the deadline: never within the SLA.
        if (accepted) expect(handoff.acceptedWithinSla).toBe(false);
        totals[accepted ? 'accepted' : 'rejected'] += 1;
        breachedFirst += breaches.length;
      }
      totals.breachedFirst += breachedFirst;
      const via = order.filter((r) => r.via === 'projector').length;
      rounds.push(
        `round ${round}: each lead's clients let go ${[...delays.values()].join(', ')} ms after the handoffs (${via} via the ` +
          `projector, ${order.length - via} via the replica); ${breachedFirst} breached first`,
      );
    }

    expect(await replica.terminate()).toEqual({ code: 0, signal: null });
    expect(await projector.terminate()).toEqual({ code: 0, signal: null });
    // Neither process logged an error (a failed breach, a failed projection batch).
    expect([...errorLines(projector), ...errorLines(replica)]).toEqual([]);
    expect(integrityOf(join(dir, 'events.db'))).toBe('ok');
    const events = await openAppEvents(dir, {});
    try {
      // Contiguous streams, intact chains, winners where they said, losers nowhere.
      const ledger = await checkLedger(events, acknowledged, refused);
      expect(ledger.problems).toEqual([]);
      console.log(
        `handoff race (seed ${seed}): ${ROUNDS} rounds x ${LEADS} handoffs x 5 clients on two ` +
          `server processes, the SLA monitor ticking every 100 ms:\n  ${rounds.join('\n  ')}\n` +
          `  ${totals.accepted} accepted, ${totals.rejected} rejected, ${totals.breachedFirst} ` +
          `breached before the answer; the losers: ${totals.conflicts} CONFLICT, ${totals.rules} ` +
          `DOMAIN_RULE HANDOFF_NOT_PENDING; log: ${ledger.events} events in ${ledger.streams} ` +
          `streams verified`,
      );
    } finally {
      await events.close();
    }
  }, 240_000);
});
