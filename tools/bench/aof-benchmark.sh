#!/usr/bin/env bash
# The cost of the AOF, on this machine, in the same run:
#
# 1. Throughput of SET, INCR and LPUSH (redis-benchmark, 50 clients, plain
#    and pipelined with -P 16) on shardd without AOF, shardd with
#    appendonly yes / appendfsync everysec, and redis-server with the same
#    settings, the three alternating, -r rounds (default 3); the medians
#    and the ratios shardd AOF / shardd no AOF and shardd AOF / redis AOF.
#    The pipelined runs send 5 times as many requests, so that they last
#    about as long.
# 2. Loading an AOF of 1,000,000 keys: each server (AOF on, everysec, no
#    automatic rewrite) is filled with redis-cli --pipe, stopped (SIGTERM)
#    and started again over the same directory; the time from the start to
#    the first PONG, and DBSIZE. The incremental log is loaded as written
#    (no BGREWRITEAOF).
#
# Usage: tools/bench/aof-benchmark.sh [-n requests] [-k keys] [-r rounds]
# Needs redis-server, redis-benchmark and redis-cli (Debian: redis-server,
# redis-tools) and builds shardd from this checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=200000
keys=1000000
rounds=3
while getopts "n:k:r:" opt; do
	case $opt in
	n) requests=$OPTARG ;;
	k) keys=$OPTARG ;;
	r) rounds=$OPTARG ;;
	*) echo "usage: $0 [-n requests] [-k keys] [-r rounds]" >&2; exit 2 ;;
	esac
done
tests=set,incr,lpush

. tools/bench/lib.sh

# Pin the servers to CPU 0 and the clients to CPU 1 when there are two
# CPUs or more, so that they do not compete for a core.
server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi

go build -o "$work/shardd" ./shardd/cmd/shardd

# start KIND PORT DIR [directives...]: KIND is shardd or redis; the pid is
# left in $started.
start() {
	local kind=$1 port=$2 dir=$3
	shift 3
	mkdir -p "$dir"
	local bin=redis-server
	[ "$kind" = shardd ] && bin=$work/shardd
	"${server_cpu[@]}" "$bin" --port "$port" --bind 127.0.0.1 --save '' --dir "$dir" \
		--logfile "$dir/server.log" "$@" &
	started=$!
	pids+=("$started")
}
# wait_pong PORT: until the server answers PING (not LOADING, not refused).
wait_pong() {
	for _ in $(seq 20000); do
		[ "$("${client_cpu[@]}" redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.005
	done
	echo "server on port $1 did not start" >&2
	exit 1
}
# stop PID: SIGTERM (a graceful shutdown that flushes the AOF) and wait.
stop() {
	kill -TERM "$1"
	wait "$1" || true
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# --- 1. throughput -------------------------------------------------------

names=(shardd-noaof shardd-aof redis-aof)
kinds=(shardd shardd redis)
args=("--appendonly no" "--appendonly yes --appendfsync everysec" "--appendonly yes --appendfsync everysec")
ports=()
for i in 0 1 2; do
	port=$(free_port)
	# shellcheck disable=SC2086 # args[i] is a list of flags
	start "${kinds[i]}" "$port" "$work/bench-$i" ${args[i]}
	ports+=("$port")
done
for p in "${ports[@]}"; do wait_pong "$p"; done

# bench PORT PIPELINE -> "TEST RPS" lines
bench() {
	local n=$requests
	[ "$2" -gt 1 ] && n=$((requests * 5))
	redis-cli -p "$1" flushall >/dev/null
	"${client_cpu[@]}" redis-benchmark -p "$1" -q -n "$n" -c 50 -P "$2" -r 100000 -t "$tests" --csv |
		awk -F'","' 'NR > 1 { gsub(/"/, "", $1); gsub(/"/, "", $2); print $1, $2 }'
}

echo "redis-benchmark -q -n $requests -c 50 -r 100000 -t $tests; servers ${server_cpu[*]:-unpinned}, client ${client_cpu[*]:-unpinned}"
echo "appendonly yes with appendfsync everysec; the servers alternate, $rounds rounds"
declare -A rps
for p in 1 16; do
	echo
	echo "pipeline $p"
	printf '%-6s %-6s %14s %14s %14s\n' round test "${names[@]}"
	for round in $(seq "$rounds"); do
		for i in 0 1 2; do
			while read -r t r; do rps[$p,$round,$i,$t]=$r; done < <(bench "${ports[i]}" "$p")
		done
		for t in SET INCR LPUSH; do
			printf '%-6s %-6s %14s %14s %14s\n' "$round" "$t" "${rps[$p,$round,0,$t]}" "${rps[$p,$round,1,$t]}" "${rps[$p,$round,2,$t]}"
		done
	done
	printf '%-6s %14s %14s %14s %18s %18s\n' "median" "${names[@]}" "aof/noaof shardd" "shardd/redis aof"
	for t in SET INCR LPUSH; do
		m=()
		for i in 0 1 2; do
			m+=("$(for round in $(seq "$rounds"); do echo "${rps[$p,$round,$i,$t]}"; done | median | awk '{ printf "%.0f", $1 }')")
		done
		printf '%-6s %14s %14s %14s %18s %18s\n' "$t" "${m[@]}" "$(ratio "${m[1]}" "${m[0]}")" "$(ratio "${m[1]}" "${m[2]}")"
	done
done
for i in 0 1 2; do stop "${pids[i]}"; done
pids=()

# --- 2. loading an AOF of $keys keys -------------------------------------

echo
echo "loading an AOF of $keys keys (SET, 16-byte keys, 32-byte values; appendfsync everysec, no rewrite)"
gen() {
	awk -v n="$keys" 'BEGIN {
		v = "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		for (i = 0; i < n; i++) {
			k = sprintf("key:%012d", i)
			printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$32\r\n%s\r\n", length(k), k, v
		}
	}'
}
gen >"$work/fill.resp"
printf '%-8s %10s %12s %10s %12s\n' server "fill s" "aof MB" "load s" dbsize
declare -A load
for kind in shardd redis; do
	dir=$work/load-$kind
	port=$(free_port)
	aofargs=(--appendonly yes --appendfsync everysec --auto-aof-rewrite-percentage 0)
	start "$kind" "$port" "$dir" "${aofargs[@]}"
	pid=$started
	wait_pong "$port"
	t0=$EPOCHREALTIME
	out=$("${client_cpu[@]}" redis-cli -p "$port" --pipe <"$work/fill.resp")
	t1=$EPOCHREALTIME
	if ! grep -q "errors: 0, replies: $keys" <<<"$out"; then
		echo "$kind: fill failed: $out" >&2
		exit 1
	fi
	stop "$pid"
	size=$(du -sm "$dir/appendonlydir" | cut -f1)

	t2=$EPOCHREALTIME
	start "$kind" "$port" "$dir" "${aofargs[@]}"
	pid=$started
	wait_pong "$port"
	t3=$EPOCHREALTIME
	n=$(redis-cli -p "$port" dbsize)
	load[$kind]=$(awk -v a="$t2" -v b="$t3" 'BEGIN { printf "%.2f", b - a }')
	printf '%-8s %10.2f %12s %10s %12s\n' "$kind" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		"$size" "${load[$kind]}" "$n"
	if [ "$n" != "$keys" ]; then
		echo "$kind: DBSIZE $n after the restart; want $keys" >&2
		exit 1
	fi
	stop "$pid"
done
echo "load time ratio shardd/redis: $(ratio "${load[shardd]}" "${load[redis]}")"
