package source

import "testing"

func TestPrjCRS(t *testing.T) {
	const esri25832 = `PROJCS["ETRS_1989_UTM_Zone_32N",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",9.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	const nestedOnly = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]`
	const gdal4326 = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]`
	const wkt2 = `PROJCRS["ETRS89 / UTM zone 33N",
    BASEGEOGCRS["ETRS89",DATUM["European Terrestrial Reference System 1989",ELLIPSOID["GRS 1980",6378137,298.257222101]],ID["EPSG",4258]],
    CONVERSION["UTM zone 33N",METHOD["Transverse Mercator",ID["EPSG",9807]]],
    CS[Cartesian,2],AXIS["(E)",east,ORDER[1]],AXIS["(N)",north,ORDER[2]],
    ID["EPSG",25833]]`
	tests := []struct {
		name string
		prj  string
		want CRS
	}{
		{"ESRI WKT without authority", esri25832 + "\r\n", CRS{WKT: esri25832, Name: "ETRS_1989_UTM_Zone_32N"}},
		{"authority only on nested elements", nestedOnly, CRS{WKT: nestedOnly, Name: "WGS 84"}},
		{"WKT 1 with outermost authority", gdal4326, CRS{SRID: 4326, WKT: gdal4326, Name: "WGS 84"}},
		{"WKT 2 with outermost ID", wkt2, CRS{SRID: 25833, WKT: wkt2, Name: "ETRS89 / UTM zone 33N"}},
		{"parentheses and quoted quotes", `GEOGCS("a ""b""",AUTHORITY("epsg",4326))`,
			CRS{SRID: 4326, WKT: `GEOGCS("a ""b""",AUTHORITY("epsg",4326))`, Name: `a "b"`}},
		{"not well-formed", `PROJCS["x",AUTHORITY["EPSG",1234]`, CRS{WKT: `PROJCS["x",AUTHORITY["EPSG",1234]`}},
		{"other authority", `PROJCS["x",AUTHORITY["ESRI",102329]]`, CRS{WKT: `PROJCS["x",AUTHORITY["ESRI",102329]]`, Name: "x"}},
		{"Latin-1 byte in a name", "GEOGCS[\"Gau\xdf\"]", CRS{WKT: `GEOGCS["Gauß"]`, Name: "Gauß"}},
		{"empty", " \n", CRS{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := prjCRS([]byte(tt.prj)); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
