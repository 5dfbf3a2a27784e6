// Package pgcluster runs Sozialatlas's private PostgreSQL+PostGIS cluster:
// initialised on first start inside the data directory, reachable only over
// a Unix socket in that directory, with trust authentication for that socket.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Superuser is the cluster's bootstrap role; clients connect as it.
const Superuser = "sozialatlas"

// Database is the database Start ensures; the service keeps its data there.
const Database = "sozialatlas"

// MaintenanceDatabase exists in every cluster and is what CreateDatabase
// connects to.
const MaintenanceDatabase = "postgres"

const (
	port         = "5432"
	socketFile   = ".s.PGSQL." + port
	confFile     = "sozialatlas.conf"
	includeLine  = "include_if_exists '" + confFile + "'"
	startTimeout = 60 * time.Second
	connectWait  = 30 * time.Second
	// sun_path holds 108 bytes including the terminating NUL.
	maxSocketPath = 107
)

// Config says where the cluster lives and how it runs.
type Config struct {
	// Dir is the service's data directory; the cluster lives in Dir/pg
	// (or, see SystemUser, under /var/lib/sozialatlas/clusters).
	Dir    string
	Logger *slog.Logger
	// SystemUser runs postgres when the caller is root, since PostgreSQL
	// refuses to run as root. It is created when missing; default
	// DefaultSystemUser. If it cannot reach Dir, the cluster is placed in
	// /var/lib/sozialatlas/clusters/<name>-<hash of Dir> instead.
	SystemUser string
	// Settings are extra postgresql.conf parameters, e.g. fsync=off for
	// throwaway test clusters. The listening parameters are fixed.
	Settings map[string]string
	// ReplicaOf makes a new cluster a streaming replica (hot standby) of
	// that running cluster, copied from it with pg_basebackup instead of
	// created by initdb; an existing one just starts and replays.
	ReplicaOf *Cluster
}

// Cluster is a running cluster.
type Cluster struct {
	log       *slog.Logger
	bin       binaries
	acct      account
	dir       string // the cluster's own directory
	dataDir   string // PGDATA
	socketDir string
	port      string
	adopted   bool
}

// fixedSettings may not be overridden: they keep the cluster off the network.
var fixedSettings = map[string]bool{
	"listen_addresses": true, "port": true,
	"unix_socket_directories": true, "unix_socket_permissions": true, "unix_socket_group": true,
}

var settingNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// Start initialises the cluster if needed, starts it (or adopts a postmaster
// still running for it), and ensures database Database exists.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Dir == "" {
		return nil, errors.New("start cluster: no data directory given")
	}
	for k := range cfg.Settings {
		if !settingNameRE.MatchString(k) {
			return nil, fmt.Errorf("start cluster: setting %q: not a parameter name", k)
		}
		if fixedSettings[k] {
			return nil, fmt.Errorf("start cluster: setting %q: fixed by pgcluster, the cluster listens only on its Unix socket", k)
		}
	}
	absDir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("start cluster: data directory %s: %w", cfg.Dir, err)
	}

	bin, err := findBinaries(ctx, os.Getenv("PATH"), debianLibRoot)
	if err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	if err := bin.checkExtensions(); err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}

	acct := account{}
	if os.Geteuid() == 0 {
		name := cfg.SystemUser
		if name == "" {
			name = DefaultSystemUser
		}
		var created bool
		acct, created, err = systemAccount(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("start cluster: %w", err)
		}
		if created {
			log.InfoContext(ctx, "created system user to run PostgreSQL", "user", name)
		}
	}

	if err := os.MkdirAll(absDir, 0o755); err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	clusterDir := filepath.Join(absDir, "pg")
	if acct.cred != nil {
		ok, err := canTraverse(absDir, acct)
		if err != nil {
			return nil, fmt.Errorf("start cluster: %w", err)
		}
		if !ok {
			clusterDir = relocatedDir(absDir)
			log.InfoContext(ctx, "system user cannot reach the data directory; the cluster lives elsewhere",
				"user", acct.name, "data_dir", absDir, "cluster", clusterDir)
			if err := os.MkdirAll(relocatedRoot, 0o755); err != nil {
				return nil, fmt.Errorf("start cluster: %w", err)
			}
		}
	}

	c := &Cluster{
		log:       log.With("cluster", clusterDir),
		bin:       bin,
		acct:      acct,
		dir:       clusterDir,
		dataDir:   filepath.Join(clusterDir, "data"),
		socketDir: filepath.Join(clusterDir, "run"),
		port:      port,
	}
	if err := c.prepare(ctx, cfg.Settings, cfg.ReplicaOf); err != nil {
		return nil, fmt.Errorf("start cluster in %s: %w", clusterDir, err)
	}
	if err := c.start(ctx); err != nil {
		return nil, fmt.Errorf("start cluster in %s: %w", clusterDir, err)
	}
	if err := c.CreateDatabase(ctx, Database); err != nil {
		return nil, fmt.Errorf("start cluster in %s: %w", clusterDir, err)
	}
	return c, nil
}

// prepare creates the directories, runs initdb on first start and writes
// the settings file.
func (c *Cluster) prepare(ctx context.Context, settings map[string]string, primary *Cluster) error {
	if sock := filepath.Join(c.socketDir, socketFile); len(sock) > maxSocketPath {
		return fmt.Errorf("socket path %s is %d bytes, but a Unix socket path may have at most %d: choose a shorter data directory",
			sock, len(sock), maxSocketPath)
	}
	if err := c.ensureDir(c.dir); err != nil {
		return err
	}
	if c.acct.cred != nil {
		if err := chownTree(c.dir, c.acct); err != nil {
			return err
		}
	}
	if err := c.ensureDir(c.socketDir); err != nil {
		return err
	}

	version, err := os.ReadFile(filepath.Join(c.dataDir, "PG_VERSION"))
	switch {
	case errors.Is(err, fs.ErrNotExist) && primary != nil:
		if err := c.baseBackup(ctx, primary); err != nil {
			return err
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := c.initdb(ctx, settings["fsync"] == "off"); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("read cluster version: %w", err)
	default:
		if v := strings.TrimSpace(string(version)); v != strconv.Itoa(c.bin.major) {
			return fmt.Errorf("the cluster was created by PostgreSQL %s but the installed server is %d (%s): upgrade it with pg_upgrade or install PostgreSQL %s",
				v, c.bin.major, c.bin.dir, v)
		}
	}
	return c.writeSettings(settings)
}

func (c *Cluster) ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	if c.acct.cred != nil {
		if err := os.Lchown(dir, c.acct.uid(), c.acct.gid()); err != nil {
			return fmt.Errorf("chown %s: %w", dir, err)
		}
	}
	return nil
}

func (c *Cluster) initdb(ctx context.Context, noSync bool) error {
	// A data directory without PG_VERSION is what an interrupted initdb
	// leaves; initdb wants it empty.
	if err := os.RemoveAll(c.dataDir); err != nil {
		return fmt.Errorf("clear unfinished data directory: %w", err)
	}
	args := []string{
		"--pgdata=" + c.dataDir,
		"--username=" + Superuser,
		"--encoding=UTF8",
		"--locale=" + initdbLocale(ctx),
		"--auth-local=trust",
		"--auth-host=reject",
	}
	if noSync {
		args = append(args, "--no-sync")
	}
	c.log.InfoContext(ctx, "initialising PostgreSQL cluster", "postgres", c.bin.major, "bin", c.bin.dir)
	if out, err := c.command(ctx, "initdb", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return c.ensureInclude()
}

// initdbLocale prefers C.UTF-8: byte-order collation like C, but character
// classes that know umlauts, so lower('Ä') works.
func initdbLocale(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "locale", "-a").Output()
	if err == nil {
		for _, l := range strings.Fields(string(out)) {
			if strings.EqualFold(l, "C.UTF-8") || strings.EqualFold(l, "C.utf8") {
				return "C.UTF-8"
			}
		}
	}
	return "C"
}

// ensureInclude makes postgresql.conf read the settings file that every
// start rewrites, so a manual pg_ctl start sees the same configuration.
func (c *Cluster) ensureInclude() error {
	path := filepath.Join(c.dataDir, "postgresql.conf")
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read postgresql.conf: %w", err)
	}
	if strings.Contains(string(raw), includeLine) {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("extend postgresql.conf: %w", err)
	}
	_, err = fmt.Fprintf(f, "\n# Written by Sozialatlas at every start.\n%s\n", includeLine)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("extend postgresql.conf: %w", err)
	}
	return nil
}

func (c *Cluster) writeSettings(extra map[string]string) error {
	if err := c.ensureInclude(); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Rewritten by Sozialatlas at every start; edits are lost.\n")
	line := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, confQuote(v)) }
	line("listen_addresses", "")
	line("port", c.port)
	line("unix_socket_directories", c.socketDir)
	line("unix_socket_permissions", "0700")
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line(k, extra[k])
	}
	path := filepath.Join(c.dataDir, confFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	if c.acct.cred != nil {
		if err := os.Lchown(path, c.acct.uid(), c.acct.gid()); err != nil {
			return fmt.Errorf("write settings: %w", err)
		}
	}
	return nil
}

// confQuote quotes a postgresql.conf value: single quotes doubled, and
// backslashes escaped because the parser reads escapes in quoted strings.
func confQuote(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// start launches the postmaster unless one already serves this data
// directory, then waits until it accepts connections.
func (c *Cluster) start(ctx context.Context) error {
	pf, exists, err := readPIDFile(c.dataDir)
	if err != nil {
		return err
	}
	if exists {
		reason := postmasterOf(pf.pid, c.dataDir)
		if reason == "" {
			c.adopted = true
			if pf.socketDir != "" {
				c.socketDir = pf.socketDir
			}
			if pf.port != "" {
				c.port = pf.port
			}
			c.log.WarnContext(ctx, "PostgreSQL is still running for this cluster; using it", "pid", pf.pid)
		} else {
			c.log.WarnContext(ctx, "removing stale postmaster.pid", "reason", reason)
			if err := os.Remove(filepath.Join(c.dataDir, "postmaster.pid")); err != nil {
				return fmt.Errorf("remove stale postmaster.pid: %w", err)
			}
		}
	}
	if !c.adopted {
		if err := c.clearSocketDir(ctx); err != nil {
			return err
		}
		c.log.InfoContext(ctx, "starting PostgreSQL")
		cmd := c.command(ctx, "pg_ctl", "start", "--pgdata="+c.dataDir, "--log="+c.logFile(),
			"--wait", "--timeout="+strconv.Itoa(int(startTimeout/time.Second)), "--silent")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("pg_ctl start: %w: %s\n%s", err, strings.TrimSpace(string(out)), c.logTail())
		}
	}
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	c.log.InfoContext(ctx, "PostgreSQL is ready", "socket", c.socketDir, "adopted", c.adopted)
	return nil
}

// clearSocketDir removes sockets and lock files a killed postmaster left;
// postgres itself would refuse a lock file naming a live unrelated process.
func (c *Cluster) clearSocketDir(ctx context.Context) error {
	entries, err := os.ReadDir(c.socketDir)
	if err != nil {
		return fmt.Errorf("clear socket directory: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".s.PGSQL.") {
			c.log.InfoContext(ctx, "removing stale socket file", "file", e.Name())
			if err := os.Remove(filepath.Join(c.socketDir, e.Name())); err != nil {
				return fmt.Errorf("clear socket directory: %w", err)
			}
		}
	}
	return nil
}

func (c *Cluster) logFile() string { return filepath.Join(c.dir, "postgres.log") }

// logTail returns the end of the server log for error messages.
func (c *Cluster) logTail() string {
	raw, err := os.ReadFile(c.logFile())
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "server log " + c.logFile() + ":\n" + strings.Join(lines, "\n")
}

func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, connectWait)
	defer cancel()
	for {
		conn, err := c.connect(ctx, MaintenanceDatabase)
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL does not accept connections on %s: %w\n%s", c.socketDir, err, c.logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// command prepares a PostgreSQL program to run as the cluster's account,
// in the cluster directory (the caller's working directory may be closed to
// that account) and with a clean environment, so PGPORT and friends of the
// caller cannot redirect it.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.bin.path(name), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=" + c.bin.dir + ":/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	if tz, ok := os.LookupEnv("TZ"); ok {
		cmd.Env = append(cmd.Env, "TZ="+tz)
	}
	if c.acct.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.acct.cred}
	}
	return cmd
}

// ConnString returns a libpq key/value connection string for database over
// the cluster's Unix socket.
func (c *Cluster) ConnString(database string) string {
	return fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable",
		connQuote(c.socketDir), c.port, Superuser, connQuote(database))
}

// connQuote quotes a libpq key/value value.
func connQuote(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	return "'" + strings.ReplaceAll(v, "'", `\'`) + "'"
}

func (c *Cluster) connect(ctx context.Context, database string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(c.ConnString(database))
	if err != nil {
		return nil, fmt.Errorf("connection string: %w", err)
	}
	cfg.ConnectTimeout = 5 * time.Second
	return pgx.ConnectConfig(ctx, cfg)
}

const sqlDatabaseExists = `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`

// CreateDatabase creates the database unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	conn, err := c.connect(ctx, MaintenanceDatabase)
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, sqlDatabaseExists, name).Scan(&exists); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created concurrently
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	c.log.InfoContext(ctx, "created database", "database", name)
	return nil
}

// Stop shuts the cluster down (fast: open sessions are ended) and waits.
// Stopping a stopped cluster is not an error.
func (c *Cluster) Stop(ctx context.Context) error {
	return c.stop(ctx, "fast")
}

// stop runs pg_ctl stop in the mode given, unless the cluster is stopped.
func (c *Cluster) stop(ctx context.Context, mode string) error {
	if _, exists, err := readPIDFile(c.dataDir); err != nil {
		return fmt.Errorf("stop cluster in %s: %w", c.dir, err)
	} else if !exists {
		return nil
	}
	c.log.InfoContext(ctx, "stopping PostgreSQL", "mode", mode)
	cmd := c.command(ctx, "pg_ctl", "stop", "--pgdata="+c.dataDir, "--mode="+mode,
		"--wait", "--timeout="+strconv.Itoa(int(startTimeout/time.Second)), "--silent")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("stop cluster in %s: pg_ctl stop: %w: %s", c.dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}
