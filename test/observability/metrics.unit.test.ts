import { Metrics } from '../../src/observability/metrics';
import type { ProjectionStatus } from '../../src/projections/runner';

const status = (name: string, position: string, lagEvents = 0): ProjectionStatus => ({
  name,
  generation: 1,
  position,
  lagEvents,
  lagSeconds: lagEvents > 0 ? 3 : 0,
  rebuilding: false,
});

describe('Metrics', () => {
  it('keeps operation-name labels bounded: the first 100 names, then "other"', () => {
    const metrics = new Metrics();
    expect(metrics.operationLabel(null)).toBe('anonymous');
    for (let i = 0; i < 100; i += 1) expect(metrics.operationLabel(`Op${i}`)).toBe(`Op${i}`);
    expect(metrics.operationLabel('Op0')).toBe('Op0'); // known names keep theirs
    expect(metrics.operationLabel('OneTooMany')).toBe('other');
    expect(new Metrics().operationLabel('N'.repeat(65))).toBe('other');
  });

  it('reads projection status once per scrape for position, lag and rebuild gauges', async () => {
    const metrics = new Metrics();
    let reads = 0;
    metrics.watchProjections(() => {
      reads += 1;
      return Promise.resolve([
        status('leads', '0000000000000042'),
        status('funnel', '00000000000000000040/00000000000000000040', 2),
      ]);
    });
    const text = await metrics.registry.metrics();
    expect(reads).toBe(1);
    expect(text).toContain('leadledger_projection_position{projection="leads"} 42');
    // EventStoreDB positions count by their commit position.
    expect(text).toContain('leadledger_projection_position{projection="funnel"} 40');
    expect(text).toContain('leadledger_projection_lag_events{projection="funnel"} 2');
    expect(text).toContain('leadledger_projection_lag_seconds{projection="funnel"} 3');
    expect(text).toContain('leadledger_projection_rebuilding{projection="leads"} 0');
  });

  it('still serves the other series when projection status fails', async () => {
    const metrics = new Metrics();
    metrics.watchProjections(() => Promise.reject(new Error('store closed')));
    metrics.httpRequests.inc({ route: 'graphql', status: 200 });
    expect(await metrics.registry.metrics()).toContain(
      'leadledger_http_requests_total{route="graphql",status="200"} 1',
    );
  });
});
