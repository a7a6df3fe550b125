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
