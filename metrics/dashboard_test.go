package metrics

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var dashboardPath = filepath.Join("..", "deploy", "grafana", "nflsync.json")

// dashboardPanel is the part of a Grafana panel that the checks read. Rows
// nest their panels when collapsed.
type dashboardPanel struct {
	ID      int              `json:"id"`
	Type    string           `json:"type"`
	Title   string           `json:"title"`
	Targets []dashboardQuery `json:"targets"`
	Panels  []dashboardPanel `json:"panels"`
}

type dashboardQuery struct {
	RefID string `json:"refId"`
	Expr  string `json:"expr"`
}

type dashboard struct {
	UID        string           `json:"uid"`
	Title      string           `json:"title"`
	Panels     []dashboardPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

// panelQuery is one query of the dashboard, named for error messages.
type panelQuery struct {
	where string
	expr  string
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()

	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatalf("read dashboard: %v", err)
	}

	var board dashboard
	if err := json.Unmarshal(data, &board); err != nil {
		t.Fatalf("parse %s: %v", dashboardPath, err)
	}
	return board
}

// dashboardQueries returns the expression of every panel target, rows'
// nested panels included.
func dashboardQueries(panels []dashboardPanel) []panelQuery {
	var queries []panelQuery
	for _, panel := range panels {
		for _, target := range panel.Targets {
			queries = append(queries, panelQuery{where: panel.Title + " (" + target.RefID + ")", expr: target.Expr})
		}
		queries = append(queries, dashboardQueries(panel.Panels)...)
	}
	return queries
}

func TestDashboardQueriesUseExportedMetrics(t *testing.T) {
	board := loadDashboard(t)
	if board.UID == "" || board.Title == "" {
		t.Errorf("dashboard uid %q and title %q must both be set for provisioning", board.UID, board.Title)
	}

	exported := exportedSeriesNames(t)
	queries := dashboardQueries(board.Panels)
	if len(queries) == 0 {
		t.Fatal("dashboard has no panel queries")
	}

	for _, query := range queries {
		if strings.TrimSpace(query.expr) == "" {
			t.Errorf("panel %s has an empty expr", query.where)
			continue
		}

		names := metricNames(query.expr)
		if len(names) == 0 {
			t.Errorf("panel %s selects no metric: %s", query.where, query.expr)
		}
		for _, name := range names {
			if !exported[name] {
				t.Errorf("panel %s uses %s, which nflsync does not export: %s", query.where, name, query.expr)
			}
		}
	}
}

func TestDashboardPanelIDsUnique(t *testing.T) {
	board := loadDashboard(t)

	seen := make(map[int]string)
	var visit func(panels []dashboardPanel)
	visit = func(panels []dashboardPanel) {
		for _, panel := range panels {
			if previous, duplicate := seen[panel.ID]; duplicate {
				t.Errorf("panels %q and %q share id %d", previous, panel.Title, panel.ID)
			}
			seen[panel.ID] = panel.Title
			visit(panel.Panels)
		}
	}
	visit(board.Panels)
}

var labelValuesMetric = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)

func TestDashboardVariablesUseExportedMetrics(t *testing.T) {
	board := loadDashboard(t)
	exported := exportedSeriesNames(t)

	for _, variable := range board.Templating.List {
		if variable.Type != "query" {
			continue
		}

		match := labelValuesMetric.FindStringSubmatch(variable.Definition)
		if match == nil {
			t.Errorf("variable %s: definition %q is not label_values(metric, label)", variable.Name, variable.Definition)
			continue
		}
		if !exported[match[1]] {
			t.Errorf("variable %s uses %s, which nflsync does not export", variable.Name, match[1])
		}
	}
}

// alertExpressions returns the expr of every rule in a rules file. It reads
// the two forms alerts.yml uses, `expr: <query>` and a `expr: |` block,
// without a YAML parser, which would be a new dependency for one test.
func alertExpressions(t *testing.T, path string) []panelQuery {
	t.Helper()

	file, err := os.Open(path)
	if err != nil {
		t.Fatalf("open rules: %v", err)
	}
	defer file.Close()

	var (
		queries     []panelQuery
		alert       string
		block       *strings.Builder
		blockIndent int
	)
	finishBlock := func() {
		if block != nil {
			queries = append(queries, panelQuery{where: alert, expr: block.String()})
			block = nil
		}
	}

	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		line := scanner.Text()
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))

		if block != nil {
			if trimmed == "" || indent > blockIndent {
				block.WriteString(trimmed + "\n")
				continue
			}
			finishBlock()
		}

		switch {
		case strings.HasPrefix(trimmed, "- alert:"):
			alert = strings.TrimSpace(strings.TrimPrefix(trimmed, "- alert:"))
		case trimmed == "expr: |" || trimmed == "expr: >":
			block, blockIndent = &strings.Builder{}, indent
		case strings.HasPrefix(trimmed, "expr:"):
			queries = append(queries, panelQuery{where: alert, expr: strings.TrimSpace(strings.TrimPrefix(trimmed, "expr:"))})
		}
	}
	finishBlock()

	if err := scanner.Err(); err != nil {
		t.Fatalf("read rules: %v", err)
	}
	return queries
}

func TestAlertRulesUseExportedMetrics(t *testing.T) {
	exported := exportedSeriesNames(t)
	queries := alertExpressions(t, filepath.Join(prometheusDir, "alerts.yml"))
	if len(queries) < 8 {
		t.Fatalf("read %d alert expressions from alerts.yml, want at least 8", len(queries))
	}

	for _, query := range queries {
		names := metricNames(query.expr)
		if len(names) == 0 {
			t.Errorf("alert %s selects no metric: %s", query.where, query.expr)
		}
		for _, name := range names {
			if !exported[name] {
				t.Errorf("alert %s uses %s, which nflsync does not export: %s", query.where, name, query.expr)
			}
		}
	}
}
