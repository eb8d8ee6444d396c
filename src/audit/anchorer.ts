import { Periodic } from '../processes/periodic';
import { randomUUID } from 'node:crypto';
import {
  ConcurrencyError,
  NO_STREAM,
  type Actor,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type StoredEvent,
} from '../eventstore/port';
import { anchorKeyId, buildAnchor, HEADS_PER_EVENT, signatureMatches } from './anchor';
import { ANCHOR_STREAM, LedgerAnchored, type AnchoredHead } from './events';
import { compareStreamIds, leafHash, rootOfLeaves, sortHeads } from './merkle';

/** Who anchors: recorded as the actor of anchor events. */
export const ANCHORER_ACTOR: Actor = { id: 'ledger-anchorer', roles: [] };

export const DEFAULT_ANCHOR_INTERVAL_MS = 60_000;

/** What the anchorer needs of the event store. */
export type AnchorerStore = Pick<EventStore, 'readStream' | 'readAll' | 'append'>;

export interface AnchorerOptions {
  events: AnchorerStore;
  /** HMAC key (ANCHOR_SECRET). */
  secret: string;
  clock?: () => Date;
  /** The stream anchors go to (default `ledger-anchors`). */
  anchorStream?: string;
  /** Changed heads per event (a larger anchor writes parts before itself). */
  headsPerEvent?: number;
  /** Failed ticks, and anchors found forged while loading. */
  onError?: (error: unknown) => void;
  /** After each anchor written (logs, metrics). */
  onAnchor?: (anchor: LedgerAnchored) => void;
}

/** What the anchorer knows: every stream's head up to `position`, and the anchor to link to. */
interface State {
  seq: number;
  previous: string | null;
  position: string;
  heads: Map<string, { revision: number; hash: string; leaf: Buffer }>;
  /** Stream ids in root order; null when a new stream came (sorted again when anchoring). */
  order: string[] | null;
  events: number;
  /** Revision of the anchor stream's last event: the expected revision of the next append. */
  streamRevision: number | null;
}

/** An anchor event in the anchor stream that does not verify under the anchorer's own key. */
export class ForgedAnchorError extends Error {
  override readonly name = 'ForgedAnchorError';
  constructor(
    readonly position: string,
    readonly seq: number | null,
  ) {
    super(`anchor at position ${position} (seq ${seq ?? '?'}) fails its signature: left out`);
  }
}

/**
 * Appends a signed anchor of every stream's head whenever the log moved since the last one
 * (events of the anchor stream itself do not count). Runs in one process at a time per log; a
 * second one racing it loses on the anchor stream's expected revision and reloads.
 *
 * It learns the heads from the log itself (one read of the whole log when it starts, then only
 * the new events), so the root always covers the real heads; it links to the last anchor that
 * verifies under its key (or was signed with another key, after a rotation).
 */
export class Anchorer {
  private readonly events: AnchorerStore;
  private readonly anchorStream: string;
  private readonly secret: string;
  private readonly keyId: string;
  private readonly clock: () => Date;
  private readonly headsPerEvent: number;
  private readonly onError: (error: unknown) => void;
  private readonly onAnchor: AnchorerOptions['onAnchor'];
  private state: State | undefined;
  private readonly periodic: Periodic<LedgerAnchored | null>;

  constructor(options: AnchorerOptions) {
    if (options.secret.length === 0) throw new RangeError('the anchor secret is empty');
    this.events = options.events;
    this.anchorStream = options.anchorStream ?? ANCHOR_STREAM;
    this.secret = options.secret;
    this.keyId = anchorKeyId(options.secret);
    this.clock = options.clock ?? (() => new Date());
    this.headsPerEvent = options.headsPerEvent ?? HEADS_PER_EVENT;
    this.onError = options.onError ?? ((error) => console.error('anchorer:', error));
    this.onAnchor = options.onAnchor;
    this.periodic = new Periodic(
      () => this.anchor(),
      (error) => this.onError(error),
    );
  }

  /** Anchors now if the log moved; null when it did not (or another anchorer won the race). */
  tick(): Promise<LedgerAnchored | null> {
    return this.periodic.run();
  }

  /** Ticks now and then `intervalMs` after each tick ends. */
  start(intervalMs = DEFAULT_ANCHOR_INTERVAL_MS): void {
    this.periodic.start(intervalMs);
  }

  /** Stops scheduling and waits for the tick in progress, if any. */
  stop(): Promise<void> {
    return this.periodic.stop();
  }

  private async anchor(): Promise<LedgerAnchored | null> {
    try {
      return await this.anchorOnce();
    } catch (error) {
      // Whatever was half learned is dropped: the next tick starts from the store again.
      this.state = undefined;
      if (error instanceof ConcurrencyError && error.streamId === this.anchorStream) return null;
      throw error;
    }
  }

  private async anchorOnce(): Promise<LedgerAnchored | null> {
    const state = this.state ?? (await this.load());
    this.state = state;
    const changed = new Map<string, AnchoredHead>();
    let position = state.position;
    let newEvents = 0;
    for await (const e of this.events.readAll({ from: state.position })) {
      if (e.streamId === this.anchorStream) continue;
      this.learn(state, e);
      changed.set(e.streamId, [e.streamId, e.revision, e.metadata.hash]);
      newEvents += 1;
      position = e.position;
    }
    if (changed.size === 0) return null;

    state.order ??= [...state.heads.keys()].sort(compareStreamIds);
    const root = rootOfLeaves(state.order.map((id) => state.heads.get(id)!.leaf));
    const at = this.clock().toISOString();
    const { parts, anchor } = buildAnchor(
      {
        seq: state.seq,
        at,
        position,
        previous: state.previous,
        streams: state.heads.size,
        events: state.events + newEvents,
        root,
      },
      sortHeads([...changed.values()]),
      this.secret,
      this.headsPerEvent,
    );
    // One append per event: EventStoreDB caps an append at 1 MB. A part left without its anchor
    // by a failure is superseded by the next attempt's parts (a part 0 starts a fresh set).
    let expected: ExpectedRevision = state.streamRevision ?? NO_STREAM;
    const correlationId = randomUUID();
    for (const [type, data] of [
      ...parts.map((p) => ['LedgerHeadsRecorded', p] as const),
      ['LedgerAnchored', anchor] as const,
    ]) {
      const written = await this.events.append(
        this.anchorStream,
        [this.newEvent(type, data, at, correlationId)],
        { expectedRevision: expected },
      );
      expected = written.revision;
    }
    state.streamRevision = expected as number;
    state.seq += 1;
    state.previous = anchor.signature;
    state.position = position;
    state.events += newEvents;
    this.onAnchor?.(anchor);
    return anchor;
  }

  /** A stream's new head, its leaf hashed once (a root then costs only the inner nodes). */
  private learn(state: State, e: StoredEvent): void {
    if (!state.heads.has(e.streamId)) state.order = null;
    const leaf = leafHash(e.streamId, e.revision, e.metadata.hash);
    state.heads.set(e.streamId, { revision: e.revision, hash: e.metadata.hash, leaf });
  }

  private newEvent(type: string, data: unknown, at: string, correlationId: string): NewEvent {
    return {
      type,
      schemaVersion: 1,
      occurredAt: at,
      data,
      metadata: { actor: ANCHORER_ACTOR, correlationId, causationId: correlationId },
    };
  }

  /** The anchor to link to, from the anchor stream; the heads up to it, from the log. */
  private async load(): Promise<State> {
    const anchorEvents = await this.events.readStream(this.anchorStream);
    let base: LedgerAnchored | undefined;
    for (const event of anchorEvents) {
      if (event.type !== 'LedgerAnchored') continue;
      const parsed = LedgerAnchored.safeParse(event.data);
      const anchor = parsed.success ? parsed.data : undefined;
      if (anchor && (anchor.keyId !== this.keyId || signatureMatches(anchor, this.secret))) {
        base = anchor;
      } else {
        this.onError(new ForgedAnchorError(event.position, anchor?.seq ?? null));
      }
    }
    const state: State = {
      seq: base ? base.seq + 1 : 0,
      previous: base ? base.signature : null,
      position: '',
      heads: new Map(),
      order: null,
      events: 0,
      streamRevision:
        anchorEvents.length > 0 ? anchorEvents[anchorEvents.length - 1]!.revision : null,
    };
    if (!base) return state;
    for await (const e of this.events.readAll()) {
      if (e.position > base.position) break;
      if (e.streamId === this.anchorStream) continue;
      this.learn(state, e);
      state.events += 1;
      state.position = e.position;
    }
    return state;
  }
}
