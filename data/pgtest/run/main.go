// Command run starts a throwaway PostgreSQL+PostGIS cluster, runs a command
// with SOZIALATLAS_TEST_DATABASE_URL naming the cluster's maintenance
// database, then stops and deletes the cluster and exits with the command's
// status:
//
//	go run ./data/pgtest/run -- go test ./...
//	go run ./data/pgtest/run -- bash -c 'go test ./geo/... && go test ./data/...'
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run returns the command's exit status; 128+n if signal n ended it, as
// shells report it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: run -- command [args...]")
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// Catch signals from the start, so that an interrupt while the cluster
	// starts still ends with the cluster removed.
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)

	startCtx, cancelStart := context.WithCancel(ctx)
	defer cancelStart()
	go func() {
		select {
		case <-sig:
			cancelStart()
		case <-startCtx.Done():
		}
	}()
	c, err := pgtest.StartCluster(startCtx, log)
	if err != nil {
		fmt.Fprintf(stderr, "run: %v\n", err)
		return 1
	}
	cancelStart()
	defer func() {
		if err := c.Close(context.Background()); err != nil {
			fmt.Fprintf(stderr, "run: %v\n", err)
		}
	}()

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.Env = append(os.Environ(), pgtest.EnvURL+"="+c.URL)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "run: %v\n", err)
		return 127
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sig:
			// A terminal's interrupt reaches the command too; a signal sent
			// to this process alone is passed on. Either way the command
			// decides when it is done, and the cluster outlives it.
			_ = cmd.Process.Signal(s)
		case err := <-done:
			return exitStatus(err, stderr)
		}
	}
}

func exitStatus(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		fmt.Fprintf(stderr, "run: %v\n", err)
		return 1
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return exit.ExitCode()
}
