using Switchboard.Cli;

// Parsed before any host is built: help, --version and usage errors start nothing (see Cli/SwitchboardCli.cs).
return await SwitchboardCli.RunAsync(args);

public partial class Program;
