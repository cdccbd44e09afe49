#!/usr/bin/env bash
# Publishes the `spindle` tool into one folder, laid out as the Spindle.Tool package installs it:
#   DIR/spindle       Native AOT; runs `spindle run` itself and hands every other command to the full CLI
#   DIR/Spindle.Cli   the full CLI (bench, demo, run), framework-dependent, ReadyToRun
# One publish does both: a native publish of src/Spindle.Cli.Native lays the full CLI beside the front
# (its target PublishTheFullCliBeside). To install the tool as users do instead, see the README's Install section.
#
#   bash benchmarks/jobs/publish-tool.sh DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: publish-tool.sh DIR}
dotnet publish src/Spindle.Cli.Native -c Release -r linux-x64 -o "$out"
"$out/spindle" run echo ::: "published $out/spindle" >&2
