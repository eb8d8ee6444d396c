import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repo = join(__dirname, '../..');
const validator = join(repo, 'scripts/validate-deploy.mjs');
const copied = [
  'Dockerfile',
  'docker-compose.yml',
  '.env.example',
  '.dockerignore',
  '.gitignore',
  'package-lock.json',
  'src/app/config.ts',
];
/** What the Dockerfile copies and runs: the validator only checks that they exist. */
const stubs = [
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'bench/x.ts',
  'scripts/x.ts',
  'src/cli/main.ts',
];

/** The real deploy files in a scratch directory, one of them changed by `edit`. */
const runOn = (file?: string, edit?: (text: string) => string) => {
  const dir = mkdtempSync(join(tmpdir(), 'leadledger-deploy-'));
  try {
    for (const path of [...copied, ...stubs])
      mkdirSync(dirname(join(dir, path)), { recursive: true });
    for (const path of copied) copyFileSync(join(repo, path), join(dir, path));
    for (const path of stubs) writeFileSync(join(dir, path), '');
    if (file && edit) {
      const before = readFileSync(join(dir, file), 'utf8');
      const after = edit(before);
      expect(after).not.toBe(before); // the edit must hit, or the test proves nothing
      writeFileSync(join(dir, file), after);
    }
    const run = spawnSync(process.execPath, [validator, dir], { encoding: 'utf8' });
    return { status: run.status, out: run.stdout + run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

describe('scripts/validate-deploy.mjs', () => {
  it('passes the repository deploy files and says what it checked', () => {
    const { status, out } = runOn();
    expect(out).toMatch(/Compose Specification schema/);
    expect(out).toMatch(/validate-deploy: all \d+ checks ok/);
    expect(status).toBe(0);
  });

  it.each([
    ['mongo:latest', /service mongodb: image "mongo:latest" is not pinned/],
    ['mongo:7', /service mongodb: image "mongo:7" is not pinned to an exact version/],
    ['mongo', /service mongodb: image "mongo" has no tag/],
  ])('refuses the compose image %s', (image, message) => {
    const { status, out } = runOn('docker-compose.yml', (t) =>
      t.replace('image: mongo:7.0.16', `image: ${image}`),
    );
    expect(status).toBe(1);
    expect(out).toMatch(message);
  });

  it('refuses a compose file that breaks the Compose Specification schema', () => {
    const { status, out } = runOn('docker-compose.yml', (t) =>
      t.replace('        condition: service_healthy', '        condition: when_ready'),
    );
    expect(status).toBe(1);
    expect(out).toMatch(/FAIL docker-compose.yml: valid YAML, valid against the Compose/);
    expect(out).toMatch(/invalid-schema/);
  });

  it('refuses waiting for a healthy store that has no healthcheck', () => {
    const { status, out } = runOn('docker-compose.yml', (t) =>
      t.replace(/\n {4}healthcheck:\n {6}# Initiates[\s\S]*?start_period: 20s\n/, '\n'),
    );
    expect(status).toBe(1);
    expect(out).toMatch(/service api waits for mongodb to be healthy, but it has no healthcheck/);
  });

  it('refuses an app service that starts before its stores are healthy', () => {
    const { status, out } = runOn('docker-compose.yml', (t) =>
      t.replace(
        /( {2}api:\n[\s\S]*?mongodb:\n {8}condition: )service_healthy/,
        '$1service_started',
      ),
    );
    expect(status).toBe(1);
    expect(out).toMatch(/app service api starts before mongodb is healthy \(service_started\)/);
  });

  it('refuses a healthcheck script that does not compile', () => {
    const { status, out } = runOn('docker-compose.yml', (t) =>
      t.replace('isWritablePrimary ? 0 : 1)', 'isWritablePrimary ? 0 : 1'),
    );
    expect(status).toBe(1);
    expect(out).toMatch(/service mongodb: inline script does not compile/);
  });

  it('refuses a compose variable that .env.example does not document', () => {
    const { status, out } = runOn('docker-compose.yml', (t) =>
      t.replace("'127.0.0.1:4000:80'", "'127.0.0.1:${LB_PORT}:80'"),
    );
    expect(status).toBe(1);
    expect(out).toMatch(/\$\{LB_PORT\} in docker-compose.yml is not in .env.example/);
  });

  it('refuses an .env.example that misses a variable the app reads', () => {
    const { status, out } = runOn('.env.example', (t) =>
      t.replace(/^READY_MAX_LAG_SECONDS=.*\n/m, ''),
    );
    expect(status).toBe(1);
    expect(out).toMatch(/READY_MAX_LAG_SECONDS is read by the app .* but not in .env.example/);
  });

  it('refuses a secret with a value in .env.example', () => {
    const { status, out } = runOn('.env.example', (t) =>
      t.replace(/^JWT_SECRET=$/m, 'JWT_SECRET=0123456789abcdef0123456789abcdef'),
    );
    expect(status).toBe(1);
    expect(out).toMatch(/\.env\.example: JWT_SECRET has a value; secrets stay empty there/);
  });

  it('refuses a Dockerfile on a floating base image', () => {
    const { status, out } = runOn('Dockerfile', (t) =>
      t.replace(/^ARG NODE_IMAGE=.*$/m, 'ARG NODE_IMAGE=node:20-bookworm-slim'),
    );
    expect(status).toBe(1);
    expect(out).toMatch(/stage build: image "node:20-bookworm-slim" is not pinned/);
  });

  it('refuses a Dockerfile whose runtime runs as root', () => {
    const { status, out } = runOn('Dockerfile', (t) => t.replace(/^USER node\n/m, ''));
    expect(status).toBe(1);
    expect(out).toMatch(/the runtime stage runs as root \(add USER node\)/);
  });

  it('refuses a shell-form CMD (sh as PID 1 swallows SIGTERM)', () => {
    const { status, out } = runOn('Dockerfile', (t) => t.replace('CMD ["serve"]', 'CMD serve'));
    expect(status).toBe(1);
    expect(out).toMatch(/CMD in shell form/);
  });

  it('refuses a runtime stage that installs dev dependencies', () => {
    const { status, out } = runOn('Dockerfile', (t) => t.replaceAll('npm ci --omit=dev', 'npm ci'));
    expect(status).toBe(1);
    expect(out).toMatch(/the runtime stage neither runs `npm ci --omit=dev` nor copies/);
  });

  it('refuses app code that imports a dev dependency (the image installs --omit=dev)', () => {
    const { status, out } = runOn('src/cli/main.ts', () => "import { parse } from 'yaml';\n");
    expect(status).toBe(1);
    expect(out).toMatch(/src\/cli\/main.ts imports yaml, a dev dependency \(not in the image\)/);
  });

  it('refuses a build context that would carry .env', () => {
    const { status, out } = runOn('.dockerignore', (t) => t.replace(/^\.env\n/m, ''));
    expect(status).toBe(1);
    expect(out).toMatch(/- \.env is not ignored/);
  });
});
