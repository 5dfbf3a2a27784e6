package pgcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultSystemUser runs postgres when Sozialatlas itself runs as root.
const DefaultSystemUser = "sozialatlas"

// relocatedRoot holds clusters whose data directory the system user cannot
// reach (e.g. a checkout under /root, mode 0700).
const relocatedRoot = "/var/lib/sozialatlas/clusters"

// account is the identity postgres runs as. A nil *Credential means the
// current user.
type account struct {
	name string
	cred *syscall.Credential
}

func (a account) uid() int {
	if a.cred == nil {
		return os.Geteuid()
	}
	return int(a.cred.Uid)
}

func (a account) gid() int {
	if a.cred == nil {
		return os.Getegid()
	}
	return int(a.cred.Gid)
}

// systemAccount looks the user up, creating it as a system user without a
// home or login shell when it is missing.
func systemAccount(ctx context.Context, name string) (account, bool, error) {
	u, err := user.Lookup(name)
	created := false
	if err != nil {
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) {
			return account{}, false, fmt.Errorf("look up system user %s: %w", name, err)
		}
		if err := createSystemUser(ctx, name); err != nil {
			return account{}, false, err
		}
		if u, err = user.Lookup(name); err != nil {
			return account{}, false, fmt.Errorf("look up system user %s after creating it: %w", name, err)
		}
		created = true
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return account{}, false, fmt.Errorf("system user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return account{}, false, fmt.Errorf("system user %s: gid %q: %w", name, u.Gid, err)
	}
	groups := []uint32{uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.ParseUint(s, 10, 32); err == nil && uint32(g) != uint32(gid) {
				groups = append(groups, uint32(g))
			}
		}
	}
	return account{name: name, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}}, created, nil
}

// createSystemUser runs useradd. Several processes may race to create the
// user (test packages start in parallel), so a failure is retried and
// accepted once the user exists.
func createSystemUser(ctx context.Context, name string) error {
	var lastErr error
	for attempt := 0; attempt < 10; attempt++ {
		cmd := exec.CommandContext(ctx, "useradd", "--system", "--user-group", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name)
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		if _, lerr := user.Lookup(name); lerr == nil {
			return nil
		}
		lastErr = fmt.Errorf("create system user %s: useradd: %w: %s", name, err, strings.TrimSpace(string(out)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return lastErr
}

// canTraverse reports whether the account may search dir and every directory
// above it, judged by the mode bits (ACLs are not consulted).
func canTraverse(dir string, a account) (bool, error) {
	groups := map[uint32]bool{}
	if a.cred != nil {
		groups[a.cred.Gid] = true
		for _, g := range a.cred.Groups {
			groups[g] = true
		}
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return false, fmt.Errorf("check access to %s: %w", d, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false, fmt.Errorf("check access to %s: no owner information", d)
		}
		perm := fi.Mode().Perm()
		var bit fs.FileMode
		switch {
		case int(st.Uid) == a.uid():
			bit = 0o100
		case groups[st.Gid]:
			bit = 0o010
		default:
			bit = 0o001
		}
		if perm&bit == 0 {
			return false, nil
		}
		if d == filepath.Dir(d) {
			return true, nil
		}
	}
}

// relocatedDir is the stable home under /var/lib of the cluster belonging to
// the data directory absDir: readable name, plus a hash so that two data
// directories with the same base name never share a cluster.
func relocatedDir(absDir string) string {
	sum := sha256.Sum256([]byte(absDir))
	return filepath.Join(relocatedRoot, sanitizeName(filepath.Base(absDir))+"-"+hex.EncodeToString(sum[:4]))
}

func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), "_-")
	if len(name) > 32 {
		name = name[:32]
	}
	if name == "" {
		name = "data"
	}
	return name
}

// chownTree hands a directory tree to the account, unless its root already
// belongs to it (then the files below were created by postgres itself).
func chownTree(dir string, a account) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("chown %s: %w", dir, err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == a.uid() && int(st.Gid) == a.gid() {
		return nil
	}
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, a.uid(), a.gid()); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
		return nil
	})
}
