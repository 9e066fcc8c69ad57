#!/usr/bin/env bash
# Regenerates the single Initial migration of both providers from the current model.
# Only for use before the first release: once a database in the wild has applied Initial, add new migrations instead.
set -euo pipefail
cd "$(dirname "$0")/../src/Switchboard"
rm -rf Store/Migrations
dotnet tool restore >/dev/null
dotnet build -nologo -v q >/dev/null
dotnet ef migrations add Initial -c SqliteDb -o Store/Migrations/Sqlite --no-build >/dev/null
dotnet ef migrations add Initial -c PostgresDb -o Store/Migrations/Postgres --no-build >/dev/null
rm -f design.db
dotnet build -nologo -v q >/dev/null
echo "migrations regenerated"
