import { createHash } from 'node:crypto';
import { generateDemo, type DemoCommand, type DemoParams } from '../demo/generator';
import { createDemoHandler, runDemo, type DemoSummary } from '../demo/run';
import { DEMO_DAYS } from '../demo/schedule';
import { canonicalJson } from '../eventstore/hash';
import type { EventStore } from '../eventstore/port';
import { DAY } from '../demo/working-time';

/** What `serve --demo` loads into an empty store: numbers within the first minute. */
export const SMALL_DEMO = { leads: 300, seed: 'demo' } as const;

/**
 * The demo story ends at the start of today (UTC) unless told otherwise: the last `days` days,
 * so inboxes, SLA deadlines and this year's reports have something in them.
 */
export const defaultStart = (days: number, now: Date): string => {
  const today = Math.floor(now.getTime() / DAY) * DAY;
  return new Date(today - days * DAY).toISOString();
};

export interface SeedResult extends DemoSummary {
  params: Required<DemoParams>;
  /**
   * sha256 over what the run wrote, without what the store adds as it writes (recorded time,
   * hashes) and the random correlation ids: the same parameters give the same digest.
   */
  digest: string;
  /** Stopped before the end of the story (a stop request). */
  interrupted: boolean;
}

export interface SeedOptions {
  /** Business time reached, as a share of the story (0..1), and events written so far. */
  onProgress?: (share: number, events: number, occurredAt: string) => void;
  shouldStop?: () => boolean;
}

function* until(commands: Iterable<DemoCommand>, stop: () => boolean): Generator<DemoCommand> {
  for (const command of commands) {
    if (stop()) return;
    yield command;
  }
}

/** The digest of the events after `from`, over the fields a run determines. */
export const contentDigest = async (events: EventStore, from: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const e of events.readAll({ from, batchSize: 1000 })) {
    hash.update(
      canonicalJson({
        id: e.id,
        streamId: e.streamId,
        revision: e.revision,
        type: e.type,
        schemaVersion: e.schemaVersion,
        occurredAt: e.occurredAt,
        data: e.data,
        actor: e.metadata.actor,
        idempotencyKey: e.metadata.idempotencyKey,
      }),
    );
    hash.update('\n');
  }
  return `sha256:${hash.digest('hex')}`;
};

/**
 * Writes the demo story through the command handler (never straight into the store), each
 * command at its business time; commands a previous run already wrote are skipped by their
 * idempotency keys, so an interrupted seed finishes when run again.
 */
export const seedDemo = async (
  events: EventStore,
  params: DemoParams,
  options: SeedOptions = {},
): Promise<SeedResult> => {
  const full: Required<DemoParams> = { days: DEMO_DAYS, ...params };
  const startMs = Date.parse(full.start);
  const spanMs = full.days * DAY;
  const before = await events.headPosition();
  const demo = createDemoHandler(events);
  let interrupted = false;
  const stop = () => (interrupted ||= options.shouldStop?.() ?? false);
  const summary = await runDemo(demo.handler, until(generateDemo(full), stop), {
    ...demo,
    progressEvery: 100,
    yieldEvery: 100,
    onProgress: (p) => {
      const share = p.occurredAt === '' ? 0 : (Date.parse(p.occurredAt) - startMs) / spanMs;
      options.onProgress?.(Math.min(1, Math.max(0, share)), p.events, p.occurredAt);
    },
  });
  return {
    ...summary,
    params: full,
    digest: await contentDigest(events, before),
    interrupted,
  };
};
