// Package integration runs Shardis end to end: real processes built from
// the workspace (shardis-meta's embedded etcd, three shardd, two
// shardis-proxy) on free loopback ports, driven by real clients (go-redis
// v9, rueidis). Nothing imports this package.
//
// The binaries are built once per test run into a temporary directory.
// Every process logs into the test's directory, which is kept when a test
// fails (its path is printed). Set SHARDIS_KEEP=1 to keep it always.
package integration
