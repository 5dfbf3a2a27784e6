package supply

import (
	"errors"
	"fmt"
	"math"
)

// DecayKind says how the weight of a demand–supply pair falls with their
// distance inside the catchment radius d0. Beyond d0 the weight is 0 for
// every kind: that cut-off is what makes the catchment "floating".
type DecayKind string

const (
	// Binary is the original two-step floating catchment area method
	// (2SFCA, Luo and Wang 2003): weight 1 up to d0, 0 beyond.
	Binary DecayKind = "binary"
	// Stepped is the enhanced 2SFCA (E2SFCA, Luo and Qi 2009): the
	// catchment is cut into zones, each with one weight, used in both
	// steps.
	Stepped DecayKind = "stepped"
	// Gaussian is a continuous decay that is 1 at distance 0 and falls to
	// exactly 0 at d0: W(d) = (e^{−½(d/d0)²} − e^{−½}) / (1 − e^{−½}), the
	// Gaussian form attributed to Dai (2010). The shift by e^{−½} is what
	// removes the jump at the catchment edge that a plain Gaussian has.
	Gaussian DecayKind = "gaussian"
)

// Zone is one ring of a stepped decay: pairs whose distance is above the
// previous zone's Upper and at most this Upper (metres) weigh Weight.
type Zone struct {
	Upper  float64 `json:"upper_m" yaml:"upper_m"`
	Weight float64 `json:"weight" yaml:"weight"`
}

// Decay is the distance decay of a computation. The zero value is Binary.
type Decay struct {
	Kind DecayKind `json:"kind"`
	// Zones of a Stepped decay, nearest first; the last one's Upper must
	// equal the catchment radius so that the radius has one meaning for
	// every kind.
	Zones []Zone `json:"zones,omitempty"`
}

// weigher evaluates a validated decay; it is separate from Decay so that
// the hot loop does not re-check the parameters or allocate.
type weigher struct {
	kind   DecayKind
	radius float64
	zones  []Zone
	// e is e^{−½}, kept so the Gaussian is not recomputing a constant.
	e float64
}

// at is the weight of a pair d metres apart. It is 0 beyond the radius;
// callers must treat a weight of 0 as "not in the catchment", so that a
// Gaussian pair lying exactly on the edge counts as out of reach.
func (w *weigher) at(d float64) float64 {
	if d > w.radius {
		return 0
	}
	switch w.kind {
	case Stepped:
		for _, z := range w.zones {
			if d <= z.Upper {
				return z.Weight
			}
		}
		return 0
	case Gaussian:
		q := d / w.radius
		return (math.Exp(-0.5*q*q) - w.e) / (1 - w.e)
	default:
		return 1
	}
}

// newWeigher checks the decay against the radius.
func newWeigher(d Decay, radius float64) (*weigher, error) {
	if math.IsNaN(radius) || math.IsInf(radius, 0) || radius <= 0 {
		return nil, fmt.Errorf("catchment radius %v m: must be a positive finite number", radius)
	}
	w := &weigher{kind: d.Kind, radius: radius, e: math.Exp(-0.5)}
	switch d.Kind {
	case "", Binary:
		w.kind = Binary
		if len(d.Zones) > 0 {
			return nil, errors.New("binary decay takes no zones")
		}
	case Gaussian:
		if len(d.Zones) > 0 {
			return nil, errors.New("gaussian decay takes no zones")
		}
	case Stepped:
		if len(d.Zones) == 0 {
			return nil, errors.New("stepped decay without zones")
		}
		prev := 0.0
		for i, z := range d.Zones {
			if math.IsNaN(z.Upper) || z.Upper <= prev {
				return nil, fmt.Errorf("stepped decay zone %d: upper bound %v m is not above %v m", i+1, z.Upper, prev)
			}
			// A zone of weight 0 would be a hole in the catchment; a
			// weight above 1 would make far demand count more than near.
			if math.IsNaN(z.Weight) || z.Weight <= 0 || z.Weight > 1 {
				return nil, fmt.Errorf("stepped decay zone %d: weight %v is not in (0, 1]", i+1, z.Weight)
			}
			prev = z.Upper
		}
		if prev != radius {
			return nil, fmt.Errorf("stepped decay: last zone ends at %v m, the catchment radius is %v m", prev, radius)
		}
		w.zones = d.Zones
	default:
		return nil, fmt.Errorf("decay %q: want %q, %q or %q", d.Kind, Binary, Stepped, Gaussian)
	}
	return w, nil
}
