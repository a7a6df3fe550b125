#!/usr/bin/env bash
# Compares shardd with redis-server on this machine, in the same run:
# throughput with redis-benchmark (plain and pipelined, the two servers
# alternating per test so that drift on the machine hits both alike) and
# resident memory for 1,000,000 keys of 32-byte values.
#
# Usage: tools/bench/redis-benchmark.sh [-n requests] [-k keys-for-memory]
# Needs redis-server, redis-benchmark and redis-cli (Debian: redis-server,
# redis-tools) and builds shardd from this checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=200000
memkeys=1000000
while getopts "n:k:" opt; do
	case $opt in
	n) requests=$OPTARG ;;
	k) memkeys=$OPTARG ;;
	*) echo "usage: $0 [-n requests] [-k keys]" >&2; exit 2 ;;
	esac
done
tests=ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,lrange_100,mset

. tools/bench/lib.sh

# Pin the servers to CPU 0 and the load generator to CPU 1 when there are
# two CPUs or more, so that they do not compete for a core.
server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi

go build -o "$work/shardd" ./shardd/cmd/shardd

start_redis() { # port
	"${server_cpu[@]}" redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$work" --logfile "$work/redis.log" --daemonize no &
	pids+=($!)
}
start_shardd() { # port
	mkdir -p "$work/shardd-data"
	"${server_cpu[@]}" "$work/shardd" --port "$1" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$work/shardd-data" --logfile "$work/shardd.log" &
	pids+=($!)
}
wait_ready() { # port
	for _ in $(seq 100); do
		redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "server on port $1 did not start" >&2
	exit 1
}

rport=$(free_port); start_redis "$rport"; redis_pid=${pids[-1]}
sport=$(free_port); start_shardd "$sport"; shardd_pid=${pids[-1]}
wait_ready "$rport"; wait_ready "$sport"

# rps PORT TEST PIPELINE -> requests per second
rps() {
	redis-cli -p "$1" flushall >/dev/null
	"${client_cpu[@]}" redis-benchmark -p "$1" -q -n "$requests" -c 50 -r 100000 -P "$3" -t "$2" --csv |
		awk -F'","' 'NR==2 { gsub(/"/, "", $2); print $2 }'
}

echo "redis-benchmark -n $requests -c 50 -r 100000; servers on CPU 0, client on CPU 1 (${server_cpu[*]:-unpinned})"
for pipeline in 1 16; do
	echo
	echo "pipeline $pipeline"
	printf '%-12s %12s %12s %7s\n' test redis shardd ratio
	IFS=, read -ra list <<<"$tests"
	for t in "${list[@]}"; do
		r=$(rps "$rport" "$t" "$pipeline")
		s=$(rps "$sport" "$t" "$pipeline")
		printf '%-12s %12s %12s %7s\n' "$t" "$r" "$s" "$(awk -v a="$s" -v b="$r" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
	done
done

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
echo
echo "memory: $memkeys keys with 32-byte values"
for port in "$rport" "$sport"; do redis-cli -p "$port" flushall >/dev/null; done
gen() {
	awk -v n="$memkeys" 'BEGIN {
		v = "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		for (i = 0; i < n; i++) {
			k = sprintf("key:%012d", i)
			printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$32\r\n%s\r\n", length(k), k, v
		}
	}'
}
r0=$(rss_kb "$redis_pid"); s0=$(rss_kb "$shardd_pid")
gen | redis-cli -p "$rport" --pipe >/dev/null
gen | redis-cli -p "$sport" --pipe >/dev/null
sleep 2
r1=$(rss_kb "$redis_pid"); s1=$(rss_kb "$shardd_pid")
printf '%-12s %12s %12s\n' "" redis shardd
printf '%-12s %12s %12s\n' "dbsize" "$(redis-cli -p "$rport" dbsize)" "$(redis-cli -p "$sport" dbsize)"
printf '%-12s %12s %12s\n' "rss MB" "$((r1 / 1024))" "$((s1 / 1024))"
printf '%-12s %12s %12s\n' "growth MB" "$(((r1 - r0) / 1024))" "$(((s1 - s0) / 1024))"
echo "rss ratio shardd/redis: $(awk -v a="$s1" -v b="$r1" 'BEGIN { printf "%.2f", a / b }')"
