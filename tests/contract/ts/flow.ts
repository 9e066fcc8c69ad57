// A core flow written against a client generated from openapi/v1.json by openapi-typescript + openapi-fetch.
// Compiled with tsc --strict (OpenApiClientTests) and run against the live service: SWITCHBOARD_URL, SWITCHBOARD_KEY.
import createClient from "openapi-fetch";
import type { paths, components } from "./generated/schema.js";

type Problem = components["schemas"]["Problem"];
// Node's globals, without @types/node.
declare const process: { env: Record<string, string | undefined>; exit(code: number): never };

const baseUrl = process.env.SWITCHBOARD_URL!;
const key = process.env.SWITCHBOARD_KEY!;
const client = createClient<paths>({ baseUrl, headers: { "X-API-Key": key } });

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function main(): Promise<void> {
  // The catalog list, filtered and paged; limit is a number.
  const list = await client.GET("/api/v1/integrations", { params: { query: { category: "payments", limit: 5 } } });
  check(list.data !== undefined && "integrations" in list.data, `list: ${list.response.status}`);
  const stripeEntry = list.data.integrations.find((i) => i.name === "stripe");
  check(stripeEntry !== undefined && stripeEntry.status === "available", "stripe is listed as available");

  // One integration, with its schema.
  const one = await client.GET("/api/v1/integrations/{id}", { params: { path: { id: "stripe" } } });
  check(one.data !== undefined && one.data.secret_schema.some((f) => f.name === "api_key"), "stripe declares api_key");

  // Install with params and secrets; the secret comes back as a fingerprint only.
  const installed = await client.POST("/api/v1/integrations/{id}/install", {
    params: { path: { id: "stripe" } },
    body: { params: { api_version: "2024-06-20" }, secrets: { api_key: "sk_test_4eC39HqLyjWDarjtT1zdp7dc" } },
  });
  check(installed.data !== undefined && installed.data.status === "installed", `install: ${installed.response.status}`);
  check(installed.data.secrets.every((s) => s.fingerprint.length > 0), "secrets are fingerprints");
  check(!JSON.stringify(installed.data).includes("4eC39HqLyjWDarjtT1zdp7dc"), "the secret is never returned");

  // A refused install is a typed problem with its code.
  const refused = await client.POST("/api/v1/integrations/{id}/install", {
    params: { path: { id: "stripe" } },
    body: { secrets: { api_key: "not-a-stripe-key" } },
  });
  const problem: Problem | undefined = refused.error;
  check(refused.response.status === 400 && problem?.code === "validation_failed", `refused install: ${refused.response.status}`);
  check((problem.errors ?? []).some((e) => e.field.startsWith("secrets")), "the field is named");

  // Projects.
  const projects = await client.GET("/api/v1/projects", { params: { query: { limit: 10 } } });
  check(projects.data !== undefined && projects.data.data.length >= 1, "projects");
  const project = projects.data.data.find((p) => p.is_default)!;
  const created = await client.POST("/api/v1/projects", { body: { name: `ts-${Date.now()}` } });
  check(created.response.status === 201 && created.data?.data?.name.startsWith("ts-") === true, "project created");

  // Lifecycle (RogerIQ): pause, then resume.
  const paused = await client.PATCH("/api/v1/projects/{projectId}/integrations/{provider}/lifecycle", {
    params: { path: { projectId: project.id, provider: "stripe" } },
    body: { status: "paused", settings: { region: "eu" } },
  });
  check(paused.data?.data?.status === "paused", `pause: ${paused.response.status}`);
  const resumed = await client.PATCH("/api/v1/projects/{projectId}/integrations/{provider}/lifecycle", {
    params: { path: { projectId: project.id, provider: "stripe" } },
    body: { status: "active" },
  });
  check(resumed.data?.data?.status === "active", "resume");

  // Uninstall.
  const uninstalled = await client.POST("/api/v1/integrations/{id}/uninstall", { params: { path: { id: "stripe" } } });
  check(uninstalled.data?.status === "available", "uninstall");

  // API keys: create (value shown once), list, revoke.
  const newKey = await client.POST("/api/v1/api-keys", { body: { name: "ts-reader", scopes: ["read"] } });
  check(newKey.response.status === 201 && newKey.data !== undefined && newKey.data.key.startsWith("sk_live_"), "key created");
  const keys = await client.GET("/api/v1/api-keys");
  check(keys.data?.api_keys.some((k) => k.id === newKey.data.api_key.id) === true, "key listed");
  const revoked = await client.DELETE("/api/v1/api-keys/{id}", { params: { path: { id: newKey.data.api_key.id } } });
  check(revoked.data?.revoked_at != null, "key revoked");

  // OAuth: install an OAuth2 integration, then an end user's auth URL.
  const github = await client.POST("/api/v1/integrations/{id}/install", {
    params: { path: { id: "github" } },
    body: { params: { client_id: "Iv1.contract" }, secrets: { client_secret: "contract-secret-0123456789" } },
  });
  check(github.data !== undefined, `github install: ${github.response.status}`);
  const authUrl = await client.POST("/api/v1/integrations/{customerIntegrationId}/users/{userId}/auth-url", {
    params: { path: { customerIntegrationId: github.data.id, userId: "alice" } },
    body: {},
  });
  check(authUrl.response.status === 201 && authUrl.data?.authorizeUrl.includes("/api/v1/oauth/start/") === true, "auth url");

  // The toolregistry shape of the same list path.
  const active = await client.GET("/api/v1/integrations", { params: { query: { active: true } } });
  check(Array.isArray(active.data) && active.data.some((i) => i.integrationId === "github"), "toolregistry list");

  // The audit log saw it all.
  const audit = await client.GET("/api/v1/audit-log", { params: { query: { provider: "stripe", limit: 50 } } });
  check(audit.data !== undefined && audit.data.data.some((e) => e.action.startsWith("integration.")), "audit events");

  console.log("FLOW OK");
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
