package oapif

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// validateOpenAPI checks the document at url with swagger-parser, a full
// OpenAPI 3.0 validator. make test installs it (`npm ci --prefix
// geo/oapif/testdata`); elsewhere its absence only skips this check, in CI
// it fails the test.
func validateOpenAPI(t *testing.T, url string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: OpenAPI document not validated; make test installs it", what)
		}
		t.Logf("%s: OpenAPI document not validated", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
		return
	}
	if _, err := os.Stat(filepath.Join("testdata", "node_modules", "@apidevtools", "swagger-parser")); err != nil {
		missing("testdata/node_modules/@apidevtools/swagger-parser missing")
		return
	}
	cmd := exec.Command(node, "validate-openapi.js", url)
	cmd.Dir = "testdata"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("OpenAPI document invalid: %v\n%s", err, out)
	}
}
