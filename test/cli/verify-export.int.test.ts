import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Anchorer } from '../../src/audit/anchorer';
import { SqliteEventStore } from '../../src/eventstore/sqlite';
import { cli, tempDir } from './harness';

interface Line {
  streamId: string;
  revision: number;
  position: string;
  type: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

const parse = (text: string): Line[] =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

describe('leadledger verify and export', () => {
  const store = tempDir();
  const files = tempDir();
  const env = { DATA_DIR: store.dir };
  const exportFile = join(files.dir, 'export.ndjson');
  let lines: Line[];

  beforeAll(async () => {
    const seeded = await cli(
      ['seed', '--leads', '80', '--seed', 'audit', '--start', '2025-01-01'],
      env,
    );
    expect(seeded.code).toBe(0);
    const exported = await cli(['export', '--out', exportFile], env);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe('');
    lines = parse(readFileSync(exportFile, 'utf8'));
  }, 60_000);
  afterAll(() => {
    store.remove();
    files.remove();
  });

  it('exports every event in log order, with what the hash chain covers', async () => {
    expect(existsSync(`${exportFile}.partial`)).toBe(false);
    const positions = lines.map((l) => l.position);
    expect(new Set(positions).size).toBe(lines.length);
    expect([...positions].sort()).toEqual(positions);
    expect(
      lines.every((l, i) => i === 0 || l.revision === 0 || l.prevHash !== lines[i - 1]!.prevHash),
    ).toBe(true);
    expect(
      Object.keys(JSON.parse(readFileSync(exportFile, 'utf8').split('\n')[0]!) as object),
    ).toEqual([
      'streamId',
      'revision',
      'position',
      'id',
      'type',
      'schemaVersion',
      'occurredAt',
      'recordedAt',
      'data',
      'metadata',
      'prevHash',
      'hash',
    ]);
    // The same on stdout, and for chosen streams only (still in log order).
    const toStdout = await cli(['export'], env);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toBe(readFileSync(exportFile, 'utf8'));
    expect(toStdout.stderr).toMatch(/^exported [\d,]+ events of [\d,]+ streams \(head \d+\)\n$/);
    const streams = [...new Set(lines.map((l) => l.streamId))];
    const two = await cli(['export', '--stream', streams[3]!, '--stream', streams[1]!], env);
    expect(two.code).toBe(0);
    expect(parse(two.stdout)).toEqual(
      lines.filter((l) => l.streamId === streams[3] || l.streamId === streams[1]),
    );
    const unknown = await cli(['export', '--stream', 'lead-nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('leadledger: no such stream: lead-nope\n');
  });

  it('verifies every stream of an intact store: exit 0 with a summary', async () => {
    const run = await cli(['verify', '--all'], env);
    expect(run.code).toBe(0);
    const streams = new Set(lines.map((l) => l.streamId)).size;
    expect(run.stdout).toBe(
      `streams checked: ${streams.toLocaleString('en-US')}, events checked: ${lines.length.toLocaleString('en-US')}, bad streams: 0\n` +
        'anchors: none (without them a deleted tail of a stream goes unnoticed)\n' +
        'all hash chains verify\n',
    );
    const lead = lines.find((l) => l.streamId.startsWith('lead-'))!.streamId;
    const named = await cli(['verify', lead], env);
    expect(named.code).toBe(0);
    expect(named.stdout).toMatch(new RegExp(`^ok ${lead}: \\d+ events\\n`));
    const missing = await cli(['verify', lead, 'lead-missing'], env);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toContain('BAD lead-missing: MISSING: no events (no such stream)\n');
    expect(missing.stdout).toMatch(/bad streams: 1\nVERIFICATION FAILED\n$/);
  });

  it('verifies an export offline', async () => {
    const run = await cli(['verify', '--file', exportFile], { DATA_DIR: join(files.dir, 'none') });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/bad streams: 0\nanchors: none [^\n]*\nall hash chains verify\n$/);
    expect(existsSync(join(files.dir, 'none'))).toBe(false);
    const lead = lines.find((l) => l.streamId.startsWith('lead-'))!.streamId;
    const one = await cli(['verify', '--file', exportFile, lead], {});
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(
      /^streams checked: 1, events checked: \d+, bad streams: 0\nall hash chains verify\n$/,
    );
  });

  it('fails a tampered export line with exit 3, naming the stream, position and line', async () => {
    const index = lines.findIndex((l) => l.type === 'LeadCaptured' && l.revision === 0);
    const victim = lines[index]!;
    const tampered = lines.map((l, i) =>
      i === index ? { ...l, data: { ...l.data, company: 'Forged Ltd' } } : l,
    );
    const file = join(files.dir, 'tampered.ndjson');
    writeFileSync(file, tampered.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const run = await cli(['verify', '--file', file], {});
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(
      `BAD ${victim.streamId}: CHAIN at position ${victim.position} (revision 0, line ${index + 1}): hash does not match the event content\n`,
    );
    expect(run.stdout).toMatch(/bad streams: 1\nanchors: none [^\n]*\nVERIFICATION FAILED\n$/);

    // A dropped event breaks the link of the next one; a garbled line is reported as such.
    const next = lines.findIndex((l, i) => i > 0 && l.revision === 2);
    const dropped = lines.findIndex(
      (l) => l.streamId === lines[next]!.streamId && l.revision === 1,
    );
    const kept = lines.filter((_, i) => i !== dropped);
    expect(kept).toHaveLength(lines.length - 1);
    const gap = join(files.dir, 'gap.ndjson');
    writeFileSync(
      gap,
      kept
        .map((l, i) => (i === kept.length - 1 ? '{"not":"an event"}\n' : `${JSON.stringify(l)}\n`))
        .join(''),
    );
    const broken = await cli(['verify', '--file', gap], {});
    expect(broken.code).toBe(3);
    expect(broken.stdout).toContain(
      `BAD line ${kept.length}: not an exported event (streamId is missing or not a string)\n`,
    );
    expect(broken.stdout).toContain(
      `BAD ${lines[next]!.streamId}: CHAIN at position ${lines[next]!.position} (revision 2, line ${next}): revision 2 where 1 was expected\n`,
    );
    expect(broken.stdout).toMatch(/, bad lines: 1\n/);
  });

  it('fails a store whose events.db row was changed: exit 3, naming the stream and position', async () => {
    const copy = tempDir();
    try {
      copyFileSync(join(store.dir, 'events.db'), join(copy.dir, 'events.db'));
      const victim = lines.find((l) => l.streamId.startsWith('deal-') && l.revision === 1)!;
      const db = new Database(join(copy.dir, 'events.db'));
      const changed = db
        .prepare(
          'UPDATE events SET data = json_set(data, ?, ?) WHERE stream_id = ? AND revision = ?',
        )
        .run('$.tampered', 1, victim.streamId, victim.revision);
      db.close();
      expect(changed.changes).toBe(1);

      const all = await cli(['verify', '--all'], { DATA_DIR: copy.dir });
      expect(all.code).toBe(3);
      expect(all.stdout.split('\n').filter((l) => l.startsWith('BAD'))).toEqual([
        `BAD ${victim.streamId}: CHAIN at position ${victim.position} (revision 1): hash does not match the event content`,
      ]);
      expect(all.stdout).toMatch(/bad streams: 1\nanchors: none [^\n]*\nVERIFICATION FAILED\n$/);
      const one = await cli(['verify', victim.streamId], { DATA_DIR: copy.dir });
      expect(one.code).toBe(3);
      expect(one.stdout).toContain(
        `BAD ${victim.streamId}: CHAIN at position ${victim.position}: hash does not match the event content\n`,
      );
    } finally {
      copy.remove();
    }
  });

  it('checks streams against the ledger anchors: a deleted tail is found', async () => {
    const copy = tempDir();
    try {
      copyFileSync(join(store.dir, 'events.db'), join(copy.dir, 'events.db'));
      const events = new SqliteEventStore(join(copy.dir, 'events.db'));
      const anchorer = new Anchorer({ events, secret: 'a-secret-only-this-test-knows-0123456789' });
      expect(await anchorer.tick()).not.toBeNull();
      await anchorer.stop();
      await events.close();
      const intact = await cli(['verify', '--all'], { DATA_DIR: copy.dir });
      expect(intact.code).toBe(0);
      expect(intact.stdout).toMatch(
        /\nanchors: 1, the latest \(0\) covers position \d+, 0 events after it; signatures not checked\n/,
      );

      const lead = [...lines]
        .reverse()
        .find((l) => l.streamId.startsWith('lead-') && l.revision > 2)!;
      const db = new Database(join(copy.dir, 'events.db'));
      db.prepare('DELETE FROM events WHERE stream_id = ? AND revision = ?').run(
        lead.streamId,
        lead.revision,
      );
      db.close();
      const truncated = await cli(['verify', '--all'], { DATA_DIR: copy.dir });
      expect(truncated.code).toBe(3);
      expect(truncated.stdout).toMatch(
        new RegExp(
          `^BAD ${lead.streamId}: TRUNCATED at position \\d+ \\(revision ${lead.revision}\\): `,
          'm',
        ),
      );
    } finally {
      copy.remove();
    }
  });

  it('draws progress bars on a terminal and keeps stdout clean', async () => {
    const run = await cli(['verify', '--all'], env, { isTTY: true });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\r');
    expect(run.stderr).toMatch(/\rverify \[#{24}\] 100% {2}[\d,]+\/[\d,]+ {2}[\d,]+ streams/);
    expect(run.stderr.endsWith('\n')).toBe(true);
  });
});
