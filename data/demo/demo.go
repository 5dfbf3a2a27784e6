// Package demo loads the demo atlas that ships in this directory: real open
// data (BKG VG5000 boundaries, Berlin's LOR), described by atlas.json.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/facility"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// Manifest lists what the demo atlas imports, in order.
type Manifest struct {
	Title       string     `json:"title"`
	Attribution string     `json:"attribution"`
	Areas       []AreaStep `json:"areas"`
	// Changes are change lists (Gebietsänderungen) applied after the areas.
	Changes []string `json:"changes"`
	// Facilities are point layers imported after the areas they lie in.
	Facilities []FacilityStep `json:"facilities"`
	// Catalogue is the indicator catalogue, loaded after the areas.
	Catalogue string `json:"catalogue"`
	// Tables are imported after the catalogue, by their mapping in it.
	Tables []TableStep `json:"tables"`
	// Indices are files of composite index definitions, applied last.
	Indices []string `json:"indices"`
	// Supply are files of supply definitions, applied after the tables
	// whose population they divide by.
	Supply []string `json:"supply"`
}

// TableStep is one indicator table of the demo.
type TableStep struct {
	Table              string `json:"table"`
	CreateMissingAreas bool   `json:"create_missing_areas"`
}

// AreaStep is one boundary import of the demo.
type AreaStep struct {
	File      string            `json:"file"`
	Level     string            `json:"level"`
	CodeField string            `json:"code_field"`
	NameField string            `json:"name_field"`
	Where     map[string]string `json:"where"`
	Parent    struct {
		Field   string `json:"field"`
		Prefix  int    `json:"prefix"`
		Code    string `json:"code"`
		Overlap bool   `json:"overlap"`
		Level   string `json:"level"`
	} `json:"parent"`
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to"`
	Distinct  bool   `json:"distinct"`
}

// FacilityStep is one facility file of the demo, imported with a
// built-in mapping of its fields.
type FacilityStep struct {
	File      string `json:"file"`
	Type      string `json:"type"`
	Mapping   string `json:"mapping"`
	ValidFrom string `json:"valid_from"`
}

// Import turns the step into a facility import relative to dir.
func (s FacilityStep) Import(dir string) (facility.Import, error) {
	in := facility.Import{Path: filepath.Join(dir, s.File), Type: s.Type}
	var err error
	if in.Mapping, err = facility.Builtin(s.Mapping); err != nil {
		return in, fmt.Errorf("demo step %s: %w", s.File, err)
	}
	if in.ValidFrom, err = date(s.ValidFrom); err != nil {
		return in, fmt.Errorf("demo step %s: valid_from: %w", s.File, err)
	}
	return in, nil
}

// ReadManifest reads dir/atlas.json.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, "atlas.json"))
	if err != nil {
		return m, fmt.Errorf("demo manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("demo manifest %s: %w", filepath.Join(dir, "atlas.json"), err)
	}
	return m, nil
}

// Import turns the step into a geo import relative to dir.
func (s AreaStep) Import(dir string) (geo.AreaImport, error) {
	in := geo.AreaImport{
		Path:      filepath.Join(dir, s.File),
		Level:     s.Level,
		CodeField: s.CodeField,
		NameField: s.NameField,
		Where:     s.Where,
		Distinct:  s.Distinct,
		Parent: geo.ParentRule{Field: s.Parent.Field, Prefix: s.Parent.Prefix,
			Code: s.Parent.Code, Overlap: s.Parent.Overlap, Level: s.Parent.Level},
	}
	var err error
	if in.ValidFrom, err = date(s.ValidFrom); err != nil {
		return in, fmt.Errorf("demo step %s: valid_from: %w", s.File, err)
	}
	if in.ValidTo, err = date(s.ValidTo); err != nil {
		return in, fmt.Errorf("demo step %s: valid_to: %w", s.File, err)
	}
	return in, nil
}

func date(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Load imports every step of the manifest that has not been imported yet,
// so an interrupted first start resumes where it stopped.
func Load(ctx context.Context, store *geo.Store, ind *indicators.Store, dir string, log *slog.Logger) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	for _, step := range m.Areas {
		in, err := step.Import(dir)
		if err != nil {
			return err
		}
		done, err := store.Imported(ctx, "areas", filepath.Base(in.Path), in.Level)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if done {
			continue
		}
		rep, err := store.ImportAreas(ctx, in)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		log.Info("demo areas imported", "file", step.File, "level", rep.Level,
			"imported", rep.Imported, "repaired", rep.Repaired, "closed", rep.Closed,
			"seconds", fmt.Sprintf("%.2f", rep.Seconds))
	}
	for _, file := range m.Changes {
		done, err := store.Imported(ctx, "changes", filepath.Base(file), "")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if done {
			continue
		}
		rep, err := store.ImportChanges(ctx, filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		log.Info("demo changes applied", "file", file, "created", rep.Created, "closed", rep.Closed)
	}
	if err := loadFacilities(ctx, store, facility.NewStore(store.Pool()), dir, m.Facilities, log); err != nil {
		return err
	}
	if m.Catalogue == "" {
		return nil
	}
	cat, err := indicators.ReadCatalogue(filepath.Join(dir, m.Catalogue))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if rep, err := ind.LoadCatalogue(ctx, cat); err != nil {
		return fmt.Errorf("demo: %w", err)
	} else if rep.Changed() {
		log.Info("demo catalogue loaded", "file", m.Catalogue, "inserted", len(rep.Inserted), "updated", len(rep.Updated))
	}
	for _, step := range m.Tables {
		t, err := cat.Table(step.Table)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		rep, err := ind.ImportTable(ctx, indicators.TableImport{Path: cat.TablePath(t), Mapping: &t,
			CreateMissingAreas: step.CreateMissingAreas})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if rep.AlreadyImported != 0 {
			continue
		}
		log.Info("demo indicators imported", "table", step.Table, "observations", rep.Observations,
			"created_areas", len(rep.CreatedAreas), "without_data", rep.WithoutData,
			"seconds", fmt.Sprintf("%.2f", rep.Seconds))
	}
	for _, file := range m.Supply {
		f, err := indicators.ReadSupplyFile(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		current, err := ind.SupplyCurrent(ctx, f)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if current {
			continue
		}
		rep, err := ind.ApplySupply(ctx, f)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		log.Info("demo supply applied", "file", file, "definitions", len(rep.Runs))
	}
	for _, file := range m.Indices {
		f, err := indicators.ReadIndexFile(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		rep, err := ind.ApplyIndices(ctx, f)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if len(rep.New) > 0 {
			log.Info("demo indices applied", "file", file, "new_versions", rep.New, "computed", len(rep.Computed))
		}
	}
	return nil
}

// loadFacilities imports the facility files not imported yet.
func loadFacilities(ctx context.Context, store *geo.Store, fac *facility.Store, dir string, steps []FacilityStep, log *slog.Logger) error {
	for _, step := range steps {
		in, err := step.Import(dir)
		if err != nil {
			return err
		}
		done, err := store.Imported(ctx, "facilities", filepath.Base(in.Path), "")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if done {
			continue
		}
		rep, err := fac.Import(ctx, in)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		log.Info("demo facilities imported", "file", step.File, "type", rep.Type,
			"imported", rep.Imported, "seconds", fmt.Sprintf("%.2f", rep.Seconds))
	}
	return nil
}
