// The benchmark's copy of the tests' OAuth 2 / OIDC server (tests/oauth-server/server.js, oidc-provider), instrumented
// for bench/run.sh. Differences from the tests' server, all for the bench:
// - an unbounded in-memory store (oidc-provider's development store keeps only 1000 objects, too few for 10,000 grants);
// - REDIRECT_URIS: several Switchboard callbacks (one per service node), comma-separated;
// - client sb-storm: while a storm is armed (POST /bench/storm), access tokens issued by the authorization_code grant
//   expire at STORM_AT + a uniform jitter within STORM_WINDOW seconds, so that they all expire within the same window;
//   tokens issued by a refresh last an hour. Every token request is counted per grant: refreshes, double refreshes (a
//   grant refreshed more than once), invalid_grant answers, and each refresh's time against the expiry of the token it
//   replaced (GET /bench/storm); POST /bench/mint issues such grants directly (see mint below);
// - sb-machine (client credentials) tokens last an hour, so machine-token reads are served from Switchboard's cache.
// Env: PORT (required), REDIRECT_URIS (Switchboard callbacks).
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const port = Number(process.env.PORT);
const redirectUris = (process.env.REDIRECT_URIS || 'http://127.0.0.1:5080/api/v1/oauth/callback').split(',').filter(Boolean);
const issuer = `http://127.0.0.1:${port}`;

// A Map with the LRU's get/set/delete and expiry, without its size limit.
class Store {
  #map = new Map();
  get(key) {
    const e = this.#map.get(key);
    if (!e) return undefined;
    if (e.expiry !== undefined && e.expiry <= Date.now()) { this.#map.delete(key); return undefined; }
    return e.value;
  }
  set(key, value, options) {
    this.#map.set(key, { value, expiry: options?.maxAge ? Date.now() + options.maxAge : undefined });
  }
  delete(key) { this.#map.delete(key); }
  get size() { return this.#map.size; }
}
// Expiry is enforced on read; nothing is swept (a benchmark's run is short).
const store = new Store();

const counts = { token: {}, errors: {} };
const now = () => Date.now() / 1000;

let storm = null; // { at, window, armedAt }
const grants = new Map(); // storm grants: grantId -> { exp, refreshes, okRefreshes, invalidGrant, refreshedAt, lateness }
// Every sb-storm refresh request; untracked: refreshes of grants issued while no storm was armed, or of an unknown token.
const stormTotals = { requests: 0, ok: 0, invalidGrant: 0, otherErrors: 0, untracked: 0, first: null, last: null };

const webClient = (id) => ({
  client_id: id,
  client_secret: `${id}-secret-0123456789abcdef`,
  redirect_uris: redirectUris,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
  scope: 'openid offline_access profile',
});

const provider = new Provider(issuer, {
  adapter: (name) => new MemoryAdapter(name, store),
  clients: [
    webClient('sb-client'),
    webClient('sb-storm'),
    {
      client_id: 'sb-machine',
      client_secret: 'sb-machine-secret-0123456789abcdef',
      redirect_uris: [],
      response_types: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'api:read',
    },
  ],
  pkce: { required: () => true },
  scopes: ['openid', 'offline_access', 'profile', 'api:read'],
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
  },
  rotateRefreshToken: true,
  issueRefreshToken: async (ctx, client, code) =>
    client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  ttl: {
    AccessToken: (ctx, token) => {
      if (token.clientId === 'sb-storm' && storm && ctx?.oidc?.params?.grant_type === 'authorization_code') {
        return Math.max(1, Math.round(storm.at + Math.random() * storm.window - now()));
      }
      return 3600;
    },
    ClientCredentials: () => 3600,
    AuthorizationCode: 600,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
    RefreshToken: 86400,
    IdToken: 3600,
  },
  cookies: { keys: ['switchboard-bench-cookie-key-0123456789'] },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});
provider.proxy = false;

function stormReport() {
  let refreshed = 0, double = 0, late = 0, beforeExpiry = 0, within10 = 0, maxLateness = null, expMin = null, expMax = null, never = 0;
  for (const g of grants.values()) {
    expMin = expMin === null ? g.exp : Math.min(expMin, g.exp);
    expMax = expMax === null ? g.exp : Math.max(expMax, g.exp);
    if (g.okRefreshes === 0) { never += 1; continue; }
    refreshed += 1;
    if (g.okRefreshes > 1) double += 1;
    const lateness = g.refreshedAt - g.exp;
    maxLateness = maxLateness === null ? lateness : Math.max(maxLateness, lateness);
    if (lateness <= 0) beforeExpiry += 1;
    else if (lateness <= 10) within10 += 1;
    else late += 1;
  }
  const t = stormTotals;
  return {
    armed: storm, now: now(), grants: grants.size, refreshed, notRefreshed: never, doubleRefreshes: double,
    refreshedBeforeExpiry: beforeExpiry, refreshedWithin10sAfter: within10, refreshedLate: late, maxLatenessSeconds: maxLateness,
    expiresFrom: expMin, expiresTo: expMax,
    refreshRequests: t.requests, refreshOk: t.ok, invalidGrant: t.invalidGrant, otherErrors: t.otherErrors, untracked: t.untracked,
    firstRefreshAt: t.first, lastRefreshAt: t.last,
    requestRate: t.first !== null && t.last > t.first ? t.requests / (t.last - t.first) : null,
  };
}

// Real grants with an access and a refresh token each, for sb-storm, as the authorization_code grant would issue them
// after a user's consent (the access token expiring in the armed storm window): what a consent flow leaves behind, without
// its pages. bench/run.sh stores them with the service's own model and SecretBox; refreshing them is the real thing.
async function mint(count, prefix) {
  if (!storm) throw new Error('arm the storm first (POST /bench/storm?at=…&window=…)');
  const client = await provider.Client.find('sb-storm');
  const scope = 'openid offline_access';
  const out = [];
  for (let i = 0; i < count; i += 1) {
    const accountId = `${prefix}${i}`;
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const expiresIn = Math.max(1, Math.round(storm.at + Math.random() * storm.window - now()));
    const accessToken = await new provider.AccessToken({ accountId, client, grantId, scope, gty: 'authorization_code', expiresIn }).save();
    const refreshToken = await new provider.RefreshToken({ accountId, client, grantId, scope, gty: 'authorization_code', expiresWithSession: false }).save();
    grants.set(grantId, { exp: now() + expiresIn, okRefreshes: 0, requests: 0, refreshedAt: null });
    out.push({ user: accountId, access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn });
  }
  return out;
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/counts') { ctx.body = counts; return; }
  if (ctx.path === '/bench/storm' && ctx.method === 'POST') {
    storm = { at: Number(ctx.query.at), window: Number(ctx.query.window || 60), armedAt: now() };
    ctx.body = storm;
    return;
  }
  if (ctx.path === '/bench/storm/disarm' && ctx.method === 'POST') { storm = null; ctx.body = {}; return; }
  if (ctx.path === '/bench/mint' && ctx.method === 'POST') { ctx.body = await mint(Number(ctx.query.count), ctx.query.prefix || 'storm-'); return; }
  if (ctx.path === '/bench/storm') { ctx.body = stormReport(); return; }
  const isToken = ctx.path === '/token' && ctx.method === 'POST';
  await next();
  if (!isToken) return;
  const client = ctx.oidc?.client?.clientId || 'unknown';
  const grantType = ctx.oidc?.params?.grant_type || 'unknown';
  const key = `${client} ${grantType}`;
  counts.token[key] = (counts.token[key] || 0) + 1;
  const error = ctx.status >= 400 ? (ctx.body?.error || String(ctx.status)) : null;
  if (error) counts.errors[`${key} ${error}`] = (counts.errors[`${key} ${error}`] || 0) + 1;
  if (client !== 'sb-storm') return;

  const entities = ctx.oidc?.entities || {};
  const grantId = entities.RotatedRefreshToken?.grantId || entities.RefreshToken?.grantId || entities.AccessToken?.grantId;
  if (grantType === 'authorization_code' && !error && storm && grantId) {
    grants.set(grantId, { exp: now() + Number(ctx.body.expires_in), okRefreshes: 0, requests: 0, refreshedAt: null });
    return;
  }
  if (grantType !== 'refresh_token') return;
  const t = now();
  stormTotals.requests += 1;
  stormTotals.first = stormTotals.first === null ? t : Math.min(stormTotals.first, t);
  stormTotals.last = stormTotals.last === null ? t : Math.max(stormTotals.last, t);
  if (error === 'invalid_grant') stormTotals.invalidGrant += 1;
  else if (error) stormTotals.otherErrors += 1;
  else stormTotals.ok += 1;
  const g = grantId ? grants.get(grantId) : undefined;
  if (!g) { stormTotals.untracked += 1; return; }
  g.requests += 1;
  if (!error) {
    g.okRefreshes += 1;
    if (g.okRefreshes === 1) g.refreshedAt = t;
  }
});

provider.listen(port, '127.0.0.1', () => console.log(`READY ${issuer}`));
