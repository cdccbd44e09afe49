#!/usr/bin/env bash
# Publishes the `spindle` tool into one folder, as it is meant to be installed:
#   DIR/spindle       Native AOT; runs `spindle run` itself and hands every other command to the full CLI
#   DIR/Spindle.Cli   the full CLI (bench, demo, run), framework-dependent, ReadyToRun
#
#   bash benchmarks/jobs/publish-tool.sh DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: publish-tool.sh DIR}
dotnet publish src/Spindle.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out"
dotnet publish src/Spindle.Cli.Native -c Release -r linux-x64 -o "$out"
"$out/spindle" run echo ::: "published $out/spindle" >&2
