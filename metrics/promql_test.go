package metrics

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// PromQL parts that name no metric, removed before the metric names are
// read. This is a lexer for the expressions of this repository's dashboard
// and alerts, not a full PromQL parser.
var (
	grafanaVariable = regexp.MustCompile(`\$\{[^}]*\}|\$\w+`)
	stringLiteral   = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	labelMatchers   = regexp.MustCompile(`\{[^}]*\}`)
	rangeSelector   = regexp.MustCompile(`\[[^\]]*\]`)
	groupingClause  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	offsetClause    = regexp.MustCompile(`\boffset\s+-?[0-9a-z]+`)
	promqlToken     = regexp.MustCompile(`[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?`)
)

// promqlKeywords are the PromQL words that may stand without parentheses.
var promqlKeywords = []string{
	"and", "or", "unless", "bool", "by", "without", "on", "ignoring",
	"group_left", "group_right", "offset", "inf", "nan", "atan2",
}

// metricNames returns the metric names an expression selects, in order of
// appearance.
func metricNames(expr string) []string {
	expr = grafanaVariable.ReplaceAllString(expr, "")
	expr = stringLiteral.ReplaceAllString(expr, `""`)
	expr = labelMatchers.ReplaceAllString(expr, "")
	expr = rangeSelector.ReplaceAllString(expr, "")
	expr = groupingClause.ReplaceAllString(expr, "")
	expr = offsetClause.ReplaceAllString(expr, "")

	var names []string
	for _, match := range promqlToken.FindAllStringSubmatch(expr, -1) {
		token := match[0]
		isCall := match[1] != ""
		if isCall || token[0] >= '0' && token[0] <= '9' || slices.Contains(promqlKeywords, strings.ToLower(token)) {
			continue
		}
		names = append(names, token)
	}
	return names
}

func TestMetricNamesLexer(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{
			`histogram_quantile(0.99, sum by (instance, le) (rate(nflsync_delivery_latency_seconds_bucket{job="$job", instance=~"$instance"}[$__rate_interval])))`,
			[]string{"nflsync_delivery_latency_seconds_bucket"},
		},
		{
			`(time() - max by (job) (nflsync_last_successful_sync_timestamp_seconds)) > 300 and on (job) max by (job) (nflsync_games_live) > 0`,
			[]string{"nflsync_last_successful_sync_timestamp_seconds", "nflsync_games_live"},
		},
		{
			`rate(process_cpu_seconds_total[5m] offset 1h) * 1e3 / up{job="a{b}"}`,
			[]string{"process_cpu_seconds_total", "up"},
		},
		{
			`sum(rate(nflsync_deltas_total{kind="game"}[${__rate_interval}])) * 60`,
			[]string{"nflsync_deltas_total"},
		},
	}
	for _, c := range cases {
		if got := metricNames(c.expr); !slices.Equal(got, c.want) {
			t.Errorf("metricNames(%q) = %v, want %v", c.expr, got, c.want)
		}
	}
}

// syntheticSeries are series that Prometheus itself records for every
// target, so expressions may use them although nflsync does not export them.
var syntheticSeries = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped"}

// exportedSeriesNames returns every series name that a query may select:
// each family name, plus _bucket, _sum and _count for histograms and _sum
// and _count for summaries.
func exportedSeriesNames(t *testing.T) map[string]bool {
	t.Helper()

	families, err := New().Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}

	byName := make(map[string]*dto.MetricFamily, len(families))
	for _, family := range families {
		byName[family.GetName()] = family
	}

	series := make(map[string]bool)
	for _, name := range Names() {
		series[name] = true

		family, found := byName[name]
		if !found {
			t.Fatalf("Names() returns %s, which the registry does not gather", name)
		}
		switch family.GetType() {
		case dto.MetricType_HISTOGRAM:
			series[name+"_bucket"], series[name+"_sum"], series[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			series[name+"_sum"], series[name+"_count"] = true, true
		}
	}
	for _, name := range syntheticSeries {
		series[name] = true
	}
	return series
}
