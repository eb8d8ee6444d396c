import { ChainCheck } from '../eventstore/hash';
import type { EventStore, StoredEvent } from '../eventstore/port';
import { foldAnchors, type AnchorIssue } from './anchor';
import { ANCHOR_STREAM, type AnchoredHead } from './events';
import { merkleRoot } from './merkle';

/**
 * Verifies a whole ledger in one read of the log: every stream's hash chain, and every stream
 * against the latest signed anchor that recorded its head, so an edited, deleted, reordered,
 * rewritten (re-hashed) or truncated history is found and located. Works on anything that
 * yields stored events in log order: either event store through its port, or an export file.
 */

export type LedgerIssueKind =
  /** The stream's own chain breaks (edited, deleted, inserted or reordered event). */
  | 'CHAIN'
  /** The stream ends before the revision an anchor recorded (its tail was deleted). */
  | 'TRUNCATED'
  /** An anchor recorded the stream; it has no event at all now. */
  | 'MISSING'
  /** The event at an anchored revision has another hash (history rewritten and re-hashed). */
  | 'REWRITTEN'
  /** The heads at the latest anchor's position do not give its root (or its counts). */
  | 'ROOT'
  /** An anchor the auditor recorded earlier (`knownAnchors`) is gone or differs. */
  | 'ANCHOR_MISSING'
  | AnchorIssue['kind'];

export interface LedgerIssue {
  kind: LedgerIssueKind;
  streamId: string;
  /**
   * Log position of the first bad event. TRUNCATED: the stream's last remaining event (the
   * missing ones have no position any more); MISSING: null; anchor problems: the anchor event.
   */
  firstBadPosition: string | null;
  /** Revision of that event; TRUNCATED, MISSING and REWRITTEN: the anchored revision. */
  revision: number | null;
  /** Position of the anchor event whose record shows the problem, if one does. */
  anchorPosition: string | null;
  reason: string;
}

export interface LatestAnchor {
  seq: number;
  /** Log position the anchor covers. */
  position: string;
  /** Position of the anchor event itself. */
  eventPosition: string;
  at: string;
  root: string;
  signature: string;
  keyId: string;
}

export interface LedgerVerification {
  ok: boolean;
  /** Streams and events checked (the anchor stream included). */
  streams: number;
  events: number;
  /** Every problem found, by stream id then position. */
  bad: LedgerIssue[];
  anchors: {
    /** Anchors accepted (signature valid, or unchecked without a key). */
    count: number;
    latest: LatestAnchor | null;
    /** False when no key was given: anchors were used but their signatures not checked. */
    signaturesChecked: boolean;
    /** Events after the latest anchor's position: their streams' tails are not covered yet. */
    eventsAfter: number;
  };
}

export interface VerifyProgress {
  events: number;
  streams: number;
  position: string;
}

export interface VerifyLedgerOptions {
  /** Anchor keys: the current ANCHOR_SECRET and any retired one. None: signatures unchecked. */
  secrets?: readonly string[];
  onProgress?: (progress: VerifyProgress) => void;
  /** Events between two progress calls (default 10000). */
  progressEvery?: number;
  /** The stream anchors are in (default `ledger-anchors`). */
  anchorStream?: string;
  /**
   * Anchors recorded outside the ledger on earlier runs (e.g. `anchors.latest` of the last
   * verification): each must still be there, with the same signature. Deleting the newest
   * anchors along with the tails they cover is only detectable this way.
   */
  knownAnchors?: ReadonlyArray<{ seq: number; signature: string }>;
  /**
   * Only these streams (the anchors are still checked): each one's chain and its anchored
   * head; the root, which needs every stream, is not checked. A stream with no event fails.
   */
  only?: ReadonlySet<string>;
}

/** Where the events come from. */
export interface LedgerSource {
  /** The anchor stream's events, in revision order. */
  anchors(): Promise<Iterable<StoredEvent>>;
  /**
   * Every event once, each stream's events in revision order: the log in position order, or
   * grouped by stream as an export writes it.
   */
  log(): AsyncIterable<StoredEvent>;
}

export const storeSource = (store: EventStore, anchorStream = ANCHOR_STREAM): LedgerSource => ({
  anchors: () => store.readStream(anchorStream),
  log: () => store.readAll(),
});

/**
 * A source read twice from the start (e.g. an NDJSON export): the first pass picks out the
 * anchor stream, the second checks everything.
 */
export const rereadableSource = (
  open: () => AsyncIterable<StoredEvent>,
  anchorStream = ANCHOR_STREAM,
): LedgerSource => ({
  async anchors() {
    const anchors: StoredEvent[] = [];
    for await (const e of open()) if (e.streamId === anchorStream) anchors.push(e);
    return anchors;
  },
  log: open,
});

interface StreamState {
  chain: ChainCheck;
  /** Revision of the first event the chain refused. */
  badRevision: number | null;
  revision: number;
  hash: string;
  position: string;
  /** The stream's head as of the latest anchor's position, if it had events by then. */
  covered: AnchoredHead | null;
}

interface AnchoredRecord {
  revision: number;
  hash: string;
  seq: number;
  anchorPosition: string;
  seen: boolean;
}

const byStreamThenPosition = (a: LedgerIssue, b: LedgerIssue): number => {
  if (a.streamId !== b.streamId) return a.streamId < b.streamId ? -1 : 1;
  const [x, y] = [a.firstBadPosition ?? '', b.firstBadPosition ?? ''];
  return x === y ? 0 : x < y ? -1 : 1;
};

export const verifyLedger = async (
  source: LedgerSource,
  options: VerifyLedgerOptions = {},
): Promise<LedgerVerification> => {
  const secrets = options.secrets ?? [];
  const anchorStream = options.anchorStream ?? ANCHOR_STREAM;
  const every = Math.max(1, options.progressEvery ?? 10_000);
  const fold = foldAnchors(await source.anchors(), secrets);
  const bad: LedgerIssue[] = fold.issues.map((i) => ({
    kind: i.kind,
    streamId: anchorStream,
    firstBadPosition: i.position,
    revision: i.revision,
    anchorPosition: i.position,
    reason: i.seq === null ? i.reason : `anchor ${i.seq}: ${i.reason}`,
  }));

  for (const known of options.knownAnchors ?? []) {
    const found = fold.accepted.find((a) => a.anchor.seq === known.seq);
    if (found?.anchor.signature === known.signature) continue;
    bad.push({
      kind: 'ANCHOR_MISSING',
      streamId: anchorStream,
      firstBadPosition: found?.eventPosition ?? null,
      revision: found?.eventRevision ?? null,
      anchorPosition: found?.eventPosition ?? null,
      reason: found
        ? `anchor ${known.seq} has another signature than the one recorded`
        : `anchor ${known.seq}, recorded earlier, is not in the ledger (or does not verify)`,
    });
  }

  // The latest anchored head of each stream: checking it covers every earlier one (the chain
  // links them), so a stream is compared with the newest record only.
  const anchored = new Map<string, AnchoredRecord>();
  for (const { anchor, heads, eventPosition } of fold.accepted) {
    for (const [streamId, revision, hash] of heads) {
      anchored.set(streamId, {
        revision,
        hash,
        seq: anchor.seq,
        anchorPosition: eventPosition,
        seen: false,
      });
    }
  }
  const latest = fold.accepted[fold.accepted.length - 1];
  const covered = latest?.anchor.position;
  let eventsAfter = 0;

  const streams = new Map<string, StreamState>();
  let events = 0;
  /** Events of the ledger (the anchor stream left out) up to the latest anchor's position. */
  let coveredEvents = 0;
  let lastPosition = '';

  const only = options.only;
  for await (const e of source.log()) {
    if (only && !only.has(e.streamId) && e.streamId !== anchorStream) continue;
    let s = streams.get(e.streamId);
    if (!s) {
      s = {
        chain: new ChainCheck(),
        badRevision: null,
        revision: -1,
        hash: '',
        position: '',
        covered: null,
      };
      streams.set(e.streamId, s);
    }
    if (!s.chain.add(e) && s.badRevision === null) s.badRevision = e.revision;
    s.revision = e.revision;
    s.hash = e.metadata.hash;
    s.position = e.position;
    lastPosition = e.position;
    events += 1;
    if (e.streamId !== anchorStream) {
      if (covered !== undefined && e.position <= covered) {
        s.covered = [e.streamId, e.revision, e.metadata.hash];
        coveredEvents += 1;
      } else if (covered !== undefined) {
        eventsAfter += 1;
      }
      const a = anchored.get(e.streamId);
      if (a && !a.seen && e.revision === a.revision) {
        a.seen = true;
        if (e.metadata.hash !== a.hash) {
          bad.push({
            kind: 'REWRITTEN',
            streamId: e.streamId,
            firstBadPosition: e.position,
            revision: e.revision,
            anchorPosition: a.anchorPosition,
            reason: `revision ${a.revision} has another hash than anchor ${a.seq} recorded`,
          });
        }
      }
    }
    if (options.onProgress && events % every === 0) {
      options.onProgress({ events, streams: streams.size, position: e.position });
    }
  }

  if (latest && !only) {
    // Each stream's head as of the anchor's position, whatever order the events came in.
    const { anchor, eventPosition, eventRevision } = latest;
    const heads: AnchoredHead[] = [];
    for (const s of streams.values()) if (s.covered) heads.push(s.covered);
    const root = merkleRoot(heads);
    if (
      root !== anchor.root ||
      heads.length !== anchor.streams ||
      coveredEvents !== anchor.events
    ) {
      bad.push({
        kind: 'ROOT',
        streamId: anchorStream,
        firstBadPosition: eventPosition,
        revision: eventRevision,
        anchorPosition: eventPosition,
        reason:
          `the heads at position ${anchor.position} do not match anchor ${anchor.seq}` +
          ` (${heads.length} streams and ${coveredEvents} events where it recorded` +
          ` ${anchor.streams} and ${anchor.events}${root === anchor.root ? '' : ', another root'})`,
      });
    }
  }

  for (const [streamId, s] of streams) {
    if (s.chain.ok) continue;
    const result = s.chain.result();
    bad.push({
      kind: 'CHAIN',
      streamId,
      firstBadPosition: result.firstBadPosition,
      revision: s.badRevision,
      anchorPosition: null,
      reason: result.reason ?? 'the chain breaks',
    });
  }
  for (const [streamId, a] of anchored) {
    if (a.seen || (only && !only.has(streamId))) continue;
    const s = streams.get(streamId);
    bad.push(
      s
        ? {
            kind: 'TRUNCATED',
            streamId,
            firstBadPosition: s.position,
            revision: a.revision,
            anchorPosition: a.anchorPosition,
            reason: `ends at revision ${s.revision} but anchor ${a.seq} recorded revision ${a.revision}`,
          }
        : {
            kind: 'MISSING',
            streamId,
            firstBadPosition: null,
            revision: a.revision,
            anchorPosition: a.anchorPosition,
            reason: `has no event but anchor ${a.seq} recorded revision ${a.revision}`,
          },
    );
  }
  for (const streamId of only ?? []) {
    if (streams.has(streamId) || anchored.has(streamId)) continue;
    bad.push({
      kind: 'MISSING',
      streamId,
      firstBadPosition: null,
      revision: null,
      anchorPosition: null,
      reason: 'has no event (no such stream)',
    });
  }
  bad.sort(byStreamThenPosition);
  if (options.onProgress && events % every !== 0) {
    options.onProgress({ events, streams: streams.size, position: lastPosition });
  }

  return {
    ok: bad.length === 0,
    streams: streams.size,
    events,
    bad,
    anchors: {
      count: fold.accepted.length,
      latest: latest
        ? {
            seq: latest.anchor.seq,
            position: latest.anchor.position,
            eventPosition: latest.eventPosition,
            at: latest.anchor.at,
            root: latest.anchor.root,
            signature: latest.anchor.signature,
            keyId: latest.anchor.keyId,
          }
        : null,
      signaturesChecked: secrets.length > 0,
      eventsAfter,
    },
  };
};

/** Verifies every stream of a store and its anchors (what `leadledger verify --all` runs). */
export const verifyAll = (
  store: EventStore,
  options: VerifyLedgerOptions = {},
): Promise<LedgerVerification> => verifyLedger(storeSource(store, options.anchorStream), options);

/**
 * Verifies the named streams of a store and their anchored heads (`leadledger verify STREAM...`):
 * each stream read on its own, so the cost is theirs plus the anchor stream's.
 */
export const verifyStreams = (
  store: EventStore,
  streamIds: readonly string[],
  options: Omit<VerifyLedgerOptions, 'only'> = {},
): Promise<LedgerVerification> => {
  const anchorStream = options.anchorStream ?? ANCHOR_STREAM;
  const source: LedgerSource = {
    anchors: () => store.readStream(anchorStream),
    async *log() {
      for (const streamId of new Set(streamIds)) yield* await store.readStream(streamId);
    },
  };
  return verifyLedger(source, { ...options, only: new Set(streamIds) });
};
