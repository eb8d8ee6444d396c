// Static checks of the deploy files, for machines without a Docker engine (CI, the build hosts):
//   node scripts/validate-deploy.mjs [dir]     (npm run validate:deploy; dir defaults to the repo)
// - docker-compose.yml against the Compose Specification JSON schema and dclint's rules;
// - the Dockerfile through dockerfile-utils' validator and the checks below;
// - both against each other, .env.example, .dockerignore and the app's configuration.
// Prints one line per check and exits 1 with one line per problem when any check fails.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, normalize, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { DCLinter } from 'dclint';
import dockerfileAst from 'dockerfile-ast';
import dockerfileUtils from 'dockerfile-utils';
import { parseDocument } from 'yaml';

const COMPOSE = 'docker-compose.yml';
const DOCKERFILE = 'Dockerfile';
const ENV_EXAMPLE = '.env.example';
const CONFIG_SOURCE = 'src/app/config.ts';
/** What the build context must never carry: secrets, local state, build output, caches. */
const MUST_IGNORE = ['.git', '.env', 'node_modules', 'dist', 'data', 'bench/.cache'];
/** An exact release (1.2.3, optionally with a suffix such as -jammy) or a digest. */
const PINNED = /^\d+\.\d+\.\d+([-.+][\w.-]+)?$/;
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|(^|_)KEYS?(_|$)/;

const root = resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), '../..'));
const results = [];
const say = (line) => process.stdout.write(`${line}\n`);

/** Records a check: its name and the problems found (none: it passed). */
const check = (name, problems) => {
  results.push({ name, problems });
  say(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${name}`);
  for (const problem of problems) say(`       - ${problem}`);
};

const read = (file) => readFileSync(join(root, file), 'utf8');

// ---------------------------------------------------------------------------------------------
// Inputs

const missing = [COMPOSE, DOCKERFILE, ENV_EXAMPLE, '.dockerignore'].filter(
  (file) => !existsSync(join(root, file)),
);
if (missing.length > 0) {
  say(`validate-deploy: missing in ${root}: ${missing.join(', ')}`);
  process.exit(1);
}
say(`validate-deploy: ${root}`);

/** KEY=value lines of an env file; `# KEY=value` lines count as documented but unset. */
const parseEnvFile = (text) => {
  const set = new Map();
  const documented = new Set();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const active = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (active) {
      set.set(active[1], active[2]);
      documented.add(active[1]);
      continue;
    }
    const commented = /^#\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (commented) documented.add(commented[1]);
  }
  return { set, documented };
};
const envExample = parseEnvFile(read(ENV_EXAMPLE));

const composeDoc = parseDocument(read(COMPOSE), { merge: true });
const compose = composeDoc.errors.length === 0 ? (composeDoc.toJS() ?? {}) : {};
const services = Object.entries(compose.services ?? {});

const dockerfileText = read(DOCKERFILE);
const dockerfile = dockerfileAst.DockerfileParser.parse(dockerfileText);

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

{
  const linter = new DCLinter({
    // Services are listed in start order (stores, projector, API, load balancer), not A to Z.
    rules: { 'services-alphabetical-order': 0 },
    quiet: false,
    debug: false,
    exclude: [],
  });
  const [result] = linter.lintFiles([join(root, COMPOSE)], false);
  check(
    `${COMPOSE}: valid YAML, valid against the Compose Specification schema, dclint rules`,
    (result?.messages ?? []).map((m) => `line ${m.line}: ${m.message} (${m.rule})`),
  );
}

const imageProblems = (where, image) => {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return [];
  const tag = /:([^:/@]+)$/.exec(image)?.[1];
  if (!tag) return [`${where}: image "${image}" has no tag (means latest)`];
  return PINNED.test(tag) ? [] : [`${where}: image "${image}" is not pinned to an exact version`];
};

check(
  `${COMPOSE}: every image pinned to an exact version (no latest, no floating major or minor)`,
  services.flatMap(([name, s]) => (s.image ? imageProblems(`service ${name}`, s.image) : [])),
);

const builtServices = services.filter(([, s]) => s.build !== undefined);
const buildOf = (s) => (typeof s.build === 'string' ? { context: s.build } : s.build);
check(
  `${COMPOSE}: the app services are built from this repository's ${DOCKERFILE}`,
  builtServices.length === 0
    ? ['no service has a build section']
    : builtServices.flatMap(([name, s]) => {
        const { context = '.', dockerfile: file = DOCKERFILE } = buildOf(s);
        return normalize(join(context, file)) === DOCKERFILE
          ? []
          : [`service ${name} builds ${join(context, file)}, not ${DOCKERFILE}`];
      }),
);

/** The healthcheck a service ends up with: its own, else the Dockerfile's when built from it. */
const dockerfileHealthcheck = dockerfile
  .getInstructions()
  .filter((i) => i.getKeyword() === 'HEALTHCHECK')
  .at(-1);
const healthOf = (s) => {
  if (s.healthcheck?.disable === true || s.healthcheck?.test?.[0] === 'NONE') return 'disabled';
  if (s.healthcheck?.test) return 'compose';
  if (s.build !== undefined && dockerfileHealthcheck) return 'image';
  return 'none';
};

check(
  `${COMPOSE}: every service has a healthcheck or disables it on purpose`,
  services.flatMap(([name, s]) =>
    healthOf(s) === 'none' ? [`service ${name} has no healthcheck (add one or disable: true)`] : [],
  ),
);

{
  const byName = new Map(services);
  const problems = [];
  for (const [name, s] of services) {
    const dependsOn = s.depends_on ?? {};
    if (Array.isArray(dependsOn)) {
      if (dependsOn.length > 0)
        problems.push(`service ${name}: depends_on lists names; give each a condition`);
      continue;
    }
    for (const [target, { condition }] of Object.entries(dependsOn)) {
      const dependency = byName.get(target);
      if (!dependency) {
        problems.push(`service ${name} depends on ${target}, which is not defined`);
        continue;
      }
      const health = healthOf(dependency);
      if (condition === 'service_healthy' && (health === 'none' || health === 'disabled'))
        problems.push(
          `service ${name} waits for ${target} to be healthy, but it has no healthcheck`,
        );
      if (s.build !== undefined && condition !== 'service_healthy')
        problems.push(`app service ${name} starts before ${target} is healthy (${condition})`);
    }
  }
  const apps = builtServices.filter(([, s]) => Object.keys(s.depends_on ?? {}).length > 0);
  if (builtServices.length > 0 && apps.length === 0)
    problems.push('no app service waits for the stores (depends_on)');
  check(
    `${COMPOSE}: health-gated start: the app services wait for healthy stores, every awaited service has a healthcheck`,
    problems,
  );
}

check(
  `${COMPOSE}: the app containers' healthchecks use node (the slim image has no curl or wget)`,
  builtServices.flatMap(([name, s]) => {
    const test = s.healthcheck?.test;
    if (!test || s.healthcheck.disable === true) return [];
    const command = Array.isArray(test) ? test.slice(1).join(' ') : test;
    return /^\s*node\s/.test(command) ? [] : [`service ${name}: healthcheck runs "${command}"`];
  }),
);

/** Compiles (never runs) the JavaScript a probe passes to `node -e` or `mongosh --eval`. */
const scriptProblems = (where, argv) =>
  argv.flatMap((arg, i) => {
    if (!['-e', '--eval'].includes(argv[i - 1] ?? '')) return [];
    try {
      new Script(arg);
      return [];
    } catch (error) {
      return [`${where}: inline script does not compile: ${error.message}`];
    }
  });

check(
  `${COMPOSE}: the inline JavaScript of the healthchecks compiles (node -e, mongosh --eval)`,
  services.flatMap(([name, s]) =>
    Array.isArray(s.healthcheck?.test) ? scriptProblems(`service ${name}`, s.healthcheck.test) : [],
  ),
);

{
  const commands = builtServices.map(([name, s]) => ({
    name,
    args: Array.isArray(s.command) ? s.command : String(s.command ?? 'serve').split(/\s+/),
    replicas: s.deploy?.replicas ?? 1,
  }));
  const api = commands.filter((c) => c.args[0] === 'serve');
  const projectors = commands.filter((c) => c.args[0] === 'project');
  const problems = [];
  const apiReplicas = api.reduce((sum, c) => sum + c.replicas, 0);
  if (apiReplicas < 2)
    problems.push(`${apiReplicas} API replica(s) run \`serve\`; want at least 2`);
  for (const c of api.filter((c) => !c.args.includes('--no-projections')))
    problems.push(`service ${c.name} runs serve with projections beside a projector service`);
  if (projectors.length === 0) problems.push('no service runs `project`');
  check(
    `${COMPOSE}: API replicas run \`serve --no-projections\` (2 or more), a projector runs \`project\``,
    problems,
  );
}

{
  const declared = new Set(Object.keys(compose.volumes ?? {}));
  const used = new Set();
  const problems = [];
  for (const [name, s] of services) {
    for (const volume of s.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
      const type = typeof volume === 'string' ? undefined : volume.type;
      const named = source && !/^[./~$]/.test(source) && (type ?? 'volume') === 'volume';
      if (!named) continue;
      used.add(source);
      if (!declared.has(source))
        problems.push(`service ${name} mounts volume ${source}, not declared under volumes`);
    }
  }
  for (const volume of declared)
    if (!used.has(volume)) problems.push(`volume ${volume} is declared but mounted by no service`);
  const configs = new Set(Object.keys(compose.configs ?? {}));
  for (const [name, s] of services)
    for (const config of s.configs ?? []) {
      const source = typeof config === 'string' ? config : config.source;
      if (!configs.has(source))
        problems.push(`service ${name} uses config ${source}, not declared`);
    }
  check(`${COMPOSE}: named volumes and configs are declared and used`, problems);
}

// ---------------------------------------------------------------------------------------------
// Environment: compose, .env.example and what the app reads

{
  const problems = [];
  for (const [name, s] of builtServices) {
    const files = s.env_file === undefined ? [] : [s.env_file].flat();
    if (files.length === 0) problems.push(`app service ${name} reads no env_file`);
    for (const entry of files) {
      const path = typeof entry === 'string' ? entry : entry.path;
      if (path === '.env') continue; // the operator's copy of .env.example
      if (!existsSync(join(root, path)))
        problems.push(`service ${name}: env_file ${path} does not exist`);
    }
  }
  const usesDotEnv = builtServices.some(([, s]) =>
    [s.env_file ?? []].flat().some((e) => (typeof e === 'string' ? e : e.path) === '.env'),
  );
  if (usesDotEnv) {
    const gitignore = existsSync(join(root, '.gitignore')) ? read('.gitignore') : '';
    if (!gitignore.split('\n').some((l) => ['.env', '/.env', '.env*'].includes(l.trim())))
      problems.push('.env holds secrets but is not in .gitignore');
  }
  check(
    `${COMPOSE}: env_file entries exist (.env is the git-ignored copy of ${ENV_EXAMPLE})`,
    problems,
  );
}

{
  const problems = [];
  const variables = new Set();
  const walk = (value) => {
    if (typeof value === 'string') {
      const text = value.replaceAll('$$', '');
      for (const m of text.matchAll(
        /\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      ))
        variables.add(m[1] ?? m[2]);
    } else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(compose);
  for (const variable of variables)
    if (!envExample.documented.has(variable))
      problems.push(`\${${variable}} in ${COMPOSE} is not in ${ENV_EXAMPLE}`);
  for (const [name, s] of builtServices) {
    const environment = Array.isArray(s.environment)
      ? s.environment.map((e) => String(e).split('=')[0])
      : Object.keys(s.environment ?? {});
    for (const key of environment)
      if (!envExample.documented.has(key))
        problems.push(`service ${name} sets ${key}, which ${ENV_EXAMPLE} does not document`);
  }
  check(
    `${COMPOSE}: every interpolated variable and app environment key is in ${ENV_EXAMPLE}`,
    problems,
  );
}

{
  const problems = [];
  let appKeys = [];
  if (!existsSync(join(root, CONFIG_SOURCE))) {
    problems.push(
      `${CONFIG_SOURCE} not found: update CONFIG_SOURCE in scripts/validate-deploy.mjs`,
    );
  } else {
    // The keys of the zod object `Env` (two-space indented `NAME:` lines inside it).
    const source = read(CONFIG_SOURCE);
    const body = /const Env = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1];
    if (!body) problems.push(`${CONFIG_SOURCE}: no \`const Env = z.object({ ... });\` found`);
    appKeys = [...(body ?? '').matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
    for (const key of appKeys)
      if (!envExample.documented.has(key))
        problems.push(`${key} is read by the app (${CONFIG_SOURCE}) but not in ${ENV_EXAMPLE}`);
  }
  for (const [key, value] of envExample.set) {
    if (SECRET_NAME.test(key) && value !== '')
      problems.push(`${ENV_EXAMPLE}: ${key} has a value; secrets stay empty there`);
    if (/:\/\/[^/@\s]+:[^/@\s]+@/.test(value))
      problems.push(`${ENV_EXAMPLE}: ${key} carries credentials in its URL`);
  }
  check(
    `${ENV_EXAMPLE}: documents every variable the app reads (${appKeys.length} in ${CONFIG_SOURCE}); secrets empty`,
    problems,
  );
  const extra = [...envExample.documented].filter((k) => !appKeys.includes(k));
  if (appKeys.length > 0 && extra.length > 0)
    say(`       note: documented, not read by ${CONFIG_SOURCE} (yet): ${extra.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

{
  const diagnostics = dockerfileUtils.validate(dockerfileText);
  check(
    `${DOCKERFILE}: dockerfile-utils validator (syntax, instructions, flags, JSON forms)`,
    diagnostics.map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
  );
}

/** Instructions grouped by build stage; ARG defaults declared before the first FROM. */
const globalArgs = new Map(
  dockerfile.getInitialARGs().flatMap((arg) => {
    const property = arg.getProperty();
    return property ? [[property.getName(), property.getValue() ?? '']] : [];
  }),
);
const expand = (text) =>
  text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name) => globalArgs.get(name) ?? whole);
const stages = [];
for (const instruction of dockerfile.getInstructions()) {
  const keyword = instruction.getKeyword();
  if (keyword === 'FROM') {
    const [image = '', as, name] = instruction.getArguments().map((a) => a.getValue());
    stages.push({
      image: expand(image),
      name: as?.toUpperCase() === 'AS' ? name : undefined,
      instructions: [],
    });
  } else if (stages.length > 0) stages.at(-1).instructions.push(instruction);
}
const final = stages.at(-1);
const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
const inFinal = (keyword) => (final?.instructions ?? []).filter((i) => i.getKeyword() === keyword);
const args = (instruction) => instruction.getArgumentsContent() ?? '';
const runs = (stage) => stage.instructions.filter((i) => i.getKeyword() === 'RUN').map(args);

check(
  `${DOCKERFILE}: every base image pinned to an exact version (ARG defaults resolved)`,
  stages.flatMap((s, i) =>
    stageNames.has(s.image) ? [] : imageProblems(`stage ${s.name ?? i + 1}`, s.image),
  ),
);

{
  const problems = [];
  if (stages.length < 2) problems.push('one stage only: build and runtime must be separate');
  const builds = stages.some((s) => runs(s).some((r) => /\bnpm run build\b/.test(r)));
  if (!builds) problems.push('no stage runs `npm run build`');
  if (stages.some((s) => runs(s).some((r) => /\bnpm (install|i)\b/.test(r))))
    problems.push('`npm install` found: use `npm ci` (the lockfile, exactly)');
  const prodDeps = stages.filter((s) =>
    runs(s).some((r) => /\bnpm ci\b/.test(r) && /--omit=dev\b/.test(r)),
  );
  const copiesProdDeps = inFinal('COPY').some((c) => {
    const from = c.getFromFlag?.()?.getValue();
    return prodDeps.some((s) => s.name === from) && /node_modules/.test(args(c));
  });
  if (!prodDeps.includes(final) && !copiesProdDeps)
    problems.push('the runtime stage neither runs `npm ci --omit=dev` nor copies its node_modules');
  if (final && runs(final).some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev\b/.test(r)))
    problems.push('the runtime stage installs dev dependencies');
  check(
    `${DOCKERFILE}: multi-stage, \`npm ci\` only, runtime gets \`npm ci --omit=dev\` modules`,
    problems,
  );
}

{
  const problems = [];
  const user = inFinal('USER').at(-1);
  const who = user ? args(user).split(':')[0] : 'root';
  if (['root', '0'].includes(who))
    problems.push(`the runtime stage runs as ${who} (add USER node)`);
  const healthchecks = inFinal('HEALTHCHECK');
  if (healthchecks.length === 0 && !dockerfileHealthcheck)
    problems.push('no HEALTHCHECK in the runtime stage');
  if (dockerfileHealthcheck && /^\s*NONE\b/i.test(args(dockerfileHealthcheck)))
    problems.push('HEALTHCHECK NONE');
  if (dockerfileHealthcheck && !/\bCMD\s*\[\s*"node"/.test(args(dockerfileHealthcheck)))
    problems.push('the HEALTHCHECK does not run node (the slim image has no curl or wget)');
  if (dockerfileHealthcheck) {
    const text = args(dockerfileHealthcheck);
    try {
      const argv = JSON.parse(text.slice(text.indexOf('[')));
      problems.push(...scriptProblems('HEALTHCHECK', argv));
    } catch {
      problems.push('the HEALTHCHECK command is not a JSON (exec form) array');
    }
  }
  const ports = inFinal('EXPOSE').flatMap((e) => args(e).split(/\s+/));
  if (!ports.some((p) => p.split('/')[0] === '4000')) problems.push('EXPOSE 4000 missing');
  for (const keyword of ['ENTRYPOINT', 'CMD']) {
    const last = inFinal(keyword).at(-1);
    if (!last) problems.push(`no ${keyword} in the runtime stage`);
    else if (!args(last).trim().startsWith('['))
      problems.push(`${keyword} in shell form: /bin/sh would be PID 1 and swallow SIGTERM`);
  }
  const entrypoint = inFinal('ENTRYPOINT').at(-1);
  const script = entrypoint?.getJSONStrings?.().map((j) => j.getJSONValue())[1];
  if (script) {
    const source = script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    if (!existsSync(join(root, source)))
      problems.push(`ENTRYPOINT runs ${script}, but ${source} does not exist`);
  }
  check(
    `${DOCKERFILE}: runtime stage is non-root, has a compiling node HEALTHCHECK, EXPOSE 4000, exec-form ENTRYPOINT/CMD onto an existing source`,
    problems,
  );
}

{
  // `npm ci --omit=dev` installs what package-lock.json does not mark dev: a package src/ loads
  // at run time from anything else is missing in the image.
  const problems = [];
  const lockFile = join(root, 'package-lock.json');
  const lock = existsSync(lockFile) ? JSON.parse(readFileSync(lockFile, 'utf8')) : undefined;
  const sources = existsSync(join(root, 'src'))
    ? readdirSync(join(root, 'src'), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    : [];
  const builtins = new Set(builtinModules);
  let imported = 0;
  if (!lock?.packages) problems.push('package-lock.json (lockfileVersion 2 or 3) not found');
  else
    for (const file of sources) {
      const text = readFileSync(join(root, 'src', file), 'utf8');
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)([^;]*?)\sfrom\s+'([^']+)'/gms),
      ]
        .filter(([, clause]) => !/^\{\s*(type\s+\w+\s*,?\s*)+\}$/.test(clause.trim()))
        .map((m) => m[2]);
      for (const m of text.matchAll(/(?:^\s*import\s+|\brequire\(|\bimport\()'([^']+)'/gm))
        specifiers.push(m[1]);
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier))
          continue;
        const parts = specifier.split('/');
        const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
        imported += 1;
        const entry = lock.packages[`node_modules/${name}`];
        if (!entry)
          problems.push(`src/${file} imports ${name}, which package-lock.json does not install`);
        else if (entry.dev)
          problems.push(`src/${file} imports ${name}, a dev dependency (not in the image)`);
      }
    }
  check(
    `package-lock.json: the ${imported} package imports of src/ are all production dependencies (the image has --omit=dev)`,
    problems,
  );
}

// ---------------------------------------------------------------------------------------------
// Build context

/** A .dockerignore pattern as a regex over context-relative paths (and everything below). */
const ignorePatterns = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
  .map((pattern) => {
    const body = pattern
      .replace(/^\/+|\/+$/g, '')
      .replace(/[.+^$()|[\]{}\\]/g, '\\$&')
      .replace(/\*\*\/?/g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replaceAll('\u0000', '(.*/)?');
    return { pattern, regex: new RegExp(`^${body}(/.*)?$`) };
  });
const ignoredBy = (path) => ignorePatterns.find(({ regex }) => regex.test(path))?.pattern;

check(
  `.dockerignore: keeps ${MUST_IGNORE.join(', ')} out of the build context`,
  MUST_IGNORE.filter((path) => !ignoredBy(path)).map((path) => `${path} is not ignored`),
);

{
  const problems = [];
  for (const stage of stages)
    for (const copy of stage.instructions.filter((i) => ['COPY', 'ADD'].includes(i.getKeyword()))) {
      if (copy.getFromFlag?.()) continue;
      const sources = copy
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1);
      for (const source of sources) {
        const path = normalize(source)
          .replace(/^\.\/?/, '')
          .replace(/\/$/, '');
        if (/[*?[]/.test(path)) continue;
        if (!existsSync(join(root, path))) problems.push(`COPY ${source}: not in the repository`);
        else if (ignoredBy(path))
          problems.push(`COPY ${source}: excluded by .dockerignore (${ignoredBy(path)})`);
      }
    }
  check(`${DOCKERFILE}: every COPY source exists and is in the build context`, problems);
}

// ---------------------------------------------------------------------------------------------

const failed = results.filter((r) => r.problems.length > 0);
if (failed.length > 0) {
  const count = failed.reduce((sum, r) => sum + r.problems.length, 0);
  say(`validate-deploy: ${count} problem(s) in ${failed.length} of ${results.length} checks`);
  process.exit(1);
}
say(`validate-deploy: all ${results.length} checks ok`);
