import { z } from 'zod';

/**
 * The ledger's own events: signed anchors of every stream's head, written by the `Anchorer` to
 * one stream of their own. Not a domain aggregate: no command writes them and no decider folds
 * them; they are registered so the event registry knows their schema and version.
 */

/** The stream anchors are written to (not `$`-prefixed: EventStoreDB reserves those). */
export const ANCHOR_STREAM = 'ledger-anchors';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');

/** A stream's head: stream id, revision of its last event, that event's hash. */
export const AnchoredHead = z.tuple([z.string().min(1), z.number().int().min(0), Hex64]);
export type AnchoredHead = z.infer<typeof AnchoredHead>;

/** One part of an anchor's changed heads, when there are too many for the anchor event itself. */
export const LedgerHeadsRecorded = z.object({
  /** The anchor (its `seq`) this part belongs to. */
  seq: z.number().int().min(0),
  part: z.number().int().min(0),
  heads: z.array(AnchoredHead),
});
export type LedgerHeadsRecorded = z.infer<typeof LedgerHeadsRecorded>;

export const LedgerAnchored = z.object({
  /** 0 for the first anchor, then +1. */
  seq: z.number().int().min(0),
  /** The anchorer's clock when it signed. */
  at: z.string(),
  /** The last log position covered: the heads are the streams' heads as of this position. */
  position: z.string(),
  /** Signature of the previous anchor (null for the first): anchors form a signed chain. */
  previous: Hex64.nullable(),
  /** Streams and events in the log up to `position`, the anchor stream excluded. */
  streams: z.number().int().min(0),
  events: z.number().int().min(0),
  /** Merkle root over every stream's head at `position` (see merkle.ts). */
  root: Hex64,
  /** Heads that moved since the previous anchor, sorted by stream id (empty when in parts). */
  heads: z.array(AnchoredHead),
  /** Digests of the LedgerHeadsRecorded parts written just before this event, in order. */
  parts: z.array(z.object({ count: z.number().int().min(0), digest: Hex64 })),
  algorithm: z.literal('HMAC-SHA256'),
  /** Names the key without revealing it (see anchor.ts). */
  keyId: z.string(),
  /** HMAC-SHA256 over every other field (see anchor.ts). */
  signature: Hex64,
});
export type LedgerAnchored = z.infer<typeof LedgerAnchored>;

export const LEDGER_EVENTS = { LedgerAnchored, LedgerHeadsRecorded };
