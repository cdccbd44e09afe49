#!/usr/bin/env bash
# Membership for several machines, tested on one: starts Debian's redis-server on a free port (installing it when
# missing), two silos of samples/Spindle.Cluster with Redis membership, and a client that maps over them; checks the
# client's result and stops everything (also on failure or Ctrl+C).
#   bash benchmarks/cluster/redis-membership.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

. benchmarks/cluster/common.sh
need_package redis-server command -v redis-server

dotnet build -c Release samples/Spindle.Cluster -o "$work/app" >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; exit 1; }

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$redis_port" ping >/dev/null || { cat "$work/redis.log" >&2; echo "redis-server did not start" >&2; exit 1; }
echo "redis-server on 127.0.0.1:$redis_port" >&2

cluster_id="spindle-redis-$$"
for i in 1 2; do
    dotnet "$work/app/Spindle.Cluster.dll" silo --redis "127.0.0.1:$redis_port" --cluster-id "$cluster_id" \
        --port "$(free_port)" --gateway "$(free_port)" --workers 1 >"$work/silo$i.log" 2>&1 &
    pids+=($!)
done

items=2000
expected=$(python3 -c "print(sum(i * i for i in range($items)))")
output=$(timeout 120 dotnet "$work/app/Spindle.Cluster.dll" client --redis "127.0.0.1:$redis_port" --cluster-id "$cluster_id" --items "$items" --silos 2) \
    || { echo "$output" >&2; tail -20 "$work"/silo*.log >&2; echo "redis-membership: the client failed" >&2; exit 1; }
echo "$output"
grep -q "silos=2 items=$items sum=$expected " <<<"$output" || { echo "redis-membership: expected items=$items sum=$expected" >&2; exit 1; }
echo "redis-membership: ok (2 silos with Redis membership, $items items mapped)"
