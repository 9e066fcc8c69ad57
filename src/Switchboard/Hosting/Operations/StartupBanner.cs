using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Switchboard.Tenancy;

namespace Switchboard.Hosting.Operations;

/// <summary>
/// The first start's banner (the new API key), printed once the server listens, with the address it really bound.
/// With JSON console logs (Logging__Console__FormatterName=json) it is one JSON line shaped like the log lines, so a
/// log collector never sees a broken record; otherwise the framed text of <see cref="Bootstrap.Banner"/>.
/// </summary>
public static class StartupBanner
{
    public const string Category = "Switchboard.Bootstrap";

    public static void PrintWhenStarted(WebApplication app, ProvisionedAccount created) =>
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
            var json = string.Equals(app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName,
                ConsoleFormatterNames.Json, StringComparison.OrdinalIgnoreCase);
            // Printed, not logged through the providers: it is for the operator of a first run (and holds the key).
            Console.Out.WriteLine(json ? Json(created, addresses) : Bootstrap.Banner(created, addresses));
            Console.Out.Flush();
        });

    public static string Json(ProvisionedAccount created, IReadOnlyList<string> addresses)
    {
        var first = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault();
        var url = first is null ? null : Bootstrap.Reachable(first);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("Timestamp", DateTimeOffset.UtcNow);
            w.WriteNumber("EventId", 1);
            w.WriteString("LogLevel", "Warning");
            w.WriteString("Category", Category);
            w.WriteString("Message", $"Switchboard is ready. API key (shown once, keep it safe): {created.Key.Plaintext}");
            w.WriteStartObject("State");
            w.WriteString("api_key", created.Key.Plaintext);
            w.WriteString("account_id", created.Account.Id);
            w.WriteString("project_id", created.DefaultProject.Id);
            w.WriteStartArray("listening_on");
            foreach (var a in addresses) w.WriteStringValue(a);
            w.WriteEndArray();
            if (url is not null) w.WriteString("try", $"curl -H \"Authorization: Bearer {created.Key.Plaintext}\" {url}/api/v1/integrations");
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
