package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/facility"
	"github.com/sozialatlas/sozialatlas/geo/web/access"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// fileEntry is the audit entry of an import of the file at path: its
// name, size and SHA-256, so that the very file can be told apart later.
func fileEntry(action, path string) (access.Entry, error) {
	e := access.Entry{Action: action, File: filepath.Base(path)}
	f, err := os.Open(path)
	if err != nil {
		return e, fmt.Errorf("%s %s: %w", action, path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return e, fmt.Errorf("%s %s: %w", action, path, err)
	}
	e.Size, e.SHA256 = &n, hex.EncodeToString(h.Sum(nil))
	return e, nil
}

// reportFacts reads the batch an import or revert wrote and how many rows
// it wrote or removed from its report; nil where the report has none.
func reportFacts(rep any) (batch, rows *int64) {
	var b, n int64
	switch r := rep.(type) {
	case geo.ImportReport:
		b, n = r.Batch, int64(r.Imported)
	case geo.ChangeReport:
		b, n = r.Batch, int64(r.Created)
	case geo.CrosswalkReport:
		b, n = r.Batch, int64(r.Imported)
	case indicators.TableReport:
		// A checked table or one imported before wrote nothing.
		b, n = max(r.Batch, r.AlreadyImported), int64(r.Observations)
		if r.Batch == 0 {
			n = 0
		}
	case facility.Report:
		b, n = r.Batch, int64(r.Imported)
	case facility.RevertReport:
		b, n = r.Batch, r.Removed
	case indicators.RevertReport:
		b, n = r.Batch, r.Observations+r.Areas
	case indicators.SyncReport:
		// The indicators a catalogue load added, changed or removed.
		n = int64(len(r.Inserted) + len(r.Updated) + len(r.Deleted))
	case indicators.IndexApplyReport:
		// The indices that got a new version.
		n = int64(len(r.New))
	case []indicators.RawValue:
		// The cells whose raw values were read.
		n = int64(len(r))
	default:
		return nil, nil
	}
	if b > 0 {
		batch = &b
	}
	return batch, &n
}

// audited runs an import (or revert) and records it in the audit log as
// e, with the batch, rows and outcome filled in. Its error is run's,
// joined with any failure to write the entry: a change must not pass
// unrecorded without anyone being told.
func audited[R any](ctx context.Context, audit *access.Audit, e access.Entry, run func() (R, error)) (R, error) {
	rep, err := run()
	if err == nil {
		e.Batch, e.Rows = reportFacts(rep)
	}
	// The entry is written even when the request that asked for the
	// import has gone away meanwhile: the import may have committed.
	return rep, record(context.WithoutCancel(ctx), audit, e, err)
}

// record writes e to the audit log with the outcome of cause: ok when nil,
// else failed with its message. It returns cause, joined with any failure
// to write the entry.
func record(ctx context.Context, audit *access.Audit, e access.Entry, cause error) error {
	e.Outcome = access.OK
	if cause != nil {
		e.Outcome, e.Detail = access.Failed, cause.Error()
	}
	if _, err := audit.Record(ctx, e); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// auditedCLI is audited for the command line: the entry names the
// operating system's user and the file at path.
func auditedCLI[R any](ctx context.Context, d *database, action, path string, run func() (R, error)) (R, error) {
	e, err := fileEntry(action, path)
	if err != nil {
		var zero R
		return zero, err
	}
	e.Actor = cliActor()
	return audited(ctx, access.NewAudit(d.pool), e, run)
}
