package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// configEnv names the configuration file when --config is not given.
const configEnv = "SOZIALATLAS_CONFIG"

// envName is the environment variable of a flag: SOZIALATLAS_ and the
// flag's name in capitals with underscores (--statement-timeout is
// SOZIALATLAS_STATEMENT_TIMEOUT). The connection string keeps the name
// every PostgreSQL tool knows.
func envName(flagName string) string {
	if flagName == "database-url" {
		return "DATABASE_URL"
	}
	return "SOZIALATLAS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyConfig fills in the flags of fs not given on the command line, from
// the environment or else from the configuration file, so that a setting
// is taken from the flag, the environment, the file and the default, in
// that order. path is --config's value; empty takes SOZIALATLAS_CONFIG,
// and neither reads no file. The file is YAML mapping flag names to
// values (a list for comma-separated settings); an unknown key is an
// error, as a misspelt flag is.
func applyConfig(fs *flag.FlagSet, path string) error {
	if path == "" {
		path = os.Getenv(configEnv)
	}
	file := map[string]string{}
	if path != "" {
		var err error
		if file, err = readConfigFile(path, fs); err != nil {
			return err
		}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || f.Name == "config" {
			return
		}
		from, v, ok := "environment variable "+envName(f.Name), "", false
		if v, ok = os.LookupEnv(envName(f.Name)); !ok || v == "" {
			from = path + ": " + f.Name
			v, ok = file[f.Name]
		}
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", from, err))
		}
	})
	if len(errs) > 0 {
		return usageError{errors.Join(errs...).Error()}
	}
	return nil
}

// readConfigFile reads a configuration file into flag values as text.
func readConfigFile(path string, fs *flag.FlagSet) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var doc map[string]yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	out := map[string]string{}
	var unknown []string
	for key, node := range doc {
		if fs.Lookup(key) == nil || key == "config" {
			unknown = append(unknown, key)
			continue
		}
		switch node.Kind {
		case yaml.ScalarNode:
			out[key] = node.Value
		case yaml.SequenceNode:
			items := make([]string, 0, len(node.Content))
			for _, item := range node.Content {
				if item.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("config %s: %s, line %d: a list of plain values is expected", path, key, item.Line)
				}
				items = append(items, item.Value)
			}
			out[key] = strings.Join(items, ",")
		default:
			return nil, fmt.Errorf("config %s: %s, line %d: a value or a list of values is expected", path, key, node.Line)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, usageError{fmt.Sprintf("config %s: unknown setting %s; the settings are the flags of 'sozialatlas %s -h'",
			path, strings.Join(unknown, ", "), strings.TrimPrefix(fs.Name(), "sozialatlas "))}
	}
	return out, nil
}
