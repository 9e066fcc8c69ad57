namespace Switchboard.Events;

/// <summary>
/// A hint to this process's outbox reader that an event was committed, so delivery starts at once instead of at the
/// next poll. Only a hint: the reader polls the table anyway, so a lost pulse (or an event committed by another node)
/// is merely picked up later.
/// </summary>
public static class EventSignal
{
    private static TaskCompletionSource _pulse = NewPulse();

    /// <summary>Completes at the next <see cref="Pulse"/>.</summary>
    public static Task Next => Volatile.Read(ref _pulse).Task;

    public static void Pulse() => Interlocked.Exchange(ref _pulse, NewPulse()).TrySetResult();

    private static TaskCompletionSource NewPulse() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
