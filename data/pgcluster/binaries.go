package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// binaries are the PostgreSQL server programs of one installation.
type binaries struct {
	dir      string // holds initdb, pg_ctl and postgres
	major    int
	shareDir string // holds extension/*.control
}

func (b binaries) path(name string) string { return filepath.Join(b.dir, name) }

// debianLibRoot is where Debian installs each major version's server binaries.
const debianLibRoot = "/usr/lib/postgresql"

// findBinaries looks for pg_ctl on the search path first (resolving symlinks,
// so a /usr/local/bin link leads to the real directory with pg_config), then
// for the highest version under libRoot.
func findBinaries(ctx context.Context, pathEnv, libRoot string) (binaries, error) {
	var dir string
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			continue
		}
		if real, ok := serverDir(filepath.Join(d, "pg_ctl")); ok {
			dir = real
			break
		}
	}
	if dir == "" {
		dir = highestVersionDir(libRoot)
	}
	if dir == "" {
		return binaries{}, fmt.Errorf("PostgreSQL server programs not found (no pg_ctl with initdb and postgres beside it on PATH or under %s/*/bin): "+
			"install them with `apt-get install postgresql postgresql-contrib postgresql-%s-postgis-3`", libRoot, defaultMajor())
	}
	major, err := majorVersion(ctx, filepath.Join(dir, "pg_ctl"))
	if err != nil {
		return binaries{}, err
	}
	b := binaries{dir: dir, major: major, shareDir: shareDir(ctx, dir, major)}
	return b, nil
}

// serverDir resolves pg_ctl and reports its directory if initdb and postgres
// live there too.
func serverDir(pgCtl string) (string, bool) {
	real, err := filepath.EvalSymlinks(pgCtl)
	if err != nil || !isExecutable(real) {
		return "", false
	}
	dir := filepath.Dir(real)
	for _, name := range []string{"initdb", "postgres"} {
		if !isExecutable(filepath.Join(dir, name)) {
			return "", false
		}
	}
	return dir, true
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func highestVersionDir(libRoot string) string {
	entries, err := os.ReadDir(libRoot)
	if err != nil {
		return ""
	}
	var versions []int
	for _, e := range entries {
		if v, err := strconv.Atoi(e.Name()); err == nil {
			versions = append(versions, v)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(versions)))
	for _, v := range versions {
		if dir, ok := serverDir(filepath.Join(libRoot, strconv.Itoa(v), "bin", "pg_ctl")); ok {
			return dir
		}
	}
	return ""
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

func majorVersion(ctx context.Context, pgCtl string) (int, error) {
	out, err := exec.CommandContext(ctx, pgCtl, "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("%s --version: %w", pgCtl, err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s --version: unexpected output %q", pgCtl, strings.TrimSpace(string(out)))
	}
	major, _ := strconv.Atoi(string(m[1]))
	return major, nil
}

// shareDir asks the installation's own pg_config; Debian's layout is the
// fallback when pg_config is not installed beside the server.
func shareDir(ctx context.Context, binDir string, major int) string {
	if out, err := exec.CommandContext(ctx, filepath.Join(binDir, "pg_config"), "--sharedir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return d
		}
	}
	return filepath.Join("/usr/share/postgresql", strconv.Itoa(major))
}

// checkExtensions makes sure the extensions the schema needs are installed,
// naming the Debian package that provides each missing one.
func (b binaries) checkExtensions() error {
	need := []struct{ ext, pkg string }{
		{"postgis", fmt.Sprintf("postgresql-%d-postgis-3", b.major)},
		{"btree_gist", "postgresql-contrib"},
	}
	var missing []string
	var pkgs []string
	for _, n := range need {
		control := filepath.Join(b.shareDir, "extension", n.ext+".control")
		if _, err := os.Stat(control); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("check extension %s: %w", n.ext, err)
			}
			missing = append(missing, fmt.Sprintf("%s (no %s)", n.ext, control))
			pkgs = append(pkgs, n.pkg)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("PostgreSQL %d in %s lacks the extension(s) %s: install them with `apt-get install %s`",
			b.major, b.dir, strings.Join(missing, ", "), strings.Join(pkgs, " "))
	}
	return nil
}

// defaultMajor guesses the PostgreSQL version Debian's `postgresql` package
// installs on this release, for the install hint when nothing is installed.
func defaultMajor() string {
	raw, err := os.ReadFile("/etc/debian_version")
	if err != nil {
		return "<major>"
	}
	release, _, _ := strings.Cut(strings.TrimSpace(string(raw)), ".")
	switch release {
	case "11":
		return "13"
	case "12":
		return "15"
	case "13":
		return "17"
	}
	return "<major>"
}
