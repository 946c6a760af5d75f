package validate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// repoRoot is the repository root relative to this package's directory,
// where go test runs.
const repoRoot = "../.."

// variablePattern matches an NFL_SYNC_* variable name.
var variablePattern = regexp.MustCompile(`NFL_SYNC_[A-Z0-9_]+`)

// readFile returns the contents of a file given relative to the
// repository root.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return data
}

// decodeYAMLDocuments decodes every document of a YAML stream into a
// generic map, skipping empty documents.
func decodeYAMLDocuments(data []byte) ([]map[string]any, error) {
	decoder := yaml.NewDecoder(bytes.NewReader(data))
	var documents []map[string]any
	for {
		var document map[string]any
		err := decoder.Decode(&document)
		if errors.Is(err, io.EOF) {
			return documents, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode YAML document %d: %w", len(documents)+1, err)
		}
		if document != nil {
			documents = append(documents, document)
		}
	}
}

// lookup follows keys through nested maps and lists (a list index is an
// int) and returns nil when a step is missing.
func lookup(value any, keys ...any) any {
	for _, key := range keys {
		switch step := key.(type) {
		case string:
			object, ok := value.(map[string]any)
			if !ok {
				return nil
			}
			value = object[step]
		case int:
			list, ok := value.([]any)
			if !ok || step >= len(list) {
				return nil
			}
			value = list[step]
		}
	}
	return value
}

func lookupString(value any, keys ...any) string {
	text, _ := lookup(value, keys...).(string)
	return text
}

func lookupMap(value any, keys ...any) map[string]any {
	object, _ := lookup(value, keys...).(map[string]any)
	return object
}

func lookupList(value any, keys ...any) []any {
	list, _ := lookup(value, keys...).([]any)
	return list
}

// knownVariables returns the NFL_SYNC_* names that cmd/nflsync/config.go
// reads.
func knownVariables(t *testing.T) map[string]bool {
	t.Helper()
	known := make(map[string]bool)
	for _, name := range variablePattern.FindAllString(string(readFile(t, "cmd/nflsync/config.go")), -1) {
		known[name] = true
	}
	if len(known) < 10 {
		t.Fatalf("found %d NFL_SYNC_* names in cmd/nflsync/config.go; the pattern no longer matches how it reads them", len(known))
	}
	return known
}

// checkVariablesKnown returns an error for each NFL_SYNC_* name in text
// that nflsync does not read, such as a misspelt variable.
func checkVariablesKnown(file string, text []byte, known map[string]bool) []error {
	var problems []error
	seen := make(map[string]bool)
	for _, name := range variablePattern.FindAllString(string(text), -1) {
		if known[name] || seen[name] {
			continue
		}
		seen[name] = true
		problems = append(problems, fmt.Errorf("%s: %s is not a variable that cmd/nflsync reads", file, name))
	}
	return problems
}

func reportProblems(t *testing.T, problems []error) {
	t.Helper()
	for _, problem := range problems {
		t.Error(problem)
	}
}

func TestVariablesReadByNflsync(t *testing.T) {
	known := knownVariables(t)
	files := []string{
		"deploy/Dockerfile",
		"deploy/docker-compose.yml",
		"deploy/k8s/configmap.yaml",
		"deploy/k8s/statefulset.yaml",
		"docs/CLUSTER.md",
	}
	for _, file := range files {
		reportProblems(t, checkVariablesKnown(file, readFile(t, file), known))
	}
}

func TestVariablesRejectMisspeltName(t *testing.T) {
	known := knownVariables(t)

	problems := checkVariablesKnown("configmap", []byte("NFL_SYNC_LISTEN_ADDRESS: 0.0.0.0:8080"), known)

	if len(problems) != 1 {
		t.Fatalf("got %d problems for NFL_SYNC_LISTEN_ADDRESS, want 1: %v", len(problems), problems)
	}
}

// sortedKeys returns the keys of a map in order, for stable messages.
func sortedKeys(object map[string]any) []string {
	keys := make([]string, 0, len(object))
	for key := range object {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// portOf returns the port of a host:port address.
func portOf(address string) string {
	index := strings.LastIndex(address, ":")
	if index < 0 {
		return ""
	}
	return address[index+1:]
}
