import { sealedStore } from '../../privacy/vault';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  rereadableSource,
  verifyAll,
  verifyLedger,
  type LedgerIssue,
  type LedgerVerification,
} from '../../audit/verify-ledger';
import type { StoredEvent } from '../../eventstore/port';
import { HELP, parseCommand } from '../args';
import { parseExportLine } from '../export-line';
import { errorMessage, EXIT, stopRequested, turnOfTheLoop, UsageError, type Io } from '../io';
import { configOf, withStores } from '../open-app';
import { formatCount, progressBar } from '../progress';

export const summary = 'verify hash chains and anchors, in the store or in an export';

const help = `Usage: leadledger verify STREAM... | --all
       leadledger verify --file EXPORT.ndjson [STREAM...]

Re-walks hash chains: each stream's revisions contiguous from 0, each event's prevHash equal to
the previous event's hash, each hash equal to sha256 over prevHash and the event's canonical
content. With --all and --file the whole ledger is checked in one read of the log, and every
stream against the ledger's signed anchors (the ledger-anchors stream), which also finds a
deleted tail or a rewritten (re-hashed) history. Prints each problem with the stream, the
position of its first bad event and why, then a summary (streams checked, events checked, bad
streams).

  STREAM...     stream ids (lead-<id>, deal-<id>, sla-<id>, campaign-<id>, goal-<period>): their
                chains only; a stream without events fails
  --all         every stream in the event store, and the anchors
  --file FILE   an export (leadledger export), offline from its lines alone: no store needed;
                with STREAM..., those streams' chains only
  -h, --help    show this help

Anchor signatures are not checked by this command yet (no anchor key in its configuration):
anchors are used as they are.

Exit codes: 0 everything verifies, 3 a chain, an anchor or an export line fails verification,
1 failure (store unreachable, file unreadable), 2 usage error.`;

const line = {
  options: { ...HELP, all: { type: 'boolean' }, file: { type: 'string' } },
  allowPositionals: true,
} as const;

/** No stream has this id: a verification without anchors (chains of chosen streams only). */
const NO_ANCHORS = '';

const issueLine = (issue: LedgerIssue, line?: number): string => {
  const where = [
    issue.revision === null ? undefined : `revision ${issue.revision}`,
    line === undefined ? undefined : `line ${line}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  const at = issue.firstBadPosition === null ? '' : ` at position ${issue.firstBadPosition}`;
  return `BAD ${issue.streamId}: ${issue.kind}${at}${where === '' ? '' : ` (${where})`}: ${issue.reason}\n`;
};

interface Summary {
  streams: number;
  events: number;
  badStreams: number;
  badLines?: number;
  anchors?: LedgerVerification['anchors'];
}

const report = (io: Io, s: Summary): number => {
  const badLines = s.badLines ? `, bad lines: ${formatCount(s.badLines)}` : '';
  io.stdout.write(
    `streams checked: ${formatCount(s.streams)}, events checked: ${formatCount(s.events)}, bad streams: ${formatCount(s.badStreams)}${badLines}\n`,
  );
  if (s.anchors) {
    const { count, latest, eventsAfter, signaturesChecked } = s.anchors;
    io.stdout.write(
      latest === null
        ? 'anchors: none (without them a deleted tail of a stream goes unnoticed)\n'
        : `anchors: ${formatCount(count)}, the latest (${latest.seq}) covers position ${latest.position}, ${formatCount(eventsAfter)} events after it${signaturesChecked ? '' : '; signatures not checked'}\n`,
    );
  }
  const ok = s.badStreams === 0 && !s.badLines;
  io.stdout.write(ok ? 'all hash chains verify\n' : 'VERIFICATION FAILED\n');
  return ok ? EXIT.OK : EXIT.VERIFICATION_FAILED;
};

const badStreams = (issues: readonly LedgerIssue[]) => new Set(issues.map((i) => i.streamId)).size;

/** Named streams, each through the event store port's own `verify`. */
const verifyStreams = (io: Io, streams: string[]): Promise<number> =>
  withStores(io, configOf(io), { projections: false }, async (app) => {
    const summary: Summary = { streams: 0, events: 0, badStreams: 0 };
    for (const streamId of streams) {
      const v = await app.events.verify(streamId);
      summary.streams += 1;
      summary.events += v.eventsChecked;
      if (v.ok && v.eventsChecked > 0) {
        io.stdout.write(`ok ${streamId}: ${formatCount(v.eventsChecked)} events\n`);
        continue;
      }
      summary.badStreams += 1;
      io.stdout.write(
        v.eventsChecked === 0
          ? `BAD ${streamId}: MISSING: no events (no such stream)\n`
          : issueLine({
              kind: 'CHAIN',
              streamId,
              firstBadPosition: v.firstBadPosition,
              revision: null,
              anchorPosition: null,
              reason: v.reason ?? 'the chain breaks',
            }),
      );
    }
    return report(io, summary);
  });

/** The anchors' key (ANCHOR_SECRET): without it, signatures are reported as not checked. */
const secretsOf = (io: Io): { secrets?: string[] } =>
  io.env.ANCHOR_SECRET ? { secrets: [io.env.ANCHOR_SECRET] } : {};

/** The whole store in one read of the log: every chain and the anchors. */
const verifyStore = (io: Io): Promise<number> =>
  withStores(io, configOf(io), { projections: false }, async (app) => {
    let stop = false;
    void stopRequested(io).then(() => (stop = true));
    const total = await app.events.countAfter('', Number.MAX_SAFE_INTEGER);
    const bar = progressBar(io, 'verify');
    const result = await verifyAll(sealedStore(app.events), {
      ...secretsOf(io),
      progressEvery: 1000,
      onProgress: (p) => {
        if (stop) throw new Error('interrupted');
        bar.update(p.events, total, `${formatCount(p.streams)} streams`);
      },
    });
    bar.finish();
    for (const issue of result.bad) io.stdout.write(issueLine(issue));
    return report(io, {
      streams: result.streams,
      events: result.events,
      badStreams: badStreams(result.bad),
      anchors: result.anchors,
    });
  });

/** Every line of an export file with its number. */
async function* exportLines(file: string): AsyncGenerator<[number, string]> {
  const input = createReadStream(file, { encoding: 'utf8' });
  let number = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    number += 1;
    if (text.trim() !== '') yield [number, text];
    if (number % 1000 === 0) await turnOfTheLoop();
  }
}

/** An export, offline: the same verification as `--all`, over the file's lines. */
const verifyFile = async (io: Io, file: string, only: string[]): Promise<number> => {
  try {
    await new Promise<void>((resolve, reject) => {
      const probe = createReadStream(file);
      probe.once('open', () => {
        probe.destroy();
        resolve();
      });
      probe.once('error', reject);
    });
  } catch (error) {
    throw new Error(`cannot read ${file}: ${errorMessage(error)}`, { cause: error });
  }
  const wanted = only.length > 0 ? new Set(only) : undefined;
  /** Lines that are no event, by number (the file is read twice: reported once). */
  const badLines = new Map<number, string>();
  const events = async function* (): AsyncGenerator<StoredEvent> {
    for await (const [number, text] of exportLines(file)) {
      let event: StoredEvent;
      try {
        event = parseExportLine(text);
      } catch (error) {
        badLines.set(number, errorMessage(error));
        continue;
      }
      if (!wanted || wanted.has(event.streamId)) yield event;
    }
  };
  const anchorStream = wanted ? NO_ANCHORS : undefined;
  const bar = progressBar(io, 'verify');
  const result = await verifyLedger(rereadableSource(events, anchorStream), {
    ...(anchorStream === undefined ? {} : { anchorStream }),
    ...secretsOf(io),
    progressEvery: 1000,
    onProgress: (p) => bar.update(p.events, undefined, `events, ${formatCount(p.streams)} streams`),
  });
  bar.finish();

  // Line numbers of the bad events, for whoever opens the file next.
  const lineOf = new Map<string, number>();
  const badPositions = new Set(result.bad.map((i) => i.firstBadPosition));
  if (badPositions.size > 0) {
    for await (const [number, text] of exportLines(file)) {
      const position = /"position":"([^"]*)"/.exec(text)?.[1];
      if (position !== undefined && badPositions.has(position) && !lineOf.has(position)) {
        lineOf.set(position, number);
      }
    }
  }
  for (const [number, reason] of [...badLines].sort(([a], [b]) => a - b)) {
    io.stdout.write(`BAD line ${number}: not an exported event (${reason})\n`);
  }
  for (const issue of result.bad) {
    io.stdout.write(issueLine(issue, lineOf.get(issue.firstBadPosition ?? '')));
  }
  const seen = new Set<string>();
  if (wanted) {
    for await (const event of events()) seen.add(event.streamId);
  }
  const missing = only.filter((streamId) => !seen.has(streamId));
  for (const streamId of missing)
    io.stdout.write(`BAD ${streamId}: MISSING: no events in ${file}\n`);
  return report(io, {
    streams: result.streams + missing.length,
    events: result.events,
    badStreams: badStreams(result.bad) + missing.length,
    badLines: badLines.size,
    ...(wanted ? {} : { anchors: result.anchors }),
  });
};

export const run = async (args: string[], io: Io): Promise<number> => {
  const parsed = parseCommand(help, line, args, io);
  if (!parsed) return EXIT.OK;
  const { values, positionals } = parsed;
  if (values.file !== undefined) {
    if (values.all) throw new UsageError('--file verifies the file: --all has no meaning with it');
    return verifyFile(io, values.file, positionals);
  }
  if (values.all && positionals.length > 0) {
    throw new UsageError('name streams or pass --all, not both');
  }
  if (!values.all && positionals.length === 0) {
    throw new UsageError('name the streams to verify, or pass --all (or --file)');
  }
  return values.all ? verifyStore(io) : verifyStreams(io, positionals);
};
