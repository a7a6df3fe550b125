#!/usr/bin/env bash
# The cost of cross-shard atomic writes, on this machine, in one run:
#
# 1. Through one shardis-proxy over three shardd (appendonly yes,
#    everysec): MSET of 10 keys that share a hash tag (one shard, sent as
#    is) against MSET of 10 random keys (three shards, two-phase commit),
#    redis-benchmark -c 50, alternating, -r rounds (default 5). Prints
#    requests/s and p50 per round, the ratios cross/single (targets:
#    throughput >= 0.5, p50 <= 3) and their medians.
# 2. With -b REV: GET and SET (-c 50, plain and -P 16) through a cluster
#    built from this checkout and one built from git revision REV (e.g.
#    the commit before two-phase commit), alternating, twice: single-key
#    commands must not be more than 5% slower.
#
# Usage: tools/bench/twopc-benchmark.sh [-n requests] [-r rounds] [-b REV]
# Needs redis-benchmark and redis-cli (Debian: redis-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."

requests=100000
rounds=5
base=
while getopts "n:r:b:" opt; do
	case $opt in
	n) requests=$OPTARG ;;
	r) rounds=$OPTARG ;;
	b) base=$OPTARG ;;
	*) echo "usage: $0 [-n requests] [-r rounds] [-b REV]" >&2; exit 2 ;;
	esac
done

. tools/bench/lib.sh
before_cleanup() {
	if [ -d "$work/base-src" ]; then git worktree remove --force "$work/base-src" >/dev/null 2>&1 || true; fi
}

# build SRC DEST: the three binaries of the checkout at SRC into DEST.
build() {
	mkdir -p "$2"
	(cd "$1" && go build -o "$2/shardd" ./shardd/cmd/shardd &&
		go build -o "$2/shardis-meta" ./meta/cmd/shardis-meta &&
		go build -o "$2/shardis-proxy" ./proxy/cmd/shardis-proxy)
}

# mset PORT KEYPREFIX -> "rps p50": MSET of 10 keys KEYPREFIX__rand_int__.
mset() {
	local args=() i
	for i in $(seq 10); do args+=("$2$i:__rand_int__" v); done
	redis-benchmark -p "$1" -c 50 -n "$requests" -r 100000 --csv MSET "${args[@]}" 2>/dev/null | tail -1 |
		awk -F'","' '{gsub(/"/,"",$2); print $2, $5}'
}

# single PORT TEST PIPELINE -> "rps p99"
single() {
	redis-benchmark -p "$1" -c 50 -n "$requests" -P "$3" -r 100000 -t "$2" --csv 2>/dev/null | tail -1 |
		awk -F'","' '{gsub(/"/,"",$2); gsub(/"/,"",$7); print $2, $7}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

build "$PWD" "$work/bin"
start_cluster "$work/bin" "$work/new" 3 --appendonly yes --appendfsync everysec --save ''
new=$proxy_port

echo "MSET of 10 keys through one proxy, 3 shards, -c 50"
printf '%-5s | %12s %8s | %12s %8s | %10s %8s\n' run single p50ms cross p50ms rps-ratio p50-ratio
ratios=()
for run in $(seq "$rounds"); do
	read -r srps sp50 <<<"$(mset "$new" "{one}:")"
	read -r crps cp50 <<<"$(mset "$new" "k")"
	ratios+=("$(ratio "$crps" "$srps") $(ratio "$cp50" "$sp50")")
	printf '%-5s | %12s %8s | %12s %8s | %10s %8s\n' "$run" "$srps" "$sp50" "$crps" "$cp50" $(echo "${ratios[-1]}")
done
printf '%-5s | %12s %8s | %12s %8s | %10s %8s\n' median "" "" "" "" \
	"$(printf '%s\n' "${ratios[@]}" | awk '{ print $1 }' | median)" "$(printf '%s\n' "${ratios[@]}" | awk '{ print $2 }' | median)"

if [ -n "$base" ]; then
	git worktree add --detach "$work/base-src" "$base" >/dev/null 2>&1
	build "$work/base-src" "$work/base-bin"
	start_cluster "$work/base-bin" "$work/base" 3 --appendonly yes --appendfsync everysec --save ''
	old=$proxy_port
	# Both start empty: the MSET rounds above filled the new cluster.
	redis-cli -p "$new" flushall >/dev/null
	echo
	echo "single-key commands: this checkout against $base, -c 50"
	printf '%-5s %3s %3s | %12s %8s | %12s %8s | %6s\n' test P run new p99ms base p99ms ratio
	for pipe in 1 16; do
		for t in get set; do
			for run in 1 2; do
				read -r nrps np99 <<<"$(single "$new" "$t" "$pipe")"
				read -r orps op99 <<<"$(single "$old" "$t" "$pipe")"
				printf '%-5s %3s %3s | %12s %8s | %12s %8s | %6s\n' "$t" "$pipe" "$run" "$nrps" "$np99" "$orps" "$op99" "$(ratio "$nrps" "$orps")"
			done
		done
	done
fi
