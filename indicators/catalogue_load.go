package indicators

import (
	"context"
	"fmt"

	"github.com/sozialatlas/sozialatlas/geo"
)

// LoadCatalogue makes the database's catalogue equal cat and, if that
// changed anything, republishes, in one transaction: a catalogue that
// cannot be loaded changes nothing.
func (s *Store) LoadCatalogue(ctx context.Context, cat *Catalogue) (SyncReport, error) {
	tx, err := geo.BeginWrite(ctx, s.pool)
	if err != nil {
		return SyncReport{}, fmt.Errorf("load catalogue %s: %w", cat.Path, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	rep, err := s.SyncCatalogue(ctx, tx, cat)
	if err != nil {
		return rep, err
	}
	if !rep.Changed() {
		// Republishing an unchanged catalogue would only bump the data
		// version and empty every cache.
		return rep, nil
	}
	if err := s.Publish(ctx, tx); err != nil {
		return rep, fmt.Errorf("load catalogue %s: %w", cat.Path, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("load catalogue %s: commit: %w", cat.Path, err)
	}
	return rep, nil
}
