import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../eventstore/hash';
import type { StoredEvent } from '../eventstore/port';
import {
  LedgerAnchored,
  LedgerHeadsRecorded,
  type AnchoredHead,
  type LedgerAnchored as Anchor,
} from './events';

/**
 * Anchors: what one holds, how it is signed, and how a run of anchor events folds back into
 * the heads they attest. Pure functions, shared by the `Anchorer` and the ledger verifier.
 *
 * signature = HMAC-SHA256(key = the secret's UTF-8 bytes,
 *                         message = "leadledger-anchor/v1\n" + canonical JSON of every other field)
 * keyId     = first 16 hex digits of sha256("leadledger-anchor-key\n" + secret)
 * part digest = sha256 of the canonical JSON of the part's `heads`.
 */

export const SIGNATURE_CONTEXT = 'leadledger-anchor/v1\n';
/** Heads per event: an anchor with more changed heads writes them as parts before itself. */
export const HEADS_PER_EVENT = 2000;

export type UnsignedAnchor = Omit<Anchor, 'signature'>;

export const anchorKeyId = (secret: string): string =>
  createHash('sha256').update(`leadledger-anchor-key\n${secret}`).digest('hex').slice(0, 16);

export const signAnchor = (anchor: UnsignedAnchor, secret: string): string => {
  const { signature: _ignored, ...fields } = anchor as Anchor;
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(SIGNATURE_CONTEXT)
    .update(canonicalJson(fields))
    .digest('hex');
};

export const signatureMatches = (anchor: Anchor, secret: string): boolean => {
  const expected = Buffer.from(signAnchor(anchor, secret), 'hex');
  const actual = Buffer.from(anchor.signature, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
};

export const partDigest = (heads: readonly AnchoredHead[]): string =>
  createHash('sha256').update(canonicalJson(heads)).digest('hex');

/** An anchor's event data to append, in order: its parts (if any), then the anchor itself. */
export interface AnchorEvents {
  parts: LedgerHeadsRecorded[];
  anchor: Anchor;
}

/** Signs an anchor over `changed` (sorted by stream id), splitting heads into parts if many. */
export const buildAnchor = (
  fields: Omit<UnsignedAnchor, 'heads' | 'parts' | 'algorithm' | 'keyId'>,
  changed: readonly AnchoredHead[],
  secret: string,
  headsPerEvent = HEADS_PER_EVENT,
): AnchorEvents => {
  const parts: LedgerHeadsRecorded[] = [];
  if (changed.length > headsPerEvent) {
    for (let i = 0; i < changed.length; i += headsPerEvent) {
      parts.push({
        seq: fields.seq,
        part: parts.length,
        heads: changed.slice(i, i + headsPerEvent),
      });
    }
  }
  const unsigned: UnsignedAnchor = {
    ...fields,
    heads: parts.length > 0 ? [] : [...changed],
    parts: parts.map((p) => ({ count: p.heads.length, digest: partDigest(p.heads) })),
    algorithm: 'HMAC-SHA256',
    keyId: anchorKeyId(secret),
  };
  return { parts, anchor: { ...unsigned, signature: signAnchor(unsigned, secret) } };
};

/** A problem with an anchor event itself (forged, unlinked, unreadable). */
export interface AnchorIssue {
  kind: 'ANCHOR_SIGNATURE' | 'ANCHOR_KEY' | 'ANCHOR_LINK' | 'ANCHOR_MALFORMED';
  /** Position and revision of the anchor event in the anchor stream. */
  position: string;
  revision: number;
  seq: number | null;
  reason: string;
}

/** An anchor that passed its checks, with the heads it attests resolved from its parts. */
export interface AcceptedAnchor {
  anchor: Anchor;
  /** Position of the LedgerAnchored event. */
  eventPosition: string;
  eventRevision: number;
  heads: AnchoredHead[];
  /** False when no key was given to check it with. */
  signatureChecked: boolean;
}

export interface AnchorFold {
  accepted: AcceptedAnchor[];
  issues: AnchorIssue[];
  /** Revision of the anchor stream's last event (null: no anchor stream). */
  streamRevision: number | null;
}

/**
 * Folds the anchor stream's events (in revision order): each anchor's parts are resolved and
 * checked against its digests, its signature checked with the secret of its key id (when any
 * secret is given), and its link to the previous accepted anchor checked. Anchors that fail are
 * reported and left out: their content is not trusted.
 */
export const foldAnchors = (
  events: Iterable<StoredEvent>,
  secrets: readonly string[] = [],
): AnchorFold => {
  const keys = new Map(secrets.map((s) => [anchorKeyId(s), s]));
  const accepted: AcceptedAnchor[] = [];
  const issues: AnchorIssue[] = [];
  let pending: LedgerHeadsRecorded[] = [];
  let streamRevision: number | null = null;
  for (const event of events) {
    streamRevision = event.revision;
    const issue = (kind: AnchorIssue['kind'], seq: number | null, reason: string) =>
      issues.push({ kind, position: event.position, revision: event.revision, seq, reason });
    if (event.type === 'LedgerHeadsRecorded') {
      const part = LedgerHeadsRecorded.safeParse(event.data);
      // A part 0 starts a fresh set: parts of an attempt that never got its anchor are dropped.
      if (part.success) pending = part.data.part === 0 ? [part.data] : [...pending, part.data];
      else issue('ANCHOR_MALFORMED', null, 'heads part does not match its schema');
      continue;
    }
    if (event.type !== 'LedgerAnchored') continue;
    const parts = pending;
    pending = [];
    const parsed = LedgerAnchored.safeParse(event.data);
    if (!parsed.success) {
      issue('ANCHOR_MALFORMED', null, 'anchor does not match its schema');
      continue;
    }
    const anchor = parsed.data;
    const secret = keys.get(anchor.keyId);
    if (keys.size > 0 && secret === undefined) {
      issue('ANCHOR_KEY', anchor.seq, `signed with a key not given (keyId ${anchor.keyId})`);
      continue;
    }
    if (secret !== undefined && !signatureMatches(anchor, secret)) {
      issue('ANCHOR_SIGNATURE', anchor.seq, 'signature does not match the anchor content');
      continue;
    }
    const ownParts = parts.filter((p) => p.seq === anchor.seq);
    const partsMatch =
      ownParts.length === anchor.parts.length &&
      ownParts.every(
        (p, i) =>
          p.part === i &&
          p.heads.length === anchor.parts[i]!.count &&
          partDigest(p.heads) === anchor.parts[i]!.digest,
      );
    if (!partsMatch) {
      issue(
        'ANCHOR_MALFORMED',
        anchor.seq,
        'heads parts are missing or do not match their digests',
      );
      continue;
    }
    const previous = accepted[accepted.length - 1]?.anchor;
    const expectedSeq = previous ? previous.seq + 1 : 0;
    const expectedLink = previous ? previous.signature : null;
    if (anchor.seq !== expectedSeq || anchor.previous !== expectedLink) {
      issue(
        'ANCHOR_LINK',
        anchor.seq,
        `anchor ${anchor.seq} does not follow anchor ${previous ? previous.seq : 'none'} ` +
          '(an anchor is missing or was replaced)',
      );
      // Its heads still count: it is signed (or nothing is checked); the gap is what is reported.
    }
    accepted.push({
      anchor,
      eventPosition: event.position,
      eventRevision: event.revision,
      heads: ownParts.length > 0 ? ownParts.flatMap((p) => p.heads) : anchor.heads,
      signatureChecked: secret !== undefined,
    });
  }
  return { accepted, issues, streamRevision };
};
