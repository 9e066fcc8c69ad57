#!/usr/bin/env bash
# Regenerates src/Switchboard/Store/CompiledModels from OnModelCreating (both contexts) with the repo's dotnet-ef.
# Run after changing the model (and adding its migrations); Store/ModelTests fails until it is run.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
for ctx in Sqlite Postgres; do
    rm -rf "src/Switchboard/Store/CompiledModels/$ctx"
    dotnet ef dbcontext optimize --project src/Switchboard --context "${ctx}Db" \
        --output-dir "Store/CompiledModels/$ctx" --namespace "Switchboard.Store.CompiledModels.$ctx"
done
