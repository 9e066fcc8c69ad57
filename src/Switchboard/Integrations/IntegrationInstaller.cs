using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Catalog;
using Switchboard.Crypto;
using Switchboard.Data;
using Switchboard.Errors;
using Switchboard.Health;
using Switchboard.Lifecycle;

namespace Switchboard.Integrations;

/// <summary>What an install did: the stored row, or the required fields still missing (nothing written).</summary>
public sealed record InstallOutcome(Integration? Row, List<FieldError> Missing);

/// <summary>
/// Stores a parsed install (params in plaintext, secrets encrypted) and sets the integration active.
/// Shared by the Kataven install endpoint and the hosted install page. Callers check
/// <see cref="SecretBox.IsAvailable"/> before, when the install carries secrets.
/// </summary>
public static class IntegrationInstaller
{
    public static async Task<InstallOutcome> InstallAsync(SwitchboardDb db, HttpContext http, string accountId, string projectId,
        ProviderDefinition provider, InstallRequest install, SecretBox box, CancellationToken ct, BaseUrlOverride? baseUrl = null)
    {
        // Two first installs of one provider race on the unique (account, project, provider) index; the loser retries once.
        for (var attempt = 1; ; attempt++)
        {
            await using var writeLock = await db.WriteLockAsync(ct);
            var row = await db.Integrations.Include(i => i.Secrets)
                .FirstOrDefaultAsync(i => i.AccountId == accountId && i.ProjectId == projectId && i.Provider == provider.Name, ct);
            var finalParams = install.Params ?? (row is null ? [] : JsonNode.Parse(row.ParamsJson) as JsonObject ?? []);
            var finalSecrets = install.Secrets?.Keys ?? row?.Secrets.Select(s => s.Name) ?? [];
            var missing = InstallRequest.MissingRequired(provider, finalParams, finalSecrets).ToList();
            if (missing.Count > 0) return new InstallOutcome(null, missing);

            var now = DateTime.UtcNow;
            if (row is null)
            {
                row = new Integration
                {
                    Id = IntegrationIds.For(projectId, provider.Name),
                    AccountId = accountId,
                    ProjectId = projectId,
                    Provider = provider.Name,
                    CreatedAt = now,
                };
                db.Integrations.Add(row);
            }
            var before = row.Status;
            // Install is a valid transition from every state (see IntegrationStateMachine).
            if (IntegrationStateMachine.Apply(row, LifecycleTrigger.Install, now) is not null)
                throw new InvalidOperationException($"install refused from '{before}'");
            row.ParamsJson = finalParams.ToJsonString();
            row.UpdatedAt = now;
            row.Version++;
            if (baseUrl is { Present: true }) row.BaseUrlOverride = baseUrl.Value;
            if (install.Secrets is not null) ReplaceSecrets(db, box, row, install.Secrets, now);
            AuditLog.Record(db, http, accountId, "integration.installed", projectId, provider.Name, row.Id.ToString(), new
            {
                Params = finalParams.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray(),
                SecretsSet = install.Secrets?.Keys.Order(StringComparer.Ordinal).ToArray(),
                Before = new { Status = before },
                After = new { row.Status },
            });

            try
            {
                await db.SaveChangesAsync(ct);
                return new InstallOutcome(row, []);
            }
            // Inside a caller's transaction a failed statement may have aborted it (PostgreSQL): no retry there, the error
            // surfaces as a 409 and the caller's transaction rolls back.
            catch (DbUpdateException) when (attempt < 3 && db.Database.CurrentTransaction is null && !ct.IsCancellationRequested)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    public static InstalledRow InstalledRowOf(Integration i) =>
        new(i.Id, i.Provider, i.Status, i.InstalledAt, i.ParamsJson, i.CreatedAt, i.UpdatedAt,
            i.Secrets.Select(s => new SecretView(s.Name, s.Fingerprint, s.UpdatedAt)).ToList());

    private static void ReplaceSecrets(SwitchboardDb db, SecretBox box, Integration row, Dictionary<string, string> secrets, DateTime now)
    {
        foreach (var gone in row.Secrets.Where(s => !secrets.ContainsKey(s.Name)).ToList())
        {
            row.Secrets.Remove(gone);
            db.IntegrationSecrets.Remove(gone);
        }
        foreach (var (name, value) in secrets)
        {
            var context = new SecretContext(row.AccountId, "integration_secrets", row.Id.ToString(), name);
            var ciphertext = box.EncryptString(value, context);
            var fingerprint = box.Fingerprint(value, context);
            var existing = row.Secrets.FirstOrDefault(s => s.Name == name);
            if (existing is null)
            {
                row.Secrets.Add(new IntegrationSecret
                {
                    Id = Guid.CreateVersion7(),
                    AccountId = row.AccountId,
                    IntegrationId = row.Id,
                    Name = name,
                    Ciphertext = ciphertext,
                    KeyId = box.Ring.ActiveKeyId!,
                    Fingerprint = fingerprint,
                    CreatedAt = now,
                    UpdatedAt = now,
                });
            }
            else
            {
                existing.Ciphertext = ciphertext;
                existing.KeyId = box.Ring.ActiveKeyId!;
                existing.Fingerprint = fingerprint;
                existing.UpdatedAt = now;
            }
        }
    }
}
