namespace Switchboard.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Polls until <paramref name="check"/> holds (real time), failing with <paramref name="what"/> after the timeout.</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> check, string what, double seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (check(value)) return value;
            if (DateTime.UtcNow > until) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }
}
