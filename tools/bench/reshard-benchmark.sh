#!/usr/bin/env bash
# The cost of moving slots, on this machine: etcd, two shardd (AOF on,
# everysec, no automatic rewrite) and one proxy. About 2*KEYS keys of 100 bytes are written
# through the proxy, so that about KEYS live in s1's half of the slots, and
# then all of s1's slots move to s2 with shardis-meta, twice over the same
# data (back and forth):
#
# 1. unthrottled: keys/s and total time of the move;
# 2. throttled (--max-keys-per-sec, default 20000) and in small batches
#    (--batch-slots, default 64, so that few keys are in migrating slots at
#    any time), moving all of s2's slots (every key) back to s1: client p99
#    latency (redis-benchmark GET/SET through the proxy, -c 50) before the
#    move and during it, and their ratio (target: <= 2).
#
# Usage: tools/bench/reshard-benchmark.sh [-k keys] [-t throttle] [-b batch-slots]
# Needs redis-benchmark and redis-cli (Debian: redis-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."

keys=1000000
throttle=20000
batch=64
while getopts "k:t:b:" opt; do
	case $opt in
	k) keys=$OPTARG ;;
	t) throttle=$OPTARG ;;
	b) batch=$OPTARG ;;
	*) echo "usage: $0 [-k keys] [-t throttle] [-b batch-slots]" >&2; exit 2 ;;
	esac
done

. tools/bench/lib.sh

go build -o "$work/shardd" ./shardd/cmd/shardd
go build -o "$work/shardis-meta" ./meta/cmd/shardis-meta
go build -o "$work/shardis-proxy" ./proxy/cmd/shardis-proxy

# No automatic AOF rewrite: a rewrite of the millions of keys the moves
# log would land in the idle or the moving window at random and hide what
# the move costs.
start_cluster "$work" "$work" 2 --appendonly yes --appendfsync everysec --auto-aof-rewrite-percentage 0 --save ''
e=$etcd_port s1=${shard_ports[0]} s2=${shard_ports[1]} px=$proxy_port
meta() { "$work/shardis-meta" --etcd "127.0.0.1:$e" "$@"; }

# Fill: SET key:N for N in [0, 2*keys) through the proxy, pipelined.
echo "writing $((2 * keys)) keys of 100 bytes..."
value=$(head -c 100 /dev/zero | tr '\0' v)
awk -v n=$((2 * keys)) -v v="$value" 'BEGIN { for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$100\r\n%s\r\n", length("key:" i), i, v }' |
	redis-cli -p "$px" --pipe >/dev/null
dbsize() { redis-cli -p "$1" dbsize; }
echo "s1 has $(dbsize "$s1") keys, s2 $(dbsize "$s2")"

# p99 SECONDS -> p99 of SET and GET (redis-benchmark's order) through the
# proxy (ms), over a run of about SECONDS.
p99() {
	local n=$(($1 * 20000))
	redis-benchmark -p "$px" -c 50 -n "$n" -r "$((2 * keys))" -d 100 -t get,set --csv 2>/dev/null |
		awk -F'","' 'NR > 1 {gsub(/"/,"",$7); printf "%s ", $7}'
}

# move FROM TO [flags]: all of FROM's slots to TO; prints the seconds.
move() {
	local from=$1 to=$2 start end ranges
	shift 2
	ranges=$(meta slots --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(f"{r[0]}-{r[1]}" for s in d["shards"] if s["id"]=="'"$from"'" for r in s["ranges"]))')
	start=$(date +%s.%N)
	meta slots move "$ranges" --to "$to" "$@" >"$work/move.log" 2>&1
	end=$(date +%s.%N)
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

before=$(dbsize "$s1")
secs=$(move s1 s2)
echo "unthrottled move of $before keys: ${secs}s, $(awk -v k="$before" -v s="$secs" 'BEGIN { printf "%.0f", k / s }') keys/s"
tail -1 "$work/move.log"

p99 2 >/dev/null # warm up
idle=$(p99 5)
echo "idle p99 ms (set get): $idle"
move s2 s1 --max-keys-per-sec "$throttle" --batch-slots "$batch" >"$work/secs" &
mover=$!
sleep 2
during=$(p99 5)
wait "$mover"
echo "p99 ms during a move throttled to $throttle keys/s, $batch slots a batch (set get): $during"
echo "throttled move: $(cat "$work/secs")s; $(tail -1 "$work/move.log")"
read -r is ig <<<"$idle"
read -r ds dg <<<"$during"
echo "p99 ratio during/idle: set $(awk -v a="$ds" -v b="$is" 'BEGIN { printf "%.2f", a / b }'), get $(awk -v a="$dg" -v b="$ig" 'BEGIN { printf "%.2f", a / b }')"
