using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Lifecycle;

/// <summary>
/// Two nodes over one database (on PostgreSQL: two transactions at once on the same row) PATCH the same integrations
/// at once. A change that meets a concurrent write is retried on the fresh row, so no client sees
/// concurrent_modification, and the settings merge of every PATCH survives: none is lost to another's stale read.
/// </summary>
public sealed class ConcurrentLifecycleTests(SwitchboardApp app) : IClassFixture<SwitchboardApp>
{
    private const int PatchesPerNode = 12;

    [Fact]
    public async Task Concurrent_patches_from_two_nodes_all_commit_and_every_settings_key_is_kept()
    {
        await using var other = await NodeApp.StartAsync(app.Database);
        var account = await app.CreateAccountAsync();
        var nodes = new[] { account.Client(), other.ClientWithKey(account.ApiKey) };
        string[] providers = ["stripe", "hacker_news"];
        foreach (var provider in providers) await nodes[0].InstallAsync(provider);

        using var gate = new SemaphoreSlim(0);
        var patches = (from provider in providers
                       from node in Enumerable.Range(0, nodes.Length)
                       from i in Enumerable.Range(0, PatchesPerNode)
                       select (provider, node, key: $"n{node}_{i}")).ToList();
        var sent = patches.Select(async p =>
        {
            await gate.WaitAsync();
            var response = await nodes[p.node].PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/{p.provider}/lifecycle",
                Api.Json(new { settings = new Dictionary<string, int> { [p.key] = p.node }, display_name = p.key }));
            return (p, Status: response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }).ToList();
        gate.Release(sent.Count);
        var answers = await Task.WhenAll(sent);

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, $"{a.p}: {(int)a.Status} {a.Body}"));
        foreach (var provider in providers)
        {
            var installed = await (await nodes[1].GetAsync($"/api/v1/projects/{account.ProjectId}/integrations")).ShouldBe(HttpStatusCode.OK);
            var entry = installed["data"]!.AsArray().Single(i => i!["provider"].S() == provider)!;
            var settings = entry["settings"]!.AsObject();
            // Every PATCH's key is there: each merge was computed on the row as the previous write left it.
            Assert.Equal(patches.Where(p => p.provider == provider).Select(p => p.key).Order(), settings.Select(s => s.Key).Order());
            var events = await nodes[0].AuditAsync($"action=integration.lifecycle.updated&provider={provider}");
            Assert.Equal(PatchesPerNode * nodes.Length, events.Count);
            // The newest event describes the row as it is.
            Assert.Equal(entry["display_name"].S(), events[0]!["data"]!["after"]!["display_name"].S());
        }
    }

    [Fact]
    public async Task A_real_conflict_of_intent_is_still_refused_on_the_fresh_row()
    {
        await using var other = await NodeApp.StartAsync(app.Database);
        var account = await app.CreateAccountAsync();
        var here = account.Client();
        var there = other.ClientWithKey(account.ApiKey);
        await here.InstallAsync("stripe");

        // One disconnects while the other pauses: whichever comes second meets a disconnected row.
        var disconnect = here.PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/lifecycle", Api.Json(new { status = "disconnected" }));
        var pause = there.PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/lifecycle", Api.Json(new { status = "paused" }));
        var (d, p) = (await disconnect, await pause);
        await d.ShouldBe(HttpStatusCode.OK);
        if (p.StatusCode != HttpStatusCode.OK) await p.ShouldBe(HttpStatusCode.Conflict, "invalid_transition");
        Assert.Equal("disconnected", (await here.CatalogEntryAsync(account.ProjectId, "stripe"))["status"].S());
    }

    [Fact]
    public async Task A_patch_commits_while_other_writers_keep_changing_its_row()
    {
        var account = await app.CreateAccountAsync();
        var client = account.Client();
        await client.InstallAsync("stripe");
        var writer = app.Services.GetRequiredService<IStoreWriter>();

        // Two writers bump the row's version as fast as they can, as a busy other node would: on PostgreSQL a PATCH that
        // only ever read the row unlocked would lose the race on nearly every try.
        using var stop = new CancellationTokenSource();
        var bumps = 0;
        var hammers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var bumped = await writer.WriteAsync((tx, token) =>
                {
                    string C(string p) => tx.Sql.Column<Integration>(p);
                    var bump = $"UPDATE {tx.Sql.Table<Integration>()} SET {C(nameof(Integration.Version))} = {C(nameof(Integration.Version))} + 1 " +
                        $"WHERE {C(nameof(Integration.AccountId))} = {{0}} AND {C(nameof(Integration.Provider))} = 'stripe'";
                    return tx.Db.Database.ExecuteSqlRawAsync(bump, [account.AccountId], token);
                }, CancellationToken.None);
                Assert.Equal(1, bumped); // else nothing races the PATCHes and the test proves nothing
                Interlocked.Increment(ref bumps);
            }
        })).ToList();
        try
        {
            await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref bumps)), n => n >= 20, "the writers bumping the row");
            for (var i = 0; i < 6; i++)
                await (await client.PatchAsync($"/api/v1/projects/{account.ProjectId}/integrations/stripe/lifecycle",
                    Api.Json(new { settings = new Dictionary<string, int> { [$"k{i}"] = i } }))).ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(hammers);
        }
        var installed = await (await client.GetAsync($"/api/v1/projects/{account.ProjectId}/integrations")).ShouldBe(HttpStatusCode.OK);
        var settings = installed["data"]!.AsArray().Single(i => i!["provider"].S() == "stripe")!["settings"]!.AsObject();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"k{i}"), settings.Select(s => s.Key).Order());
    }
}
