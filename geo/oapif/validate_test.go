package oapif

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// validateOpenAPI checks the document at url with swagger-parser, a full
// OpenAPI 3.0 validator, when node and the package are there: install it
// with `npm install --prefix geo/oapif/testdata @apidevtools/swagger-parser`.
func validateOpenAPI(t *testing.T, url string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Log("node not found: OpenAPI document not validated")
		return
	}
	if _, err := os.Stat(filepath.Join("testdata", "node_modules", "@apidevtools", "swagger-parser")); err != nil {
		t.Log("testdata/node_modules/@apidevtools/swagger-parser missing: OpenAPI document not validated")
		return
	}
	cmd := exec.Command(node, "validate-openapi.js", url)
	cmd.Dir = "testdata"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("OpenAPI document invalid: %v\n%s", err, out)
	}
}
