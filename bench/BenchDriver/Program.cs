using System.Diagnostics;
using System.Globalization;
using BenchDriver;

// bench/run.sh's client side. Each command prints one machine-readable line (NAME key=value ...) last on stdout.
//
//   projects  --base URL --key K --count N --prefix P --scopes a,b --out FILE       projects, one key restricted to each
//   providers --base URL --key K --count N --prefix P --api-base URL                custom API_KEY providers (verify GET /verify)
//   install   --base URL --keys FILE (--provider NAME | --provider-prefix P --provider-count M) [--parallel 16]
//   oauth-app --base URL --key K --name N --issuer URL --client ID [--machine]       custom OAuth provider, installed; prints its id
//   connect   --bases URL[,URL] --key K --cid ID --users N --prefix P [--from 0] [--parallel 16]   consent flows by plain HTTP
//   seed-connections --db-provider sqlite|postgres --db CONN --crypto KEYS --cid ID --count N --prefix P
//   seed-minted --issuer URL --db-provider … --db CONN --crypto KEYS --cid ID --count N --prefix P   storm grants, stored
//   checks    --base URL --keys FILE --provider NAME                                 credential checks that ran (last_synced_at)
//   storm-wait --issuer URL --expect N --until EPOCH                                 watches the provider until all refreshed
var command = args.FirstOrDefault() ?? "";
var options = Options.Parse(args.Skip(1).ToArray());
var clock = Stopwatch.StartNew();
try
{
    var line = command switch
    {
        "projects" => await Setup.ProjectsAsync(options),
        "providers" => await Setup.ProvidersAsync(options),
        "install" => await Setup.InstallAsync(options),
        "oauth-app" => await Setup.OAuthAppAsync(options),
        "connect" => await Consent.ConnectAsync(options),
        "seed-connections" => await Seeder.SeedConnectionsAsync(options),
        "seed-minted" => await Seeder.SeedMintedAsync(options),
        "checks" => await Setup.ChecksAsync(options),
        "storm-wait" => await Storm.WaitAsync(options),
        _ => throw new ArgumentException($"unknown command '{command}' (see bench/BenchDriver/Program.cs)"),
    };
    Console.WriteLine(FormattableString.Invariant($"{line} seconds={clock.Elapsed.TotalSeconds:0.00}"));
    return 0;
}
catch (Exception e) when (e is ArgumentException or HttpRequestException or InvalidOperationException or TimeoutException)
{
    Console.Error.WriteLine($"bench driver {command}: {e.GetType().Name}: {e.Message}");
    return 1;
}

namespace BenchDriver
{
    public sealed class Options(Dictionary<string, string> values)
    {
        public static Options Parse(string[] args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
                var name = args[i][2..];
                values[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
            }
            return new Options(values);
        }

        public string Get(string name) => values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
        public string? Find(string name) => values.GetValueOrDefault(name);
        public int Int(string name, int? fallback = null) =>
            values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture)
            : fallback ?? throw new ArgumentException($"--{name} is required");
        public double Double(string name) => double.Parse(Get(name), CultureInfo.InvariantCulture);
        public bool Flag(string name) => values.ContainsKey(name);
    }
}
