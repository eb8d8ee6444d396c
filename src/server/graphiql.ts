import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * GraphiQL served from npm packages (no CDN): the development landing page works offline.
 * Not mounted in production.
 */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  '/graphiql/react.js': {
    pkg: 'react',
    file: 'umd/react.production.min.js',
    type: 'text/javascript',
  },
  '/graphiql/react-dom.js': {
    pkg: 'react-dom',
    file: 'umd/react-dom.production.min.js',
    type: 'text/javascript',
  },
  '/graphiql/graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  '/graphiql/graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

// Package folders, not module ids: the UMD files are outside some packages' export maps.
const fileOf = (pkg: string, file: string) =>
  join(dirname(require.resolve(`${pkg}/package.json`)), file);

const cache = new Map<string, Buffer>();

/** A bundled asset by URL path, or undefined. */
export const graphiqlAsset = (path: string): { body: Buffer; type: string } | undefined => {
  const asset = ASSETS[path];
  if (!asset) return undefined;
  let body = cache.get(path);
  if (!body) {
    body = readFileSync(fileOf(asset.pkg, asset.file));
    cache.set(path, body);
  }
  return { body, type: `${asset.type}; charset=utf-8` };
};

const EXAMPLE = `# Lead Ledger: try these. With JWT_SECRET set, add a header:
# { "Authorization": "Bearer <token>" }

query Leads {
  leads(first: 10) {
    totalCount
    edges { cursor node { id stage email segment owner { id } slaStatus } }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export const graphiqlPage = (): string => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Lead Ledger — GraphiQL</title>
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="/graphiql/graphiql.css" />
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/react.js"></script>
  <script src="/graphiql/react-dom.js"></script>
  <script src="/graphiql/graphiql.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery: ${JSON.stringify(EXAMPLE)} }),
    );
  </script>
</body>
</html>
`;
