using Switchboard;
using Switchboard.Cli;
using Switchboard.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddSwitchboard();
var app = builder.Build();

if (AdminCli.IsCommand(args))
    return await AdminCli.RunAsync(app.Services, args);

await app.PrepareSwitchboardAsync();
app.UseSwitchboard();
await app.RunAsync();
return 0;

public partial class Program;
