#!/usr/bin/env bash
# Compares a Shardis cluster with twemproxy on this machine, in the same
# run: shardis-proxy + two shardd (+ embedded etcd) against nutcracker +
# two redis-server, both driven by redis-benchmark through the proxy,
# alternating per test, -c 50, plain and pipelined (-P 16). Prints
# requests/s, p99 latency and the ratio shardis/twemproxy. Each test runs
# -r times on each (alternating); the table shows the medians, and the
# ratio column the median of the rounds' ratios with their range, since a
# shared machine swings by 10-30% from one run to the next.
#
# Usage: tools/bench/cluster-benchmark.sh [-n requests] [-r rounds] [-p shardis-proxy] [-m]
#   -p uses a prebuilt proxy binary instead of building ./proxy (to compare
#      two versions of the proxy: run the script once with each, alternating).
#   -m runs the proxy configured like the nutcracker it is compared with:
#      one connection per shard (server_connections: 1) and one thread
#      running Go code (GOMAXPROCS=1; nutcracker is single-threaded).
#      Without -m the proxy runs with its defaults.
# Needs redis-server, redis-benchmark (redis-tools) and nutcracker
# (Debian: apt-get install redis-server redis-tools nutcracker).
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=100000
rounds=3
mimic=
proxybin=
while getopts "n:r:p:m" opt; do
	case $opt in
	n) requests=$OPTARG ;;
	r) rounds=$OPTARG ;;
	p) proxybin=$(realpath "$OPTARG") ;;
	m) mimic=1 ;;
	*) echo "usage: $0 [-n requests] [-r rounds] [-p shardis-proxy] [-m]" >&2; exit 2 ;;
	esac
done

. tools/bench/lib.sh
if [ -n "$mimic" ]; then
	proxy_env=(GOMAXPROCS=1) proxy_args=(--conns-per-shard 1)
fi

go build -o "$work/shardd" ./shardd/cmd/shardd
go build -o "$work/shardis-meta" ./meta/cmd/shardis-meta
if [ -n "$proxybin" ]; then
	cp "$proxybin" "$work/shardis-proxy"
else
	go build -o "$work/shardis-proxy" ./proxy/cmd/shardis-proxy
fi

# twemproxy + two redis-server.
r1=$(free_port) r2=$(free_port) tw=$(free_port)
for p in $r1 $r2; do
	redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >/dev/null &
	pids+=($!)
	wait_port "$p"
done
cat >"$work/nutcracker.yml" <<YML
bench:
  listen: 127.0.0.1:$tw
  hash: fnv1a_64
  distribution: ketama
  redis: true
  server_connections: 1
  servers:
   - 127.0.0.1:$r1:1
   - 127.0.0.1:$r2:1
YML
# -s: a free stats port (the default, 22222, may be taken).
nutcracker -c "$work/nutcracker.yml" -o "$work/nutcracker.log" -s "$(free_port)" &
pids+=($!)
wait_port "$tw"

# Shardis: etcd + two shardd + proxy.
start_cluster "$work" "$work" 2 --appendonly no --save ''
px=$proxy_port

# bench PORT PIPELINE TEST -> "rps p99"
bench() {
	local port=$1 pipe=$2 t=$3 out
	if [ "$t" = mget ]; then
		out=$(redis-benchmark -p "$port" -c 50 -n "$requests" -P "$pipe" -r 100000 --csv \
			MGET key:__rand_int__ key:__rand_int__ key:__rand_int__ key:__rand_int__ key:__rand_int__ 2>/dev/null | tail -1)
	else
		out=$(redis-benchmark -p "$port" -c 50 -n "$requests" -P "$pipe" -r 100000 -t "$t" --csv 2>/dev/null | tail -1)
	fi
	# "test","rps","avg","min","p50","p95","p99","max"
	echo "$out" | awk -F'","' '{gsub(/"/,"",$2); gsub(/"/,"",$7); print $2, $7}'
}

if [ ${#proxy_args[@]} -gt 0 ]; then
	echo "shardis-proxy: ${proxy_env[*]} ${proxy_args[*]}"
fi

echo "medians of $rounds rounds, -c 50, $requests requests each"
printf '%-6s %3s | %12s %8s | %12s %8s | %6s %12s\n' test P shardis p99ms twemproxy p99ms ratio range
for pipe in 1 16; do
	for t in get set incr lpush mget; do
		rows=()
		for _ in $(seq "$rounds"); do
			read -r srps sp99 <<<"$(bench "$px" "$pipe" "$t")"
			read -r trps tp99 <<<"$(bench "$tw" "$pipe" "$t")"
			rows+=("$srps $sp99 $trps $tp99 $(awk -v a="$srps" -v b="$trps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }')")
		done
		col() { printf '%s\n' "${rows[@]}" | awk -v c="$1" '{ print $c }' | median; }
		range=$(printf '%s\n' "${rows[@]}" | awk '{ print $5 }' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }')
		printf '%-6s %3s | %12.0f %8s | %12.0f %8s | %6.2f %12s\n' "$t" "$pipe" "$(col 1)" "$(col 2)" "$(col 3)" "$(col 4)" "$(col 5)" "$range"
	done
done
