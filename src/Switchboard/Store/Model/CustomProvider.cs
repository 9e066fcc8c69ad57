using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Store;

/// <summary>A provider defined by one account through the API; the definition is a catalog entry as JSON.</summary>
public sealed class CustomProvider
{
    public Guid Id { get; init; }
    public required string AccountId { get; init; }
    public required string Name { get; init; }
    public required string DefinitionJson { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class CustomProviderConfiguration : IEntityTypeConfiguration<CustomProvider>
{
    public void Configure(EntityTypeBuilder<CustomProvider> e)
    {
        e.ToTable("custom_providers");
        e.Property(x => x.AccountId).HasMaxLength(40);
        e.Property(x => x.Name).HasMaxLength(64);
        e.HasIndex(x => new { x.AccountId, x.Name }).IsUnique();
    }
}
