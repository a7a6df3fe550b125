// Command shardis-meta administers a Shardis cluster: it runs a
// single-node etcd for single-machine use, creates the cluster, adds and
// removes shards and reports the cluster's state. Run it without arguments
// for usage; package cli has the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/shardis/shardis/meta/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks the command to stop cleanly (a resharding job
	// after its current step); restoring the default makes a second one
	// end the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
