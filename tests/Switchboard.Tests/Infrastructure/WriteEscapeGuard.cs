using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Switchboard.Store;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// Registered in every test app: a write command (INSERT, UPDATE, DELETE) sent by any EF Core context that is not a
/// store writer's (<see cref="SwitchboardDb.IsWriterContext"/>) fails and is recorded, and the app fails its fixture
/// when it is disposed with one recorded (so a write escaping the writer inside a background job or a swallowed
/// follow-up is caught too). Migrations are exempt: they run before the app serves. Plain-SQL writes are made only
/// inside the store (the architecture test keeps SQL text there), on the writer's connection.
/// </summary>
public sealed partial class WriteEscapeGuard : DbCommandInterceptor
{
    private readonly ConcurrentQueue<string> _escaped = new();

    public IReadOnlyCollection<string> Escaped => _escaped;

    public void Forget() => _escaped.Clear();

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Check(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Check(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Check(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Check(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Check(command, eventData);
        return ValueTask.FromResult(result);
    }

    private void Check(DbCommand command, CommandEventData eventData)
    {
        if (eventData.CommandSource == CommandSource.Migrations || !Write().IsMatch(command.CommandText)) return;
        if (eventData.Context is SwitchboardDb { IsWriterContext: true }) return;
        var statement = command.CommandText.Trim();
        var message = $"A write escaped the store writer ({eventData.CommandSource}): {(statement.Length > 200 ? statement[..200] : statement)}";
        _escaped.Enqueue(message);
        throw new InvalidOperationException(message);
    }

    [GeneratedRegex(@"(^|;)\s*(INSERT|UPDATE|DELETE|REPLACE)\b", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Write();
}
