import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApolloServer,
  HeaderMap,
  type ApolloServerPlugin,
  type HTTPGraphQLResponse,
} from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import {
  execute,
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  OperationTypeNode,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Authenticator, Session } from '../graphql/auth';
import {
  createContext,
  observing,
  type GraphQLContext,
  type Observed,
  type Services,
} from '../graphql/context';
import { createErrorFormatter, ErrorCode, errorCodeOf } from '../graphql/errors';
import { checkLimits, queryLimitsPlugin, type QueryLimits } from '../graphql/limits';
import { responseCachePlugin } from '../graphql/response-cache';
import { observabilityPlugin } from '../observability/apollo-plugin';
import type { Logger } from '../observability/logger';
import { secondsSince, type Metrics } from '../observability/metrics';
import type { Tracing } from '../observability/tracing';
import { graphiqlAsset, graphiqlPage } from './graphiql';

export interface HttpServerOptions {
  schema: GraphQLSchema;
  services: Services;
  authenticator: Authenticator;
  metrics: Metrics;
  limits: QueryLimits;
  introspection: boolean;
  /** Serve GraphiQL at GET /graphql (browsers) and its assets: development only. */
  landingPage: boolean;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /**
   * The read models' version (changes with every commit to them): with it, repeated read-model
   * queries are answered from a cache while it holds (see graphql/response-cache.ts).
   */
  readModelVersion?: () => number;
  /** Readiness: stores reachable, projections caught up within a bound. */
  ready: () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
  logger: Logger;
  tracing: Tracing;
}

export interface HttpServer {
  server: Server;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Request and correlation ids taken from a client: short tokens, nothing a log could choke on. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;
/** Routes probed every few seconds: their access lines are debug, not info. */
const QUIET_ROUTES: ReadonlySet<string> = new Set(['healthz', 'readyz', 'metrics', 'graphiql']);

const saneId = (header: string | string[] | undefined): string | undefined =>
  typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;

/** One HTTP request as its access log line tells it. */
interface Exchange {
  requestId: string;
  correlationId: string;
  /** Set once the request is authenticated. */
  actorId: string | null;
  observed: Observed;
}

/** A subscription open on a socket, until it completes or the socket closes. */
interface LiveSubscription {
  context: GraphQLContext;
  started: bigint;
}

/** What a graphql-ws socket carries besides the socket and its upgrade request. */
type SocketExtra = {
  session?: Session | null;
  subscriptions?: Map<string, LiveSubscription>;
};

/** The ids a log line about a request carries. */
const idsOf = (request: Exchange | GraphQLContext) => ({
  requestId: request.requestId,
  correlationId: request.correlationId,
  actorId: 'actorId' in request ? request.actorId : (request.actor?.id ?? null),
  operationName: request.observed.operationName,
});

/** Largest query, in tokens, parsed at all. */
const MAX_TOKENS = 20_000;
/** Deepest JSON nesting of a request body (variables included); far beyond any real input. */
const MAX_BODY_NESTING = 64;
/** Longest list in a request body; the API's lists are bounded far below (filters: 1000). */
const MAX_BODY_LIST = 10_000;

/** Apollo would run a subscription sent over HTTP as a query; it belongs on the WebSocket. */
const subscriptionsOverWebSocketOnly: ApolloServerPlugin = {
  requestDidStart: () =>
    Promise.resolve({
      didResolveOperation({ operation }) {
        if (operation?.operation === OperationTypeNode.SUBSCRIPTION) {
          throw new GraphQLError(
            'subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP',
            { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
          );
        }
        return Promise.resolve();
      },
    }),
};

/**
 * `cache-control: no-store` on every GraphQL answer, as Apollo's cache-control plugin answers a
 * schema without cache hints (ours has none). That plugin is off: to find that out it wraps
 * every field resolver and is called for each field of each answer.
 */
const noStore: ApolloServerPlugin = {
  requestDidStart: () =>
    Promise.resolve({
      willSendResponse({ response }) {
        response.http.headers.set('cache-control', 'no-store');
        return Promise.resolve();
      },
    }),
};

/** A query-string parameter parsed as JSON; undefined when absent or not JSON (Apollo says so). */
const jsonParam = (url: URL, name: string): unknown => {
  const text = url.searchParams.get(name);
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * What is wrong with the shape of a parsed request body, if anything: nested deeper than
 * MAX_BODY_NESTING (graphql-js coerces variables recursively: thousands of levels overflow its
 * stack) or a list longer than MAX_BODY_LIST (coerced item by item before any resolver can
 * refuse it, stalling the event loop). Iterative, one pass.
 */
const bodyShapeProblem = (value: unknown): string | undefined => {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_BODY_NESTING) {
      return `the request is nested deeper than ${MAX_BODY_NESTING} levels`;
    }
    if (Array.isArray(node) && node.length > MAX_BODY_LIST) {
      return `the request holds a list of more than ${MAX_BODY_LIST} values`;
    }
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return undefined;
};

const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
};

const errorBody = (code: string, message: string) => ({
  errors: [{ message, extensions: { code } }],
});

/** Reads the body, refusing more than `limit` bytes (413) without buffering the excess. */
const readBody = (req: IncomingMessage, limit: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      reject(new HttpError(413, 'BAD_REQUEST', `the request body exceeds ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Drain the rest instead of resetting the socket, so the 413 reaches the client.
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, 'BAD_REQUEST', `the request body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const headerMap = (req: IncomingMessage): HeaderMap => {
  const map = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) map.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return map;
};

const writeGraphQLResponse = async (res: ServerResponse, response: HTTPGraphQLResponse) => {
  const headers: Record<string, string> = {};
  for (const [key, value] of response.headers) headers[key] = value;
  if (response.body.kind === 'complete') {
    // With its length known the answer goes out in one write, not chunked.
    headers['content-length'] = String(Buffer.byteLength(response.body.string));
    res.writeHead(response.status ?? 200, headers);
    res.end(response.body.string);
    return;
  }
  res.writeHead(response.status ?? 200, headers);
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
};

/** The codes Apollo gives these errors over HTTP, for the same errors over WebSocket. */
const coded = (message: string, code: string) =>
  new GraphQLError(message, { extensions: { code } });

/** Metrics label of a URL: a fixed set, whatever the client sends. */
const routeOf = (url: string | undefined): string => {
  const path = new URL(url ?? '/', 'http://localhost').pathname;
  if (['/graphql', '/healthz', '/readyz', '/metrics'].includes(path)) return path.slice(1);
  return path.startsWith('/graphiql/') ? 'graphiql' : 'other';
};

const withTimeout = <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HttpError(503, ErrorCode.TIMEOUT, `the request took longer than ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
};

/**
 * The API over Node's HTTP server: POST/GET /graphql through Apollo, graphql-ws subscriptions
 * on the same path, /healthz, /readyz, /metrics, and GraphiQL in development.
 */
export const createHttpServer = async (options: HttpServerOptions): Promise<HttpServer> => {
  const { schema, services, authenticator, metrics, limits, logger, tracing } = options;
  // Each error masked as INTERNAL is logged once, with the request it broke when known.
  const reported = new WeakSet<object>();
  const reportInternal = (error: unknown, fields: Record<string, unknown>) => {
    if (typeof error === 'object' && error !== null) {
      if (reported.has(error)) return;
      reported.add(error);
    }
    logger.error({ ...fields, err: error }, 'internal error');
  };
  // The plugin reports with the request's ids first; this catches what never reached it.
  const formatError = createErrorFormatter({ log: (error) => reportInternal(error, {}) });
  const formatErrorOf = (context: GraphQLContext | undefined) =>
    context
      ? createErrorFormatter({ log: (error) => reportInternal(error, idsOf(context)) })
      : formatError;
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: options.introspection,
    includeStacktraceInErrorResponses: false,
    // The process owns SIGTERM (drain, checkpoint, close); Apollo's own handler would re-raise it.
    stopOnTerminationSignals: false,
    formatError,
    // Parsing is bounded too: a body of a million tokens is refused before validation.
    parseOptions: { maxTokens: MAX_TOKENS },
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      noStore,
      queryLimitsPlugin(limits),
      subscriptionsOverWebSocketOnly,
      observabilityPlugin({
        metrics,
        reportInternal: (error, context) => reportInternal(error, idsOf(context)),
      }),
      ...(options.readModelVersion ? [responseCachePlugin(options.readModelVersion)] : []),
    ],
  });
  await apollo.start();

  /** The session of a request, its actor noted for the access log and the span. */
  const authenticate = async (req: IncomingMessage, exchange: Exchange) => {
    try {
      const session = await authenticator.authenticate(req.headers.authorization);
      exchange.actorId = session?.actor.id ?? null;
      exchange.observed.span.update(undefined, { 'enduser.id': exchange.actorId });
      return session;
    } catch (error) {
      const code = errorCodeOf(error);
      exchange.observed.errorCodes.push(code);
      if (code === ErrorCode.INTERNAL) reportInternal(error, idsOf(exchange));
      throw error;
    }
  };

  const graphql = async (
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
    url: URL,
  ) => {
    const body = req.method === 'POST' ? await readBody(req, options.bodyLimitBytes) : '';
    let parsedBody: unknown = body;
    if (req.method === 'POST' && /json/i.test(req.headers['content-type'] ?? '')) {
      try {
        parsedBody = JSON.parse(body);
      } catch {
        throw new HttpError(400, 'BAD_REQUEST', 'the request body is not valid JSON');
      }
    }
    const problem = bodyShapeProblem(
      req.method === 'POST' ? parsedBody : jsonParam(url, 'variables'),
    );
    if (problem) throw new HttpError(400, 'BAD_REQUEST', problem);
    // What the client says it runs, for the access log until Apollo resolves the operation.
    const declared =
      req.method === 'POST'
        ? (parsedBody as { operationName?: unknown } | null)?.operationName
        : url.searchParams.get('operationName');
    if (typeof declared === 'string' && GRAPHQL_NAME.test(declared)) {
      exchange.observed.operationName = declared;
    }
    const response = await withTimeout(
      tracing.inSpan(
        'graphql',
        {
          'leadledger.request_id': exchange.requestId,
          'leadledger.correlation_id': exchange.correlationId,
        },
        (span) => {
          exchange.observed.span = span;
          return apollo.executeHTTPGraphQLRequest({
            httpGraphQLRequest: {
              method: req.method ?? 'GET',
              headers: headerMap(req),
              search: url.search,
              body: parsedBody,
            },
            context: async () => {
              const session = await authenticate(req, exchange);
              return createContext(services, session?.actor ?? null, exchange.requestId, {
                correlationId: exchange.correlationId,
                observed: exchange.observed,
              });
            },
          });
        },
        req.headers,
      ),
      options.requestTimeoutMs,
    );
    await writeGraphQLResponse(res, response);
    return response.status ?? 200;
  };

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
  ): Promise<[string, number]> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return ['healthz', 200];
    }
    if (path === '/readyz') {
      const { ok, checks } = await options.ready().catch((error: unknown) => ({
        ok: false,
        checks: { error: error instanceof Error ? error.message : String(error) },
      }));
      sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks });
      return ['readyz', ok ? 200 : 503];
    }
    if (path === '/metrics') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
      return ['metrics', 200];
    }
    if (options.landingPage && req.method === 'GET') {
      const asset = graphiqlAsset(path);
      if (asset) {
        res.writeHead(200, {
          'content-type': asset.type,
          'cache-control': 'public, max-age=86400',
        });
        res.end(asset.body);
        return ['graphiql', 200];
      }
      const wantsHtml = (req.headers.accept ?? '').includes('text/html');
      if ((path === '/' || path === '/graphql') && wantsHtml && !url.searchParams.has('query')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(graphiqlPage());
        return ['graphiql', 200];
      }
    }
    if (path === '/graphql') {
      if (req.method !== 'GET' && req.method !== 'POST') {
        sendJson(res, 405, errorBody('BAD_REQUEST', 'use GET or POST'), { allow: 'GET, POST' });
        return ['graphql', 405];
      }
      return ['graphql', await graphql(req, res, exchange, url)];
    }
    sendJson(res, 404, {
      error: 'not found',
      endpoints: ['/graphql', '/healthz', '/readyz', '/metrics'],
    });
    return ['other', 404];
  };

  /** The access log: one line per request, ids and outcome only (no token, body or query). */
  const logAccess = (
    req: IncomingMessage,
    exchange: Exchange,
    route: string,
    status: number,
    started: bigint,
  ) => {
    const { observed } = exchange;
    const fields = {
      requestId: exchange.requestId,
      correlationId: exchange.correlationId,
      actorId: exchange.actorId,
      method: req.method,
      path: new URL(req.url ?? '/', 'http://localhost').pathname.slice(0, 200),
      status,
      ms: Math.round(secondsSince(started) * 1e4) / 10,
      operationName: observed.operationName,
      operationType: observed.operationType,
      errors: observed.errorCodes.length > 0 ? observed.errorCodes : undefined,
    };
    if (QUIET_ROUTES.has(route)) logger.debug(fields, 'request');
    else logger.info(fields, 'request');
  };

  // Timeouts are checked this often (Node's default, 30 s, lets a slow client overstay them).
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    const started = process.hrtime.bigint();
    const requestId = saneId(req.headers['x-request-id']) ?? randomUUID();
    const exchange: Exchange = {
      requestId,
      correlationId: saneId(req.headers['x-correlation-id']) ?? requestId,
      actorId: null,
      observed: observing(),
    };
    res.setHeader('x-request-id', exchange.requestId);
    res.setHeader('x-correlation-id', exchange.correlationId);
    route(req, res, exchange)
      .then(([name, status]) => {
        metrics.httpRequests.inc({ route: name, status });
        logAccess(req, exchange, name, status, started);
      })
      .catch((error: unknown) => {
        const known = error instanceof HttpError;
        if (!known) reportInternal(error, idsOf(exchange));
        const status = known ? error.status : 500;
        if (!res.headersSent) {
          sendJson(
            res,
            status,
            errorBody(
              known ? error.code : ErrorCode.INTERNAL,
              known ? error.message : 'Internal error',
            ),
            {
              connection: 'close',
            },
          );
        } else res.end();
        metrics.httpRequests.inc({ route: routeOf(req.url), status });
        exchange.observed.errorCodes.push(known ? error.code : ErrorCode.INTERNAL);
        logAccess(req, exchange, routeOf(req.url), status, started);
      });
  });
  // Slow clients cannot hold a connection open forever sending headers or a body.
  server.headersTimeout = Math.min(10_000, options.requestTimeoutMs);
  server.requestTimeout = options.requestTimeoutMs;

  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: options.bodyLimitBytes });
  const validationRules = options.introspection
    ? specifiedRules
    : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  /** Ends a subscription once (complete, error or closed socket): gauge down, one log line. */
  const endSubscription = (
    subscriptions: Map<string, LiveSubscription> | undefined,
    id: string,
  ) => {
    const live = subscriptions?.get(id);
    if (!subscriptions || !live) return;
    subscriptions.delete(id);
    metrics.subscriptions.dec();
    logger.info(
      { ...idsOf(live.context), ms: Math.round(secondsSince(live.started) * 1e4) / 10 },
      'subscription ended',
    );
  };
  const wsDisposable = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema,
      execute,
      subscribe,
      onConnect: async (ctx) => {
        const auth = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        let session: Session | null;
        try {
          session = await authenticator.authenticate(typeof auth === 'string' ? auth : undefined);
        } catch {
          return false; // the client sees close code 4403 Forbidden
        }
        ctx.extra.session = session;
        ctx.extra.subscriptions = new Map();
        // A socket does not outlive its token.
        if (session?.expiresAt) {
          const socket = ctx.extra.socket;
          const timer = setTimeout(
            () => socket.close(4403, 'token expired'),
            Math.max(0, session.expiresAt - Date.now()),
          );
          socket.once('close', () => clearTimeout(timer));
        }
        return true;
      },
      onSubscribe: (ctx, id, payload) => {
        let document;
        try {
          document = parse(payload.query, { maxTokens: MAX_TOKENS });
        } catch (error) {
          const message = error instanceof Error ? error.message : 'the query does not parse';
          return [coded(message, 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validate(schema, document, validationRules);
        if (errors.length) return errors.map((e) => coded(e.message, 'GRAPHQL_VALIDATION_FAILED'));
        // Queries and mutations go over HTTP, with its timeout, limits and metrics.
        const operation = getOperationAST(document, payload.operationName);
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) {
          return [
            new GraphQLError('only subscriptions are served over WebSocket; use POST /graphql', {
              extensions: { code: 'BAD_REQUEST' },
            }),
          ];
        }
        try {
          checkLimits(
            schema,
            document,
            payload.operationName,
            payload.variables ?? undefined,
            limits,
          );
        } catch (error) {
          return [error as GraphQLError];
        }
        const requestId = randomUUID();
        const context = createContext(services, ctx.extra.session?.actor ?? null, requestId, {
          correlationId: saneId(ctx.extra.request.headers['x-correlation-id']) ?? requestId,
        });
        context.observed.operationName = operation.name?.value ?? null;
        context.observed.operationType = operation.operation;
        ctx.extra.subscriptions?.set(id, { context, started: process.hrtime.bigint() });
        metrics.subscriptions.inc();
        logger.info(idsOf(context), 'subscription started');
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: context,
        };
      },
      onNext: (ctx, id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        const format = formatErrorOf(ctx.extra.subscriptions?.get(id)?.context);
        return { ...result, errors: result.errors.map((e) => format(e.toJSON(), e)) };
      },
      onError: (ctx, id, _payload, errors) => {
        const format = formatErrorOf(ctx.extra.subscriptions?.get(id)?.context);
        return errors.map((e) => format(e.toJSON(), e));
      },
      onComplete: (ctx, id) => endSubscription(ctx.extra.subscriptions, id),
      // A socket that drops may skip onComplete: what it still held ends here.
      onClose: (ctx) => {
        for (const id of [...(ctx.extra.subscriptions?.keys() ?? [])]) {
          endSubscription(ctx.extra.subscriptions, id);
        }
      },
    },
    wss,
  );

  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    async close() {
      try {
        await wsDisposable.dispose();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
      } finally {
        await apollo.stop();
      }
    },
  };
};
