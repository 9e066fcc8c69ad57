namespace Switchboard.Jobs;

/// <summary>
/// A background job that runs once per interval on every node. A failed run is logged (by exception type only:
/// messages may carry data) and the next tick tries again; coordination between nodes is the job's own business.
/// </summary>
public abstract class PeriodicJob(ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Interval { get; }
    protected virtual bool Enabled => true;
    protected abstract Task RunOnceAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled) return;
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            await RunSafelyAsync(stoppingToken);
    }

    protected async Task RunSafelyAsync(CancellationToken ct)
    {
        try
        {
            await RunOnceAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("{Job} failed: {Error}", GetType().Name, e.GetType().Name);
        }
    }
}
