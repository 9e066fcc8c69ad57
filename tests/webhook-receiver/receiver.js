// Verifies every delivery with the `standardwebhooks` package and records it.
// POST /hook/<name>            a delivery; 204 when verified with the secret set for <name>, 400 otherwise
// PUT  /secret/<name>          body: the endpoint's whsec_ secret(s), one per line (during a rotation: both)
// GET  /received               every delivery seen: {name, id, timestamp, verified, error, type, body}
// Prints READY <port> when listening on 127.0.0.1:$PORT (0: any free port).
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const secrets = new Map();
const received = [];

function read(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const server = http.createServer(async (req, res) => {
  const [, kind, name] = req.url.split('/');
  const body = await read(req);
  if (req.method === 'PUT' && kind === 'secret') {
    secrets.set(name, body.split('\n').filter(s => s.length > 0));
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'GET' && kind === 'received') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
    return;
  }
  if (req.method === 'POST' && kind === 'hook') {
    const headers = {
      'webhook-id': req.headers['webhook-id'],
      'webhook-timestamp': req.headers['webhook-timestamp'],
      'webhook-signature': req.headers['webhook-signature'],
    };
    // Each secret on its own: during a rotation the signature header carries one signature per secret.
    const results = (secrets.get(name) ?? []).map(secret => {
      try { new Webhook(secret).verify(body, headers); return null; } catch (e) { return String(e.message ?? e); }
    });
    const verified = results.length > 0 && results.every(r => r === null);
    let type = null;
    try { type = JSON.parse(body).type; } catch { /* recorded unverified */ }
    received.push({ name, id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'],
      verified, error: results.find(r => r !== null) ?? (results.length === 0 ? 'no secret' : null), type, body, at: Date.now() });
    res.writeHead(verified ? 204 : 400).end();
    return;
  }
  res.writeHead(404).end();
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`READY ${server.address().port}`);
});
