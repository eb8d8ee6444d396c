import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { eventually, startObserved, type ObservedServer } from './observed-server';

/** OTEL_ENABLED=true: spans per GraphQL operation and per command, into an in-memory exporter. */
describe('OpenTelemetry tracing', () => {
  const exporter = new InMemorySpanExporter();
  let server: ObservedServer;
  let mia: string;
  beforeAll(async () => {
    server = await startObserved({ OTEL_ENABLED: 'true' }, { spanExporter: exporter });
    mia = await server.token('mia', ['MARKETING']);
  });
  afterAll(() => server.stop());
  beforeEach(() => exporter.reset());

  const span = async (name: string): Promise<ReadableSpan> => {
    await eventually(() =>
      Promise.resolve(exporter.getFinishedSpans().some((s) => s.name === name)),
    );
    return exporter.getFinishedSpans().find((s) => s.name === name)!;
  };

  it("spans the operation and its command, continuing the caller's trace", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const { json } = await server.post(
      {
        query: `mutation Capture {
          captureLead(input: { leadId: "traced-1", email: "t@example.com", segment: SMB, channel: CHAT }) { position }
        }`,
      },
      {
        authorization: `Bearer ${mia}`,
        traceparent: `00-${traceId}-${callerSpan}-01`,
        'x-request-id': 'traced-1',
        'x-correlation-id': 'flow-9',
      },
    );
    expect(json.errors).toBeUndefined();

    const operation = await span('mutation Capture');
    expect(operation.spanContext().traceId).toBe(traceId);
    expect(operation.parentSpanContext?.spanId).toBe(callerSpan);
    expect(operation.attributes).toMatchObject({
      'graphql.operation.type': 'mutation',
      'graphql.operation.name': 'Capture',
      'leadledger.request_id': 'traced-1',
      'leadledger.correlation_id': 'flow-9',
      'enduser.id': 'mia',
    });
    const command = await span('command captureLead');
    expect(command.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    expect(command.attributes).toMatchObject({
      'leadledger.command': 'captureLead',
      'leadledger.correlation_id': 'flow-9',
      'leadledger.deduplicated': false,
    });
    // The whole request's work is one trace.
    expect(new Set(exporter.getFinishedSpans().map((s) => s.spanContext().traceId))).toEqual(
      new Set([traceId]),
    );
  });

  it('marks a refused command and its operation failed with the API code, not the input', async () => {
    await server.post(
      { query: 'mutation { qualifyLead(input: { leadId: "ghost" }) { version } }' },
      { authorization: `Bearer ${mia}` },
    );
    const operation = await span('mutation');
    const command = await span('command qualifyLead');
    for (const failed of [operation, command]) {
      expect(failed.status).toMatchObject({ code: 2, message: 'NOT_FOUND' }); // 2: ERROR
      expect(failed.attributes['leadledger.error_code']).toBe('NOT_FOUND');
    }
    expect(command.events).toEqual([]); // a refusal is not recorded as an exception
  });
});
