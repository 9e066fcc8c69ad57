// Webhook delivery figures: events/s delivered end to end to a loopback receiver, and the latency from the commit
// (the API answer of the change that caused the event) to the receipt. Run by bench/webhooks.sh.
// Env: SB_URL, SB_KEY, EVENTS (default 2000), CONCURRENCY (default 16).
import http from 'node:http';
import crypto from 'node:crypto';

const url = process.env.SB_URL, key = process.env.SB_KEY;
const events = Number(process.env.EVENTS ?? 2000), concurrency = Number(process.env.CONCURRENCY ?? 16);
const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
let secretKey = null;
const received = new Map(); // webhook-id → receipt time (ms, monotonic)
let bad = 0;

const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const at = performance.now();
    const body = Buffer.concat(chunks).toString('utf8');
    const id = req.headers['webhook-id'], ts = req.headers['webhook-timestamp'];
    const expected = 'v1,' + crypto.createHmac('sha256', secretKey).update(`${id}.${ts}.${body}`).digest('base64');
    if (!String(req.headers['webhook-signature']).split(' ').includes(expected)) bad++;
    if (!received.has(id)) received.set(id, { at, body });
    res.writeHead(204).end();
  });
});
await new Promise(r => receiver.listen(0, '127.0.0.1', r));
const port = receiver.address().port;

const created = await (await fetch(`${url}/api/v1/webhook-endpoints`, {
  method: 'POST', headers: auth, body: JSON.stringify({ url: `http://127.0.0.1:${port}/hook`, event_types: ['integration.installed'] }),
})).json();
if (!created.secret) throw new Error('creating the endpoint failed: ' + JSON.stringify(created));
secretKey = Buffer.from(created.secret.slice('whsec_'.length), 'base64');

// Each install commits one integration.installed event; its answer is the commit time.
const committed = [];
const install = JSON.stringify({ secrets: { api_key: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc' } });
const start = performance.now();
let next = 0;
async function worker() {
  while (next < events) {
    next++;
    const r = await fetch(`${url}/api/v1/integrations/stripe/install`, { method: 'POST', headers: auth, body: install });
    if (!r.ok) throw new Error(`install answered ${r.status}`);
    await r.arrayBuffer();
    committed.push(performance.now());
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const committedAll = performance.now();
while (received.size < events && performance.now() - committedAll < 120_000) await new Promise(r => setTimeout(r, 20));
const end = Math.max(...[...received.values()].map(v => v.at));

// Pair the i-th commit with the i-th receipt by time order (events are delivered roughly in commit order).
const receipts = [...received.values()].map(v => v.at).sort((a, b) => a - b);
const latencies = committed.sort((a, b) => a - b).map((c, i) => receipts[i] - c).filter(x => !Number.isNaN(x)).sort((a, b) => a - b);
const pct = p => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
console.log(`events ${events}, received ${received.size}, bad signatures ${bad}, concurrency ${concurrency}`);
console.log(`commits/s ${(events / ((committedAll - start) / 1000)).toFixed(0)}, delivered/s end to end ${(received.size / ((end - start) / 1000)).toFixed(0)}`);
console.log(`latency commit→receipt ms: p50 ${pct(0.5)}, p90 ${pct(0.9)}, p99 ${pct(0.99)}, max ${latencies[latencies.length - 1].toFixed(1)}`);
receiver.close();
process.exit(received.size === events && bad === 0 ? 0 : 1);
