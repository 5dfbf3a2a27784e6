package facility

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/cql2"
	"github.com/sozialatlas/sozialatlas/geo/oapif"
)

// LayerPrefix starts the collection id of every facility type
// ("facilities-kita"): the hyphen keeps it apart from level names.
const LayerPrefix = "facilities-"

// queryables are the features' properties as filters and sortby see them,
// over the facility versions "f" and the area "a" they are counted in.
var queryables = []oapif.LayerQueryable{
	{Queryable: oapif.Queryable{Name: "source_id", Title: "Kennung der Quelle", Type: cql2.TypeString}, SQL: "f.source_id"},
	{Queryable: oapif.Queryable{Name: "name", Title: "Name", Type: cql2.TypeString}, SQL: "f.name"},
	{Queryable: oapif.Queryable{Name: "street", Title: "Straße", Type: cql2.TypeString}, SQL: "f.street"},
	{Queryable: oapif.Queryable{Name: "house_number", Title: "Hausnummer", Type: cql2.TypeString}, SQL: "f.house_number"},
	{Queryable: oapif.Queryable{Name: "postcode", Title: "Postleitzahl", Type: cql2.TypeString}, SQL: "f.postcode"},
	{Queryable: oapif.Queryable{Name: "place", Title: "Ort", Type: cql2.TypeString}, SQL: "f.place"},
	{Queryable: oapif.Queryable{Name: "carrier", Title: "Träger", Type: cql2.TypeString}, SQL: "f.carrier"},
	{Queryable: oapif.Queryable{Name: "carrier_type", Title: "Trägerart", Type: cql2.TypeString}, SQL: "f.carrier_type"},
	{Queryable: oapif.Queryable{Name: "target_group", Title: "Zielgruppe", Type: cql2.TypeString}, SQL: "f.target_group"},
	{Queryable: oapif.Queryable{Name: "capacity", Title: "Kapazität", Type: cql2.TypeNumber}, SQL: "f.capacity"},
	{Queryable: oapif.Queryable{Name: "capacity_unit", Title: "Einheit der Kapazität", Type: cql2.TypeString}, SQL: "f.capacity_unit"},
	{Queryable: oapif.Queryable{Name: "valid_from", Title: "gültig ab", Type: cql2.TypeDate}, SQL: "f.valid_from"},
	{Queryable: oapif.Queryable{Name: "valid_to", Title: "gültig bis", Type: cql2.TypeDate}, SQL: "f.valid_to"},
	{Queryable: oapif.Queryable{Name: "area_level", Title: "Ebene des Gebiets, in dem sie gezählt wird", Type: cql2.TypeString}, SQL: "a.level"},
	{Queryable: oapif.Queryable{Name: "area_code", Title: "Schlüssel des Gebiets, in dem sie gezählt wird", Type: cql2.TypeString}, SQL: "a.code"},
	{Queryable: oapif.Queryable{Name: "geometry", Title: "Lage", Type: cql2.TypeGeometry}, SQL: "f.geom"},
}

const sqlLayers = `
SELECT t.key, t.title, count(f.id),
       ST_XMin(ST_Extent(f.geom)), ST_YMin(ST_Extent(f.geom)), ST_XMax(ST_Extent(f.geom)), ST_YMax(ST_Extent(f.geom)),
       min(f.valid_from), CASE WHEN bool_or(f.valid_to IS NULL) THEN NULL ELSE max(f.valid_to) END,
       bool_or(f.valid_from IS NULL)
FROM facility_type t JOIN facility f ON f.type = t.key
WHERE $1::text IS NULL OR t.key = $1
GROUP BY t.key, t.title
ORDER BY t.key`

// Layers lists a collection for every facility type that has facilities.
func (s *Store) Layers(ctx context.Context) ([]oapif.LayerInfo, error) {
	return s.layers(ctx, nil)
}

// Layer describes the collection of one facility type.
func (s *Store) Layer(ctx context.Context, id string) (oapif.LayerInfo, error) {
	key, ok := strings.CutPrefix(id, LayerPrefix)
	if !ok {
		return oapif.LayerInfo{}, fmt.Errorf("collection %q: %w", id, geo.ErrNotFound)
	}
	ls, err := s.layers(ctx, &key)
	if err != nil {
		return oapif.LayerInfo{}, err
	}
	if len(ls) == 0 {
		return oapif.LayerInfo{}, fmt.Errorf("collection %q: %w", id, geo.ErrNotFound)
	}
	return ls[0], nil
}

func (s *Store) layers(ctx context.Context, key *string) ([]oapif.LayerInfo, error) {
	rows, err := s.pool.Query(ctx, sqlLayers, key)
	if err != nil {
		return nil, fmt.Errorf("facility layers: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (oapif.LayerInfo, error) {
		var l oapif.LayerInfo
		var n int64
		var bbox [4]float64
		var unboundedFrom bool
		if err := r.Scan(&l.ID, &l.Title, &n, &bbox[0], &bbox[1], &bbox[2], &bbox[3], &l.From, &l.To, &unboundedFrom); err != nil {
			return l, fmt.Errorf("facility layers: %w", err)
		}
		if unboundedFrom {
			l.From = nil
		}
		l.Description = fmt.Sprintf("Einrichtungen vom Typ %s; %d Einrichtungsstände insgesamt. "+
			"Jede Einrichtung zählt einmal, im feinsten Gebiet mit Geometrie, das sie enthält.", l.ID, n)
		l.ID, l.BBox, l.Queryables = LayerPrefix+l.ID, &bbox, queryables
		return l, nil
	})
}

// sqlLayerFrom selects the versions of one type valid on the period
// (today without one) in the bbox; %s is the filter's condition.
const sqlLayerFrom = `
FROM facility f LEFT JOIN area a ON a.id = f.area_id
WHERE f.type = @type
  AND CASE WHEN @today THEN daterange(f.valid_from, f.valid_to, '[]') @> current_date
           ELSE daterange(f.valid_from, f.valid_to, '[]') && daterange(@from::date, @to::date, '[]') END
  AND (NOT @use_bbox OR f.geom && ST_Transform(ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, @bbox_srid), 4326))
  AND (%s)`

// The properties keep one order in every feature, as GDAL derives the
// schema from the first ones; json_build_object keeps it, jsonb would not.
const sqlLayerSelect = `
SELECT f.id,
       ST_AsGeoJSON(CASE WHEN @flip THEN ST_FlipCoordinates(ST_Transform(f.geom, @srid::int))
                         ELSE ST_Transform(f.geom, @srid::int) END, @precision::int),
       json_build_object('source_id', f.source_id, 'name', f.name, 'street', f.street,
           'house_number', f.house_number, 'postcode', f.postcode, 'place', f.place,
           'carrier', f.carrier, 'carrier_type', f.carrier_type, 'target_group', f.target_group,
           'capacity', f.capacity, 'capacity_unit', f.capacity_unit,
           'valid_from', f.valid_from, 'valid_to', f.valid_to,
           'area_level', a.level, 'area_code', a.code)`

// LayerItems writes a page of a facility type's versions.
func (s *Store) LayerItems(ctx context.Context, q oapif.LayerQuery, start func(int64) error, each func(oapif.LayerFeature) error) error {
	key, _ := strings.CutPrefix(q.ID, LayerPrefix)
	srid := q.Geometry.SRID
	if srid == 0 {
		srid = 4326
	}
	args := pgx.NamedArgs{"type": key, "today": !q.Period.Explicit, "from": q.Period.From, "to": q.Period.To,
		"use_bbox": q.BBox != nil, "minx": 0.0, "miny": 0.0, "maxx": 0.0, "maxy": 0.0, "bbox_srid": 4326,
		"srid": srid, "flip": q.Geometry.LatLon, "precision": q.Geometry.Precision,
		"limit": q.Limit, "offset": q.Offset}
	if b := q.BBox; b != nil {
		minx, miny, maxx, maxy := b.MinX, b.MinY, b.MaxX, b.MaxY
		if b.LatLon {
			minx, miny, maxx, maxy = miny, minx, maxy, maxx
		}
		args["minx"], args["miny"], args["maxx"], args["maxy"], args["bbox_srid"] = minx, miny, maxx, maxy, b.SRID
	}
	where := "true"
	if q.Where != "" {
		where = q.Where
		for k, v := range q.Args {
			args[k] = v
		}
	}
	from := fmt.Sprintf(sqlLayerFrom, where)
	order := ""
	for _, o := range q.Order {
		dir := "ASC"
		if o.Desc {
			dir = "DESC"
		}
		order += o.Expr + " " + dir + " NULLS LAST, "
	}
	itemsSQL := sqlLayerSelect + from + " ORDER BY " + order + "f.source_id, f.valid_from NULLS FIRST LIMIT @limit OFFSET @offset"

	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("items of %s: %w", q.ID, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var matched int64
	if err := tx.QueryRow(ctx, "SELECT count(*) "+from, args).Scan(&matched); err != nil {
		return fmt.Errorf("count items of %s: %w", q.ID, err)
	}
	if err := start(matched); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, itemsSQL, args)
	if err != nil {
		return fmt.Errorf("items of %s: %w", q.ID, err)
	}
	var f oapif.LayerFeature
	var geom, props string
	var cbErr error
	_, err = pgx.ForEachRow(rows, []any{&f.ID, &geom, &props}, func() error {
		f.Geometry, f.Properties = []byte(geom), []byte(props)
		if err := each(f); err != nil {
			cbErr = err
			return err
		}
		return nil
	})
	if cbErr != nil {
		return cbErr
	}
	if err != nil {
		return fmt.Errorf("items of %s: %w", q.ID, err)
	}
	return nil
}

// sqlLayerFeature selects one version of a type by its number, whatever
// its validity: the number names the version.
const sqlLayerFeature = `
FROM facility f LEFT JOIN area a ON a.id = f.area_id
WHERE f.type = @type AND f.id = @id`

// LayerFeature returns one version of a facility type by its number; a
// number of no version of the type is geo.ErrNotFound.
func (s *Store) LayerFeature(ctx context.Context, id string, featureID int64, g geo.GeometryOptions) (oapif.LayerFeature, error) {
	key, _ := strings.CutPrefix(id, LayerPrefix)
	srid := g.SRID
	if srid == 0 {
		srid = 4326
	}
	args := pgx.NamedArgs{"type": key, "id": featureID, "srid": srid, "flip": g.LatLon, "precision": g.Precision}
	var f oapif.LayerFeature
	var geom, props string
	err := s.pool.QueryRow(ctx, sqlLayerSelect+sqlLayerFeature, args).Scan(&f.ID, &geom, &props)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("feature %d of %s: %w", featureID, id, geo.ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("feature %d of %s: %w", featureID, id, err)
	}
	f.Geometry, f.Properties = []byte(geom), []byte(props)
	return f, nil
}
