// Drives Switchboard's /mcp with the official TypeScript SDK client (Client + StreamableHTTPClientTransport).
//   node client.mjs <url> <header-name|-> <api-key|-> '<steps JSON>'
// steps: [{"op":"list"}, {"op":"call","name":"…","arguments":{…}}]
// Prints one JSON line: {"connected": bool, "error"?: "…", "steps": [{"tools": […]} | {"result": …} | {"error": {"code", "message"}}]}
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, headerName, key, stepsJson] = process.argv.slice(2);
const headers = {};
if (headerName !== "-" && key !== "-") headers[headerName] = headerName.toLowerCase() === "authorization" ? `Bearer ${key}` : key;
const steps = JSON.parse(stepsJson ?? "[]");
const out = { connected: false, steps: [] };
const client = new Client({ name: "switchboard-ts-test", version: "1.0.0" });
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
try {
  await client.connect(transport);
  out.connected = true;
  out.protocol_version = transport.protocolVersion ?? null;
  for (const step of steps) {
    try {
      if (step.op === "list") out.steps.push({ tools: (await client.listTools()).tools });
      else if (step.op === "call") out.steps.push({ result: await client.callTool({ name: step.name, arguments: step.arguments ?? {} }) });
    } catch (e) {
      out.steps.push({ error: { code: e.code ?? null, message: String(e.message ?? e) } });
    }
  }
} catch (e) {
  out.error = String(e.message ?? e);
  out.error_code = e.code ?? null;
} finally {
  try { await client.close(); } catch { }
}
process.stdout.write(JSON.stringify(out) + "\n");
