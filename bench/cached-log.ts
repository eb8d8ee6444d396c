import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DemoCommand } from '../src/demo/generator';
import { createDemoHandler, runDemo, type DemoSummary } from '../src/demo/run';
import { SqliteEventStore } from '../src/eventstore/sqlite';
import { writeJson } from './report';

/** Where benchmarks keep what is slow to make (gitignored). */
export const CACHE_DIR = join(resolve(__dirname, '../..'), 'bench/.cache');

export type LogRun = Pick<DemoSummary, 'events' | 'commands' | 'eventsByType'> & {
  generatedInMs: number;
};

/**
 * An event log written once through the command handler (never straight into the store) and
 * kept as `<key>.sqlite` with `infoOf(run)` beside it as `<key>.json`; later runs reuse both.
 * Refused commands are a generator bug: the log is not kept.
 */
export const cachedLog = async <I extends object>(
  key: string,
  what: string,
  commands: () => Iterable<DemoCommand>,
  infoOf: (run: LogRun) => I,
): Promise<{ file: string; info: I }> => {
  const file = join(CACHE_DIR, `${key}.sqlite`);
  const infoFile = join(CACHE_DIR, `${key}.json`);
  if (existsSync(file) && existsSync(infoFile)) {
    return { file, info: JSON.parse(readFileSync(infoFile, 'utf8')) as I };
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  console.log(`generating ${what} through the command handler, once: ${file}`);
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  const store = new SqliteEventStore(partial);
  const demo = createDemoHandler(store, { stateCacheSize: 200_000 });
  const started = performance.now();
  const summary = await runDemo(demo.handler, commands(), {
    ...demo,
    progressEvery: 50_000,
    onProgress: (p) =>
      process.stdout.write(
        `\r  ${p.events.toLocaleString('en-US')} events, business time ${p.occurredAt}   `,
      ),
  });
  const generatedInMs = Math.round(performance.now() - started);
  process.stdout.write('\n');
  await store.close();
  if (summary.rejected > 0) {
    throw new Error(`the generator produced refused commands: ${JSON.stringify(summary.samples)}`);
  }
  renameSync(partial, file);
  const { events, commands: handled, eventsByType } = summary;
  const info = infoOf({ events, commands: handled, eventsByType, generatedInMs });
  writeJson(infoFile, info);
  return { file, info };
};
