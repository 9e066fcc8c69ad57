#!/usr/bin/env bash
# Regenerates src/Switchboard/Store/CompiledModels from OnModelCreating (both contexts) with the repo's dotnet-ef.
# Run after changing the model (and adding its migrations); Store/ModelTests fails until it is run. When an entity type
# is renamed or removed, delete src/Switchboard/Store/CompiledModels first, or `dotnet ef migrations add` cannot build.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
# Both go before either is regenerated: the build dotnet ef runs must not trip over the other's stale types.
rm -rf src/Switchboard/Store/CompiledModels
for ctx in Sqlite Postgres; do
    dotnet ef dbcontext optimize --project src/Switchboard --context "${ctx}Db" \
        --output-dir "Store/CompiledModels/$ctx" --namespace "Switchboard.Store.CompiledModels.$ctx"
done
