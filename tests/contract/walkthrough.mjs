// Replays the README's walkthrough (every curl line of its walkthrough bash blocks, in order, as written) against API=<base>/api/v1 — in the tests, Prism's proxy with
// --errors in front of the live service — and reports each answer. Fails on any Prism violation (request or response
// not as the contract says), any 5xx, or a command that did not run.
//   node walkthrough.mjs README.md http://127.0.0.1:PRISM_PORT   (env SWITCHBOARD_KEY, SWITCHBOARD_PROJECT)
import { readFileSync, mkdtempSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [readme, base] = process.argv.slice(2);
const text = readFileSync(readme, "utf8");
// The walkthrough's blocks: those marked `<!-- walkthrough -->` when the README marks them, else the section span.
const marked = [...text.matchAll(/<!-- walkthrough -->\s*\n```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
const section = text.slice(text.indexOf("## A walk through the API"), text.indexOf("## Authentication and tenancy"));
const blocks = marked.length > 0 ? marked : [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
const commands = [];
for (const block of blocks) {
  for (const line of block.replace(/\\\n/g, " ").split("\n")) {
    const l = line.trim();
    if (l.startsWith("curl ") || /^[A-Z]+=\$\(curl /.test(l)) commands.push(l);
  }
}
if (commands.length === 0) throw new Error("no curl commands found in the README walkthrough");

const out = mkdtempSync(join(tmpdir(), "walkthrough-"));
const script = [
  "set -u",
  `OUT=${JSON.stringify(out)}`,
  'curl() { command curl -sS -D "$OUT/h$N" -o "$OUT/b$N" "$@"; cat "$OUT/b$N"; }',
  ...commands.map((c, i) => `N=${i + 1}; ${c} >/dev/null`.replace(/^(N=\d+; )([A-Z]+=\$\(.*\)) >\/dev\/null$/, "$1$2")),
].join("\n");
writeFileSync(join(out, "run.sh"), script);
const run = spawnSync("bash", [join(out, "run.sh")], {
  env: { ...process.env, API: `${base}/api/v1`, KEY: process.env.SWITCHBOARD_KEY, PRJ: process.env.SWITCHBOARD_PROJECT },
  encoding: "utf8",
});

let violations = 0, failures = 0;
commands.forEach((command, i) => {
  const h = join(out, `h${i + 1}`), b = join(out, `b${i + 1}`);
  if (!existsSync(h)) { failures++; console.log(`NOT RUN  ${command}`); return; }
  const headers = readFileSync(h, "utf8");
  const body = existsSync(b) ? readFileSync(b, "utf8") : "";
  const status = Number([...headers.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].at(-1)?.[1] ?? 0);
  const flagged = /^sl-violations:/im.test(headers) || body.includes("stoplight.io/prism/errors");
  if (flagged) violations++;
  if (status >= 500 || status === 0) failures++;
  const code = /"code"\s*:\s*"([a-z_]+)"/.exec(body)?.[1];
  console.log(`${flagged ? "VIOLATION" : "ok"} ${status}${code ? " " + code : ""}  ${command.slice(0, 110)}`);
  if (flagged) console.log("    " + (headers.match(/^sl-violations:.*$/im)?.[0] ?? body).slice(0, 2000));
});
if (run.stderr.trim()) console.log(run.stderr.trim());
console.log(`README walkthrough through Prism: ${commands.length} requests, ${violations} violations, ${failures} failures`);
rmSync(out, { recursive: true, force: true });
process.exit(violations === 0 && failures === 0 ? 0 : 1);
