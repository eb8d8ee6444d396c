import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { Role } from '../../src/domain/shared/values';

/**
 * The built server and command line run as real processes: spawn them on a DATA_DIR, talk to
 * them over HTTP, stop them with SIGTERM or kill them with SIGKILL. For the fault suites, which
 * must crash a process the way production crashes it (no in-process shortcut survives kill -9).
 */

export const ROOT = join(__dirname, '..', '..');
/** `npm start`'s entry: `leadledger serve`. */
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');
/** `npx leadledger`. */
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Compiles src into dist (`npm run build`), failing with tsc's output. */
export const buildDist = (): void => {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    throw new Error(`npm run build failed (${build.status}):\n${build.stdout}${build.stderr}`);
  }
};

/** A port nothing listens on right now (for a service that must come back on the same port). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });

/** Polls `check` every `everyMs` until it holds; throws naming `what` after `timeoutMs`. */
export const waitUntil = async (
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
};

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  /** Everything it wrote on stderr so far (its JSON log lines, or its one-line refusal). */
  stderr(): string;
  /** Resolves when it has exited. */
  exited: Promise<Exit>;
  running(): boolean;
  /** SIGKILL, then waits for the exit: a crash, nothing flushed, no handler run. */
  crash(): Promise<Exit>;
  /** SIGTERM (a clean stop), then waits for the exit; SIGKILL after `timeoutMs`. */
  terminate(timeoutMs?: number): Promise<Exit>;
}

export interface SpawnOptions {
  /** The whole environment (PATH is added): nothing leaks in from the test's own. */
  env: Record<string, string>;
  /**
   * RLIMIT_FSIZE in KiB (`ulimit -f`): a write past it fails with EFBIG, which is how a full
   * disk looks to SQLite (Node ignores SIGXFSZ, so the write fails instead of killing it).
   */
  fileSizeLimitKiB?: number;
  /** Run as this user and group (a root test runner drops to `nobody` so permissions apply). */
  uid?: number;
  gid?: number;
}

/** Every process spawned here, so a failed test can still kill what it started. */
const spawned = new Set<NodeProcess>();

/** SIGKILLs every process this file spawned that is still running (for `afterAll`). */
export const killSpawned = async (): Promise<void> => {
  await Promise.all([...spawned].filter((p) => p.running()).map((p) => p.crash()));
  spawned.clear();
};

/** `node <script> ...args` with exactly `options.env`, stderr captured, stdout ignored. */
export const spawnNode = (script: string, args: string[], options: SpawnOptions): NodeProcess => {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env };
  const ids = {
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  };
  const child =
    options.fileSizeLimitKiB === undefined
      ? spawn(process.execPath, [script, ...args], {
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
          ...ids,
        })
      : // `exec` keeps the pid: the process killed is node itself, not a shell around it.
        spawn(
          'bash',
          [
            '-c',
            `ulimit -f ${options.fileSizeLimitKiB} && exec "$0" "$@"`,
            process.execPath,
            script,
            ...args,
          ],
          { env, stdio: ['ignore', 'ignore', 'pipe'], ...ids },
        );
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  const handle: NodeProcess = {
    child,
    pid: child.pid!,
    stderr: () => log,
    exited,
    running,
    crash: () => {
      if (running()) child.kill('SIGKILL');
      return exited;
    },
    terminate: async (timeoutMs = 30_000) => {
      if (running()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  spawned.add(handle);
  void exited.then(() => spawned.delete(handle));
  return handle;
};

export interface GraphQLAnswer<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** The `extensions.code` of an answer's first error (undefined: none). */
export const codeOf = (answer: GraphQLAnswer): string | undefined =>
  answer.errors?.[0]?.extensions?.code as string | undefined;

export interface ServerProcess extends NodeProcess {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** POST /graphql; rejects when no answer comes (connection refused or reset, `timeoutMs`). */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string; timeoutMs?: number },
  ): Promise<GraphQLAnswer<T>>;
  /** GET a path (`/healthz`, `/readyz`): its status and body. */
  get(path: string, timeoutMs?: number): Promise<{ status: number; body: string }>;
}

export interface ServerOptions extends Omit<SpawnOptions, 'env'> {
  /** Arguments of `leadledger serve` (`--no-projections`). */
  args?: string[];
  /** DATA_DIR and whatever else (JWT_SECRET, MONGODB_URI, ...); NODE_ENV=test and a free PORT added. */
  env: Record<string, string>;
  /** Longest wait until it answers /healthz. */
  startTimeoutMs?: number;
}

/**
 * `node dist/src/main.js` (`npm start`) on a free port: resolves once it answers /healthz (it
 * listens only after opening the stores and starting the projections); rejects with its stderr
 * when it exits first or does not answer in time. Any LOG_LEVEL works.
 */
export const startServerProcess = async (options: ServerOptions): Promise<ServerProcess> => {
  const port = await freePort();
  const proc = spawnNode(MAIN, options.args ?? [], {
    ...options,
    env: { NODE_ENV: 'test', ...options.env, PORT: String(port) },
  });
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}/graphql`;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running()) {
      throw new Error(
        `the server exited (${JSON.stringify(await proc.exited)}) before listening:\n${proc.stderr()}`,
      );
    }
    const status = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      await proc.crash();
      throw new Error(`the server did not listen within ${timeoutMs} ms:\n${proc.stderr()}`);
    }
    await sleep(100);
  }
  return {
    ...proc,
    base,
    async gql(query, variables, { token, timeoutMs = 30_000 } = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: res.status, ...((await res.json()) as object) };
    },
    async get(path, timeoutMs = 30_000) {
      const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
      return { status: res.status, body: await res.text() };
    },
  };
};

/** An HS256 bearer token as the server with this secret accepts it. */
export const signToken = (secret: string, sub: string, roles: Role[]): Promise<string> =>
  new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret));

/** `leadledger <args>` (dist/src/cli/main.js) as a process. */
export const spawnCli = (args: string[], options: SpawnOptions): NodeProcess =>
  spawnNode(CLI, args, { ...options, env: { NODE_ENV: 'test', ...options.env } });
