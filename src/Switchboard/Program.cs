using Switchboard.Cli;
using Switchboard.Hosting;

// appsettings.json and the catalog ship next to the binary; ./data stays where the service is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddSwitchboard();
var app = builder.Build();

if (AdminCli.IsCommand(args))
    return await AdminCli.RunAsync(app.Services, args);

await app.PrepareSwitchboardAsync();
app.UseSwitchboard();
await app.RunAsync();
return 0;

public partial class Program;
