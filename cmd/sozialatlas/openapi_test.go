package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestOpenAPIOfTheDemo validates the demo atlas's OpenAPI document, which
// also describes the facility collections, with swagger-parser (the
// validator geo/oapif's tests use on their own fixtures; make test
// installs it).
func TestOpenAPIOfTheDemo(t *testing.T) {
	node := tool(t, "node")
	dir := filepath.Join("..", "..", "geo", "oapif", "testdata")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@apidevtools", "swagger-parser")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("swagger-parser is missing; make test installs it")
		}
		t.Skip("swagger-parser is missing (npm ci --prefix geo/oapif/testdata)")
	}
	srv, _ := demoServer(t)
	cmd := exec.Command(node, "validate-openapi.js", srv.URL+"/api")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the demo's OpenAPI document is invalid: %v\n%s", err, out)
	}
	var doc struct{ Paths map[string]any }
	getJSON(t, srv.URL+"/api", &doc)
	for _, p := range []string{"/collections/facilities-kita/items", "/collections/gemeinde/items"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("the document has no path %s", p)
		}
	}
}
