package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sozialatlas/sozialatlas/data/pgcluster"
)

// archiveMagic opens every pg_dump custom-format archive.
const archiveMagic = "PGDMP"

// backupCmd writes the service's database to a pg_dump custom-format
// archive: compressed, and restorable table by table with pg_restore.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	fs := newFlagSet("backup", stderr)
	db.register(fs)
	out := fs.String("out", "", "archive file to write (pg_dump custom format)")
	logLevel := fs.String("log-level", "warn", "log level")
	config := fs.String("config", "", "configuration file (YAML, keys are flag names); env SOZIALATLAS_CONFIG")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) != 0 || *out == "" {
		return usageError{"usage: sozialatlas backup --out FILE"}
	}
	if err := applyConfig(fs, *config); err != nil {
		return err
	}
	return withDB(ctx, db, stderr, *logLevel, func(d *database) error {
		pgDump, conn, env, err := clientFor(ctx, d, "pg_dump")
		if err != nil {
			return err
		}
		// Written beside the target and renamed when complete, so that a
		// failed backup never leaves a truncated archive under its name.
		tmp, err := os.CreateTemp(filepath.Dir(*out), ".sozialatlas-backup-*")
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		tmpName := tmp.Name()
		_ = tmp.Close()
		defer os.Remove(tmpName)
		if err := runClient(ctx, pgDump, env, "--format=custom", "--no-password", "--file="+tmpName, "--dbname="+conn); err != nil {
			return err
		}
		if err := os.Rename(tmpName, *out); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		fi, err := os.Stat(*out)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		fmt.Fprintf(stdout, "%s: %d bytes\n", *out, fi.Size())
		return nil
	})
}

// restoreCmd replaces the database's contents with an archive's: every
// object the archive holds is dropped and recreated in one transaction,
// so a failed restore leaves the database as it was.
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbFlags
	fs := newFlagSet("restore", stderr)
	db.register(fs)
	logLevel := fs.String("log-level", "warn", "log level")
	config := fs.String("config", "", "configuration file (YAML, keys are flag names); env SOZIALATLAS_CONFIG")
	file, err := parseOne(fs, args, "usage: sozialatlas restore FILE")
	if err != nil {
		return err
	}
	if err := applyConfig(fs, *config); err != nil {
		return err
	}
	if err := checkArchive(file); err != nil {
		return err
	}
	return withDB(ctx, db, stderr, *logLevel, func(d *database) error {
		pgRestore, conn, env, err := clientFor(ctx, d, "pg_restore")
		if err != nil {
			return err
		}
		// Connections of this process would hold locks the restore waits
		// for; it needs none of them.
		d.pool.Close()
		d.pool = nil
		if err := runClient(ctx, pgRestore, env, "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
			"--no-owner", "--no-password", "--dbname="+conn, file); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s restored\n", file)
		return nil
	})
}

// checkArchive refuses anything but a pg_dump custom-format archive: a
// plain SQL dump or another file given by mistake must not reach the
// database with --clean.
func checkArchive(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(archiveMagic))
	if _, err := io.ReadFull(f, head); err != nil || string(head) != archiveMagic {
		return fmt.Errorf("restore: %s is not a pg_dump custom-format archive (as 'sozialatlas backup' writes); nothing was changed", path)
	}
	return nil
}

// clientFor finds the client program for the database's server version
// and returns the connection string for it, with the password moved into
// the environment (a command line is visible to every local user) and the
// parameters only pgx knows left out, which libpq would reject.
func clientFor(ctx context.Context, d *database, name string) (prog, conn string, env []string, err error) {
	var num int
	if err := d.pool.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		return "", "", nil, fmt.Errorf("%s: server version: %w", name, err)
	}
	prog, err = pgcluster.ClientProgram(ctx, name, num/10000)
	if err != nil {
		return "", "", nil, err
	}
	conn, err = libpqConnString(d.config.ConnString())
	if err != nil {
		return "", "", nil, err
	}
	env = os.Environ()
	if pw := d.config.ConnConfig.Password; pw != "" {
		env = append(env, "PGPASSWORD="+pw)
	}
	return prog, conn, env, nil
}

// pgxOnly are connection parameters of pgx and pgxpool unknown to libpq,
// and the password, which travels in the environment instead.
func pgxOnly(key string) bool {
	switch key {
	case "password", "statement_cache_capacity", "description_cache_capacity", "default_query_exec_mode":
		return true
	}
	return strings.HasPrefix(key, "pool_")
}

// kvParam is one key=value of a libpq key/value connection string; values
// may be single-quoted with backslash escapes.
var kvParam = regexp.MustCompile(`\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']*)`)

// libpqConnString is s (a URL or key/value string) without pgxOnly keys.
func libpqConnString(s string) (string, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", fmt.Errorf("database url: %w", err)
		}
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		for k := range q {
			if pgxOnly(k) {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	var kept []string
	rest := s
	for strings.TrimSpace(rest) != "" {
		m := kvParam.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			return "", errors.New("database url: cannot read the connection string's parameters")
		}
		if !pgxOnly(rest[m[2]:m[3]]) {
			kept = append(kept, strings.TrimSpace(rest[:m[1]]))
		}
		rest = rest[m[1]:]
	}
	return strings.Join(kept, " "), nil
}

// runClient runs a PostgreSQL client program, returning its messages in
// the error when it fails.
func runClient(ctx context.Context, prog string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	var msg bytes.Buffer
	cmd.Stdout = &msg
	cmd.Stderr = &msg
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(prog), err, strings.TrimSpace(msg.String()))
	}
	return nil
}
