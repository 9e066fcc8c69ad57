#!/usr/bin/env bash
# Regenerates the checked-in API contract openapi/v1.json (and, with --clients, the generated C# client in
# clients/dotnet) from what the service serves at /openapi/v1.json. A test (OpenApiContractTests) fails while the
# checked-in file differs from the served document, so every API change shows in review.
#
#   scripts/openapi.sh [--no-build] [--clients]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

BUILD=1 CLIENTS=0
for a in "$@"; do
    case "$a" in
        --no-build) BUILD=0 ;;
        --clients) CLIENTS=1 ;;
        *) echo "unknown argument: $a" >&2; exit 2 ;;
    esac
done

[ "$BUILD" -eq 1 ] && dotnet build src/Switchboard -c Release -nodeReuse:false -v quiet </dev/null >/dev/null
DLL="$ROOT/src/Switchboard/bin/Release/net10.0/Switchboard.dll"
WORK="$(mktemp -d)"
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
# Defaults everywhere (the server URL in the document is the default Switchboard:PublicBaseUrl); a throwaway database.
(cd "$WORK" && exec dotnet "$DLL" --urls "http://127.0.0.1:$PORT" --Switchboard:Bootstrap=false --Switchboard:PublicBaseUrl=http://127.0.0.1:5080 \
    --Switchboard:Database:ConnectionString="Data Source=$WORK/doc.db" --Switchboard:Crypto:KeyFile="$WORK/none.json" \
    >"$WORK/log" 2>&1) &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/log" >&2; echo "the service did not start" >&2; exit 1; }
    sleep 0.5
done
mkdir -p openapi
curl -sf "http://127.0.0.1:$PORT/openapi/v1.json" -o "$WORK/v1.json"
node -e 'const fs=require("fs"); fs.writeFileSync(process.argv[2], JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1], "utf8")), null, 2) + "\n")' \
    "$WORK/v1.json" openapi/v1.json
echo "wrote openapi/v1.json"

if [ "$CLIENTS" -eq 1 ]; then
    dotnet tool restore >/dev/null
    rm -rf clients/dotnet/Generated
    dotnet kiota generate --language CSharp --openapi openapi/v1.json --output clients/dotnet/Generated \
        --class-name SwitchboardClient --namespace-name Switchboard.Client --exclude-backward-compatible \
        --clean-output --log-level Warning </dev/null
    rm -f clients/dotnet/Generated/kiota-lock.json.bak
    echo "wrote clients/dotnet/Generated"
fi
