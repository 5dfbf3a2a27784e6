// Command sozialatlas serves a Sozialstrukturatlas: areas, indicators and
// maps for integrated social planning, from PostGIS.
//
// Usage:
//
//	sozialatlas serve    [flags]           run the HTTP service
//	sozialatlas migrate  [--status]        bring the schema up to date
//	sozialatlas import areas FILE [flags]  import boundaries of one level
//	sozialatlas import scheme FILE [flags] import an area scheme (Sozialräume)
//	sozialatlas import facilities FILE     import facilities of one type (Kitas, …)
//	sozialatlas import changes FILE        apply a change list (Gebietsänderungen)
//	sozialatlas import crosswalk FILE      weights for a boundary reform
//	sozialatlas import indicators FILE     import a statistical table
//	sozialatlas import list | revert ID    list or undo imports
//	sozialatlas catalogue load FILE        load the indicator catalogue
//	sozialatlas index apply FILE | list | compute  composite indices (MSS)
//	sozialatlas supply apply FILE | compute       facility supply indicators
//	sozialatlas export [flags]             raw values of an indicator as CSV
//	sozialatlas levels   [add NAME ...]    list or add levels
//	sozialatlas token create|list|revoke   API tokens
//	sozialatlas audit                      the audit log of imports and reverts
//	sozialatlas demo     [--dir DIR]       load the demo atlas
//	sozialatlas tiles seed --level L --maxzoom Z  warm a running service's tile cache
//	sozialatlas tiles export --level L --maxzoom Z --out F.pmtiles  write a PMTiles archive
//	sozialatlas backup --out FILE          pg_dump the database
//	sozialatlas restore FILE               replace the database with a backup
//
// Without DATABASE_URL every command runs its own private PostgreSQL cluster
// in --data-dir (default .data); with it, that server is used.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sozialatlas:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `usage: sozialatlas <command> [flags]

commands:
  serve           run the HTTP service (OGC API Features, areas)
  migrate         bring the database schema up to date (--status lists migrations)
  import areas    import boundaries of one level from GeoJSON, Shapefile, GeoPackage or CSV
  import scheme   import an area scheme (Sozialräume) from a member table
  import facilities  import facilities of one type (Kitas, schools, …) from GeoJSON, GeoPackage or CSV
  import changes  apply a change list (Gebietsänderungen): mergers, re-keyings
  import crosswalk  import weights (e.g. population shares) for a boundary reform
  import indicators  import a statistical table (CSV, XLSX, GV100AD) as observations
  import list     list imports; 'import revert ID' undoes an indicator import
  export          print an indicator's raw values at a level as German CSV
  catalogue load  load an indicator catalogue (YAML) and republish
  index apply     apply composite index definitions (YAML), versioned, and compute them
  index list      list the index definitions in force; 'index compute' recomputes them
  supply apply    write facility counts, places, ratios, gaps and catchment measures (YAML)
  supply compute  apply the supply definitions applied before once more (after new data)
  levels          list levels; 'levels add NAME --title T --rank N' adds one
  token create    create an API token (--name, --role viewer|editor|admin); 'token list', 'token revoke ID|NAME'
  audit           list the audit log: every import, revert and token change, by whom
  demo            load the demo atlas from data/demo
  tiles seed      warm the vector tile cache of a running service (--level, --maxzoom, --indicators)
  tiles export    write a level's vector tiles into a PMTiles archive (--level, --maxzoom, --out)
  backup          write the database to a pg_dump custom-format archive (--out FILE)
  restore         replace the database's contents with such an archive (FILE)

Run 'sozialatlas <command> -h' for a command's flags.
Without DATABASE_URL, the private cluster in --data-dir (default .data) is used.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serveCmd(ctx, rest, stderr)
	case "migrate":
		return migrateCmd(ctx, rest, stdout, stderr)
	case "import":
		return importCmd(ctx, rest, stdout, stderr)
	case "levels":
		return levelsCmd(ctx, rest, stdout, stderr)
	case "demo":
		return demoCmd(ctx, rest, stdout, stderr)
	case "catalogue":
		return catalogueCmd(ctx, rest, stdout, stderr)
	case "index":
		return indexCmd(ctx, rest, stdout, stderr)
	case "supply":
		return supplyCmd(ctx, rest, stdout, stderr)
	case "export":
		return exportCmd(ctx, rest, stdout, stderr)
	case "tiles":
		return tilesCmd(ctx, rest, stdout, stderr)
	case "token":
		return tokenCmd(ctx, rest, stdout, stderr)
	case "audit":
		return auditCmd(ctx, rest, stdout, stderr)
	case "backup":
		return backupCmd(ctx, rest, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sozialatlas "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses flags, allowing them before and after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseOne parses the flags of a command that takes exactly one argument
// and returns that argument; anything else is the usage error given.
func parseOne(fs *flag.FlagSet, args []string, usage string) (string, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usageError{usage}
	}
	return pos[0], nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("log level %q: use debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("log format %q: use json or text", format)}
}
