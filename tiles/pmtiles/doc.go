// Package pmtiles writes and reads PMTiles version 3 archives: one file
// holding a whole tile pyramid, addressed by HTTP range requests, so that a
// static web server can host the tiles of the live service.
//
// The format follows the PMTiles v3 specification
// (github.com/protomaps/PMTiles, spec/v3/spec.md). Section numbers in
// comments refer to it. The writer always stores gzip-compressed MVT tiles
// and gzip-compressed directories and metadata.
package pmtiles
