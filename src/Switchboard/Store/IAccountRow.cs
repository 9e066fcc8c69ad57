namespace Switchboard.Store;

/// <summary>A row with a Guid id that belongs to one account (the key of every predicate on it: id and account).</summary>
public interface IAccountRow
{
    Guid Id { get; }
    string AccountId { get; }
}
