using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Switchboard.Store;

/// <summary>What a database exception means, on either database.</summary>
public static class DatabaseErrors
{
    // PostgreSQL class 23 (integrity constraint) and SQLite's SQLITE_CONSTRAINT (19) are bugs or races, not outages.
    public static bool IsConstraintViolation(DbException e) =>
        e.SqlState?.StartsWith("23", StringComparison.Ordinal) == true || e is SqliteException { SqliteErrorCode: 19 };

    // PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555).
    public static bool IsUniqueViolation(DbException e) =>
        e.SqlState == "23505" || e is SqliteException { SqliteExtendedErrorCode: 2067 or 1555 };
}
