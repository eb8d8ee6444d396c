import { hash } from 'node:crypto';
import type { AnchoredHead } from './events';

/**
 * The Merkle root of a set of stream heads, so one 32-byte value stands for every stream's
 * revision and hash, and any single head can later be proven against it.
 *
 * Leaves are sorted by stream id in UTF-8 byte order (= Unicode code point order, what most
 * languages sort by). leaf = sha256(0x00 ‖ streamId ‖ 0x00 ‖ revision in decimal ‖ 0x00 ‖ hash),
 * node = sha256(0x01 ‖ left ‖ right); an odd node out is carried up unchanged (RFC 6962's
 * domain separation). The root of no heads is sha256 of nothing.
 */

/** A head's leaf hash (NUL is the byte 0x00 in UTF-8). */
export const leafHash = (streamId: string, revision: number, headHash: string): Buffer =>
  hash('sha256', `\u0000${streamId}\u0000${revision}\u0000${headHash}`, 'buffer');

/** The root over leaf hashes already in stream id order. */
export const rootOfLeaves = (leaves: readonly Buffer[]): string => {
  if (leaves.length === 0) return hash('sha256', '');
  // One buffer reused for every node: one-shot hashing is what keeps 100k heads fast.
  const pair = Buffer.alloc(65);
  pair[0] = 1;
  let level = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      level[i]!.copy(pair, 1);
      level[i + 1]!.copy(pair, 33);
      next.push(hash('sha256', pair, 'buffer'));
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!.toString('hex');
};

/** UTF-16 code units re-ranked so that plain comparison follows code points. */
const rank = (unit: number): number =>
  unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;

/** Stream ids in Unicode code point order (= UTF-8 byte order). */
export const compareStreamIds = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
};

/** Sorts heads in place by stream id, as the root orders its leaves. */
export const sortHeads = (heads: AnchoredHead[]): AnchoredHead[] =>
  heads.sort((a, b) => compareStreamIds(a[0], b[0]));

export const merkleRoot = (heads: Iterable<AnchoredHead>): string =>
  rootOfLeaves(sortHeads([...heads]).map(([id, revision, h]) => leafHash(id, revision, h)));
