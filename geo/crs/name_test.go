package crs

import "testing"

func TestParseName(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
		uri  string
	}{
		{"EPSG:25832", Ref{SRID: 25832}, "http://www.opengis.net/def/crs/EPSG/0/25832"},
		{"epsg:25832", Ref{SRID: 25832}, "http://www.opengis.net/def/crs/EPSG/0/25832"},
		{" EPSG:4326 ", Ref{SRID: 4326}, "http://www.opengis.net/def/crs/EPSG/0/4326"},
		{"urn:ogc:def:crs:EPSG::25832", Ref{SRID: 25832}, "http://www.opengis.net/def/crs/EPSG/0/25832"},
		{"urn:ogc:def:crs:EPSG:9.8.1:25832", Ref{SRID: 25832}, "http://www.opengis.net/def/crs/EPSG/0/25832"},
		{"urn:ogc:def:crs:EPSG::4326", Ref{SRID: 4326}, "http://www.opengis.net/def/crs/EPSG/0/4326"},
		{"URN:OGC:DEF:CRS:EPSG::25833", Ref{SRID: 25833}, "http://www.opengis.net/def/crs/EPSG/0/25833"},
		{"urn:x-ogc:def:crs:EPSG:6.3:31467", Ref{SRID: 31467}, "http://www.opengis.net/def/crs/EPSG/0/31467"},
		{"http://www.opengis.net/def/crs/EPSG/0/25832", Ref{SRID: 25832}, "http://www.opengis.net/def/crs/EPSG/0/25832"},
		{"https://www.opengis.net/def/crs/EPSG/0/3035", Ref{SRID: 3035}, "http://www.opengis.net/def/crs/EPSG/0/3035"},
		{"http://www.opengis.net/gml/srs/epsg.xml#3857", Ref{SRID: 3857}, "http://www.opengis.net/def/crs/EPSG/0/3857"},
		{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", Ref{SRID: 4326, LonLat: true}, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		{"urn:ogc:def:crs:OGC:1.3:CRS84", Ref{SRID: 4326, LonLat: true}, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		{"urn:ogc:def:crs:OGC::CRS84", Ref{SRID: 4326, LonLat: true}, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		{"CRS84", Ref{SRID: 4326, LonLat: true}, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		{"crs84", Ref{SRID: 4326, LonLat: true}, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
	}
	for _, tt := range tests {
		got, err := ParseName(tt.in)
		if err != nil {
			t.Errorf("ParseName(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseName(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if u := got.URI(); u != tt.uri {
			t.Errorf("ParseName(%q).URI() = %q, want %q", tt.in, u, tt.uri)
		}
	}
}

func TestParseNameErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `CRS name "": not an EPSG code, OGC URN or URI, or CRS84`},
		{"WGS84", `CRS name "WGS84": not an EPSG code, OGC URN or URI, or CRS84`},
		{"EPSG:", `CRS name "EPSG:": EPSG code "" is not a positive number`},
		{"EPSG:abc", `CRS name "EPSG:abc": EPSG code "abc" is not a positive number`},
		{"EPSG:-5", `CRS name "EPSG:-5": EPSG code "-5" is not a positive number`},
		{"urn:ogc:def:crs:EPSG:25832", `CRS name "urn:ogc:def:crs:EPSG:25832": expected urn:ogc:def:crs:AUTHORITY:VERSION:CODE`},
		{"urn:ogc:def:crs:OGC:1.3:CRS83", `CRS name "urn:ogc:def:crs:OGC:1.3:CRS83": OGC CRS "CRS83" is not supported (only CRS84)`},
		{"urn:ogc:def:crs:ESRI::102100", `CRS name "urn:ogc:def:crs:ESRI::102100": authority "esri" is not supported (only EPSG and OGC)`},
		{"http://www.opengis.net/def/crs/EPSG/25832", `CRS name "http://www.opengis.net/def/crs/EPSG/25832": expected http://www.opengis.net/def/crs/AUTHORITY/VERSION/CODE`},
	}
	for _, tt := range tests {
		_, err := ParseName(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseName(%q) error = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestRefString(t *testing.T) {
	if s := (Ref{SRID: 4326, LonLat: true}).String(); s != "CRS84" {
		t.Errorf("CRS84 String() = %q", s)
	}
	if s := (Ref{SRID: 25833}).String(); s != "EPSG:25833" {
		t.Errorf("EPSG:25833 String() = %q", s)
	}
}
