import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, type App } from '../../src/app/composition';
import { loadConfig } from '../../src/app/config';
import type { Actor } from '../../src/domain/shared/values';
import { funnelReport } from '../../src/projections/funnel/queries';
import { getLead } from '../../src/projections/leads/queries';
import { listSlaBreaches, slaCompliance } from '../../src/projections/sla/queries';

const marketer: Actor = { id: 'mkt-1', roles: ['MARKETING'] };
const rep: Actor = { id: 'rep-1', roles: ['SALES'] };

/** The embedded shape, end to end: commands in, projections and the SLA monitor in process. */
describe('the embedded application', () => {
  let dir: string;
  let app: App;
  let now: Date;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leadledger-app-'));
    now = new Date('2026-07-01T09:00:00.000Z');
    app = await openApp(loadConfig({ DATA_DIR: dir, SLA_MONITOR_INTERVAL_MS: '60000' }), {
      clock: () => now,
      runner: { batchDeadlineMs: 5, dropGraceMs: 0 },
    });
    await app.start();
  });
  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (type: string, input: Record<string, unknown>, actor: Actor) =>
    app.handler.handle(type, input, { actor });

  it('projects a lead journey and records an SLA breach when the accept deadline passes', async () => {
    await run(
      'captureLead',
      { leadId: 'L1', email: 'ada@example.com', segment: 'SMB', channel: 'WEBINAR' },
      marketer,
    );
    await run('qualifyLead', { leadId: 'L1' }, marketer);
    const handoff = await run(
      'handOffLead',
      { leadId: 'L1', repId: rep.id, team: 'EMEA' },
      marketer,
    );
    expect(await app.runner.waitFor(handoff.position, 5_000)).toBe(true);
    expect(await getLead(app.runner.access, 'L1')).toMatchObject({
      stage: 'HANDED_OFF',
      segment: 'SMB',
    });

    // The built-in terms give the rep 60 minutes; 61 minutes later the monitor breaches it.
    now = new Date('2026-07-01T10:01:00.000Z');
    const summary = await app.slaMonitor.tick();
    expect(summary).toMatchObject({ breached: 1, failed: 0 });
    expect(await app.runner.waitFor(await app.events.headPosition(), 5_000)).toBe(true);
    expect((await app.slaMonitor.tick()).breached).toBe(0);

    const breaches = await listSlaBreaches(app.runner.access, { filter: { repId: rep.id } });
    expect(breaches.totalCount).toBe(1);
    expect(breaches.edges[0]!.node).toMatchObject({
      leadId: 'L1',
      kind: 'ACCEPTANCE',
      ownerRepId: rep.id,
      deadline: '2026-07-01T10:00:00.000Z',
    });
    const [row] = await slaCompliance(app.runner.access, {
      from: '2026-07-01T00:00:00Z',
      to: '2026-07-02T00:00:00Z',
      groupBy: 'REP',
    });
    expect(row).toMatchObject({ key: rep.id, handoffs: 1, breaches: 1, acceptedInTime: 0 });
    const funnel = await funnelReport(app.runner.access, {
      from: '2026-07-01T00:00:00Z',
      to: '2026-07-02T00:00:00Z',
      mode: 'FLOW',
    });
    const counts = Object.fromEntries(
      funnel.groups[0]!.stages.map((s) => [s.stage, s.count] as const),
    );
    expect(counts).toMatchObject({ LEAD: 1, MQL: 1, HANDED_OFF: 1, SAL: 0 });
  });

  it('keeps its data across a restart on the same DATA_DIR', async () => {
    const { position } = await run(
      'captureLead',
      { leadId: 'L2', email: 'bo@example.com', segment: 'ENTERPRISE', channel: 'EVENT' },
      marketer,
    );
    await app.close();
    app = await openApp(loadConfig({ DATA_DIR: dir }), { runner: { batchDeadlineMs: 5 } });
    await app.start();
    expect(await app.runner.waitFor(position, 5_000)).toBe(true);
    expect(await getLead(app.runner.access, 'L2')).toMatchObject({ segment: 'ENTERPRISE' });
    expect((await app.events.readStream('lead-L2')).map((e) => e.type)).toEqual(['LeadCaptured']);
  });
});
