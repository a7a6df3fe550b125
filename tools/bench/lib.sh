# Shared by the benchmark scripts (sourced, from the repository root):
# a work directory and the processes started into pids, both gone at exit,
# and port helpers. A script may define before_cleanup to undo more.
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if declare -F before_cleanup >/dev/null; then before_cleanup; fi
	rm -rf "$work"
}
trap cleanup EXIT

# free_port prints a TCP port that nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT waits until a server answers PING on PORT.
wait_port() {
	for _ in $(seq 200); do
		if redis-cli -p "$1" ping >/dev/null 2>&1; then return 0; fi
		sleep 0.05
	done
	echo "nothing answers on port $1" >&2
	exit 1
}

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# start_cluster BIN DIR N SHARDD-ARGS...: an embedded etcd, N shardd
# (started with SHARDD-ARGS), the cluster initialized over them, and one
# proxy, from the binaries in BIN, with data and logs under DIR. It sets
# etcd_port, shard_ports (an array) and proxy_port. The arrays proxy_env
# (VAR=value words) and proxy_args, if a script sets them, go to the proxy.
proxy_env=()
proxy_args=()
start_cluster() {
	local bin=$1 dir=$2 n=$3 i port addrs=()
	shift 3
	mkdir -p "$dir/etcd"
	etcd_port=$(free_port)
	"$bin/shardis-meta" etcd --data-dir "$dir/etcd" --listen "127.0.0.1:$etcd_port" >/dev/null 2>"$dir/etcd.log" &
	pids+=($!)
	shard_ports=()
	for i in $(seq "$n"); do
		port=$(free_port)
		mkdir -p "$dir/s$i"
		"$bin/shardd" --port "$port" --dir "$dir/s$i" "$@" 2>"$dir/s$i.log" &
		pids+=($!)
		wait_port "$port"
		shard_ports+=("$port")
		addrs+=("127.0.0.1:$port")
	done
	for _ in $(seq 100); do
		"$bin/shardis-meta" --etcd "127.0.0.1:$etcd_port" init --shards "$(IFS=,; echo "${addrs[*]}")" >/dev/null 2>&1 && break
		sleep 0.1
	done
	proxy_port=$(free_port)
	env "${proxy_env[@]}" "$bin/shardis-proxy" "${proxy_args[@]}" --listen "127.0.0.1:$proxy_port" --etcd "127.0.0.1:$etcd_port" 2>"$dir/proxy.log" &
	pids+=($!)
	wait_port "$proxy_port"
	for _ in $(seq 100); do
		redis-cli -p "$proxy_port" set probe 1 2>/dev/null | grep -q OK && break
		sleep 0.1
	done
}
