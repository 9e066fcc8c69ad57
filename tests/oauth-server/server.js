// A real OAuth 2 / OpenID Connect authorization server for Switchboard's tests (oidc-provider).
// Env: PORT (required), REDIRECT_URI (Switchboard's callback), SHORT_TTL (seconds, access tokens of client sb-short).
// Test-only endpoints: GET /test/counts (token requests by client and grant, and errors), POST /test/fail-token?status=503&count=N.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const redirectUri = process.env.REDIRECT_URI || 'http://127.0.0.1:5080/api/v1/oauth/callback';
const shortTtl = Number(process.env.SHORT_TTL || 10);
const issuer = `http://127.0.0.1:${port}`;

const counts = { token: {}, errors: {}, revocations: 0 };
let failures = { status: 0, left: 0 };

const webClient = (id) => ({
  client_id: id,
  client_secret: `${id}-secret-0123456789abcdef`,
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
  scope: 'openid offline_access profile',
});

const provider = new Provider(issuer, {
  clients: [
    webClient('sb-client'),
    webClient('sb-short'),
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
    AccessToken: (ctx, token) => (token.clientId === 'sb-short' ? shortTtl : 3600),
    ClientCredentials: () => shortTtl,
    AuthorizationCode: 120,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    RefreshToken: 86400,
    IdToken: 3600,
  },
  cookies: { keys: ['switchboard-test-cookie-key-0123456789'] },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/counts') { ctx.body = counts; return; }
  if (ctx.path === '/test/fail-token' && ctx.method === 'POST') {
    failures = { status: Number(ctx.query.status || 503), left: Number(ctx.query.count || 1) };
    ctx.body = failures;
    return;
  }
  const isToken = ctx.path === '/token' && ctx.method === 'POST';
  if (isToken && failures.left > 0) {
    failures.left -= 1;
    counts.token['injected-failure'] = (counts.token['injected-failure'] || 0) + 1;
    ctx.status = failures.status;
    ctx.body = { error: 'temporarily_unavailable' };
    return;
  }
  await next();
  if (isToken) {
    const client = ctx.oidc?.client?.clientId || 'unknown';
    const grant = ctx.oidc?.params?.grant_type || 'unknown';
    const key = `${client} ${grant}`;
    counts.token[key] = (counts.token[key] || 0) + 1;
    if (ctx.status >= 400) {
      const ekey = `${key} ${ctx.body?.error || ctx.status}`;
      counts.errors[ekey] = (counts.errors[ekey] || 0) + 1;
    }
  }
  if (ctx.path === '/token/revocation' && ctx.method === 'POST') counts.revocations += 1;
});

provider.listen(port, '127.0.0.1', () => console.log(`READY ${issuer}`));
