#!/usr/bin/env bash
# The web benchmark (docs/benchmarks.md, section Web server): light requests at a fixed rate (hey -q) while heavy ones
# (wrk, closed loop) keep the cores busy, for /heavy inline, through Task.Run, on Spindle's CPU lane and on Spindle
# worker processes (with and without nice), and Python's standard library doing the same; then 10,000 connections on
# /wait against a bare Kestrel. Loopback only (127.0.0.1), about three minutes.
#
#   bash benchmarks/web/run.sh [--rate 100] [--light-seconds 6] [--wait-connections 10000] [--python python3]
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in wrk hey; do
    if ! command -v "$tool" >/dev/null; then
        echo "web bench: installing $tool from Debian" >&2
        if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq "$tool" >/dev/null; else sudo apt-get install -y -qq "$tool" >/dev/null; fi
    fi
done

# 10,000 connections need as many descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet publish samples/Spindle.Web -c Release -o "$out/sample" >/dev/null
dotnet publish benchmarks/web/Bare -c Release -o "$out/bare" >/dev/null
python3 benchmarks/web/run.py --sample "$out/sample/Spindle.Web" --bare "$out/bare/Spindle.Web.Bare" "$@"
