import { sealedStore } from '../../privacy/vault';
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import type { App } from '../../app/composition';
import { comparePositions, type StoredEvent } from '../../eventstore/port';
import { HELP, parseCommand } from '../args';
import { exportLine } from '../export-line';
import { EXIT, stopRequested, turnOfTheLoop, writeTo, type Io, type Output } from '../io';
import { configOf, withStores } from '../open-app';
import { formatCount, progressBar } from '../progress';

export const summary = 'write events with their hashes as NDJSON, for auditors';

const help = `Usage: leadledger export [--out FILE] [--stream ID]...

Writes the event log as NDJSON, one line per event in log order, as of the event store's head
when the export starts. Each line holds streamId, revision, position (global order), id, type,
schemaVersion, occurredAt, recordedAt, data (as stored), metadata (actor, correlation and
causation ids, idempotency key), prevHash and hash: everything the hash chain covers, so
\`leadledger verify --file FILE\` recomputes every hash from the file alone (and checks the
streams against the ledger's signed anchors, which are events too).

Options:
  --out FILE     write to FILE (written as FILE.partial, renamed when complete); default stdout
  --stream ID    only this stream's events (repeatable); default the whole log
  -h, --help     show this help

Exit codes: 0 done, 1 failure (store unreachable, unknown stream, unwritable file), 2 usage error.`;

const line = {
  options: { ...HELP, out: { type: 'string' }, stream: { type: 'string', multiple: true } },
} as const;

const finished = (stream: WriteStream): Promise<void> =>
  new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });

/** The chosen streams' events up to `head`, merged into log order. */
const streamEvents = async (app: App, streams: string[], head: string) => {
  const events: StoredEvent[] = [];
  for (const streamId of new Set(streams)) {
    const stored = await sealedStore(app.events).readStream(streamId);
    if (stored.length === 0) throw new Error(`no such stream: ${streamId}`);
    events.push(...stored.filter((e) => comparePositions(e.position, head) <= 0));
  }
  return events.sort((a, b) => comparePositions(a.position, b.position));
};

export const run = async (args: string[], io: Io): Promise<number> => {
  const parsed = parseCommand(help, line, args, io);
  if (!parsed) return EXIT.OK;
  const { values } = parsed;
  const config = configOf(io);
  return withStores(io, config, { projections: false }, async (app) => {
    let stop = false;
    void stopRequested(io).then(() => (stop = true));
    const head = await app.events.headPosition();
    const chosen = values.stream ?? [];
    const selected = chosen.length > 0 ? await streamEvents(app, chosen, head) : undefined;
    const total = selected?.length ?? (await app.events.countAfter('', Number.MAX_SAFE_INTEGER));

    const partial = values.out === undefined ? undefined : `${values.out}.partial`;
    let file: WriteStream | undefined;
    if (partial !== undefined) {
      const opening = createWriteStream(partial, { encoding: 'utf8' });
      await new Promise<void>((resolve, reject) => {
        opening.once('open', () => resolve());
        opening.once('error', reject);
      });
      file = opening;
    }
    const out: Output = file ?? io.stdout;
    const bar = progressBar(io, 'export');
    const streams = new Set<string>();
    let events = 0;
    try {
      const source: Iterable<StoredEvent> | AsyncIterable<StoredEvent> =
        selected ?? sealedStore(app.events).readAll({ batchSize: 1000 });
      for await (const event of source) {
        // As of the head when the export started: later appends are not part of it.
        if (comparePositions(event.position, head) > 0) break;
        if (events % 1000 === 999) await turnOfTheLoop();
        if (stop) throw new Error('interrupted');
        await writeTo(out, exportLine(event));
        streams.add(event.streamId);
        events += 1;
        bar.update(events, total, 'events');
      }
      bar.finish();
      if (file && partial !== undefined && values.out !== undefined) {
        await finished(file);
        renameSync(partial, values.out);
      }
    } catch (error) {
      bar.finish();
      if (file && partial !== undefined) {
        await finished(file).catch(() => undefined);
        rmSync(partial, { force: true });
      }
      throw error;
    }
    io.stderr.write(
      `exported ${formatCount(events)} events of ${formatCount(streams.size)} streams${values.out === undefined ? '' : ` to ${values.out}`} (head ${head === '' ? 'empty' : head})\n`,
    );
    return EXIT.OK;
  });
};
