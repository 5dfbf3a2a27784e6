package supply

// Meta is what a derived indicator computed by TwoStep carries in its
// metadata, so that a published figure says how it was made and can be
// made again. TwoStep fills the method's part (Params.Meta); the caller
// adds which indicator and facilities went in.
type Meta struct {
	// Method is "2sfca" (binary), "e2sfca" (stepped) or "gaussian-2sfca".
	Method  string  `json:"method"`
	RadiusM float64 `json:"radius_m"`
	Decay   Decay   `json:"decay"`
	// Distance says how distances were measured; only "euclidean" (the
	// straight line in the metric CRS) is computed here.
	Distance string `json:"distance"`
	// DemandIndicator and DemandPeriod name the population that competes
	// (e.g. children under 6 at 2023-12-31).
	DemandIndicator string `json:"demand_indicator,omitempty"`
	DemandPeriod    string `json:"demand_period,omitempty"`
	// SupplyType and SupplyPeriod name the facilities and the date of
	// their capacities.
	SupplyType   string `json:"supply_type,omitempty"`
	SupplyPeriod string `json:"supply_period,omitempty"`
}

// Meta is the method's part of the metadata of the indicators computed
// with p.
func (p Params) Meta() Meta {
	m := Meta{RadiusM: p.Radius, Decay: p.Decay, Distance: "euclidean"}
	switch p.Decay.Kind {
	case Stepped:
		m.Method = "e2sfca"
	case Gaussian:
		m.Method = "gaussian-2sfca"
	default:
		m.Method = "2sfca"
		m.Decay.Kind = Binary
	}
	return m
}
