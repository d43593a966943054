package main

import (
	_ "embed"
	"fmt"
	"math"
	"strings"
)

// changes is the hand-kept record of what each performance change did, copied into the report.
//
//go:embed changes.md
var changes string

// row is one line of the results table.
type row struct {
	fig    string
	name   string
	unit   string
	digits int
	// target on Quarry ÷ Go reference: ratio must be ≤ maxRatio (or ≥ minRatio); 0 = none
	maxRatio, minRatio float64
	// target on Quarry's own value: ≤ maxQuarry; 0 = none
	maxQuarry float64
	target    string
}

func rows(r *results) []row {
	window := r.Config["stream window"]
	through := r.Config["throughput time"]
	return []row{
		{fig: figQ1kP50, name: "1 query × 1,000 points (random walk), p50", unit: "µs", maxRatio: 0.7, target: "≤ 0.7"},
		{fig: figQ1kP99, name: "1 query × 1,000 points (random walk), p99", unit: "µs", maxRatio: 0.7, target: "≤ 0.7"},
		{fig: figRPS, name: "8 concurrent clients for " + through + ", 1 × 1,000 points, requests/s", unit: "req/s", minRatio: 1.5, target: "≥ 1.5"},
		{fig: figQ20, name: "1 request with 20 queries (× 1,000 points), p50", unit: "µs", maxRatio: 0.8, target: "≤ 0.8"},
		{fig: figQ1M, name: "1 query × 1,000,000 points, p50", unit: "ms", digits: 1, maxRatio: 0.5, target: "≤ 0.5"},
		{fig: figStartCold, name: "process start → first answered query, cold (empty compiled-module cache)", unit: "ms", digits: 1, target: "—"},
		{fig: figStartWarm, name: "process start → first answered query, warm cache", unit: "ms", digits: 1, maxRatio: 1.5, maxQuarry: 100, target: "≤ 1.5, Quarry < 100 ms"},
		{fig: figRSSPer, name: "idle RSS per datasource instance (" + r.Config["rss instances"] + " instances)", unit: "MiB", digits: 2, maxQuarry: 2, target: "Quarry ≤ 2 MiB"},
		{fig: figStreamCPU, name: "1,000 streams at 10 Hz, CPU (user+sys) over " + window, unit: "CPU-s", digits: 2, maxRatio: 1.0, target: "≤ 1.0"},
	}
}

// contextRows are measured alongside, with no target.
func contextRows() []row {
	return []row{
		{fig: figCPUPerQuery, name: "plugin CPU (user+sys) per 1 × 1,000 query, sent one at a time", unit: "µs"},
		{fig: figCPUPerRPS, name: "plugin CPU (user+sys) per 1 × 1,000 query, 8 concurrent clients", unit: "µs"},
		{fig: figRSSFirst, name: "RSS after the first datasource instance", unit: "MiB", digits: 1},
		{fig: figStreamCores, name: "1,000 streams: CPU as % of one core", unit: "%", digits: 1},
		{fig: figStreamRate, name: "1,000 streams: packets delivered per second (10,000 expected)", unit: "pkt/s"},
		{fig: figCompilesCold, name: "compilations of `synthetic` by a cold start (Quarry's \"compiled module\" log lines)", unit: ""},
		{fig: figCompilesWarm, name: "compilations of `synthetic` by a warm start", unit: ""},
		{fig: figLogLines, name: "stderr lines written per 1 × 1,000 query", unit: "", digits: 2},
	}
}

func num(x float64, digits int) string {
	if !finite(x) {
		return "—"
	}
	if digits == 0 && x == math.Trunc(x) {
		return commas(fmt.Sprintf("%.0f", x))
	}
	if digits == 0 && math.Abs(x) >= 1 {
		return commas(fmt.Sprintf("%.0f", x))
	}
	if digits == 0 {
		digits = 2
	}
	s := fmt.Sprintf("%.*f", digits, x)
	whole, frac, _ := strings.Cut(s, ".")
	return commas(whole) + "." + frac
}

// commas groups the digits of an integer string by thousands.
func commas(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// cell is "median unit (min–max)" of one plugin's per-round values.
func cell(xs []float64, unit string, digits int) string {
	if len(xs) == 0 {
		return "not measured"
	}
	m := median(xs)
	s := num(m, digits)
	if unit != "" {
		s += " " + unit
	}
	if len(xs) > 1 {
		lo, hi := minMax(xs)
		s += fmt.Sprintf(" (%s–%s)", num(lo, digits), num(hi, digits))
	}
	return s
}

// ratio is median(Quarry) ÷ median(Go) and the range of the per-round ratios (rounds pair up
// when both plugins completed every round).
func ratio(q, g []float64) (float64, string) {
	if len(q) == 0 || len(g) == 0 || median(g) == 0 {
		return math.NaN(), "—"
	}
	rt := median(q) / median(g)
	s := fmt.Sprintf("%.2f", rt)
	if len(q) == len(g) && len(q) > 1 {
		var per []float64
		for i := range q {
			if g[i] != 0 {
				per = append(per, q[i]/g[i])
			}
		}
		lo, hi := minMax(per)
		s += fmt.Sprintf(" (%.2f–%.2f)", lo, hi)
	}
	return rt, s
}

func (rw row) met(q, g []float64) string {
	if len(q) == 0 {
		return "—"
	}
	ok := true
	checked := false
	rt, _ := ratio(q, g)
	if rw.maxRatio > 0 {
		checked = true
		ok = ok && finite(rt) && rt <= rw.maxRatio
	}
	if rw.minRatio > 0 {
		checked = true
		ok = ok && finite(rt) && rt >= rw.minRatio
	}
	if rw.maxQuarry > 0 {
		checked = true
		ok = ok && median(q) <= rw.maxQuarry
	}
	switch {
	case !checked:
		return "—"
	case ok:
		return "yes"
	default:
		return "**no**"
	}
}

// summaryTable is the results table in Markdown.
func summaryTable(r *results) string {
	var b strings.Builder
	b.WriteString("| figure | Quarry | Go reference | Quarry ÷ Go | target | met |\n|---|---|---|---|---|---|\n")
	for _, rw := range rows(r) {
		q, g := r.get(rw.fig, quarry), r.get(rw.fig, reference)
		_, rs := ratio(q, g)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", rw.name, cell(q, rw.unit, rw.digits), cell(g, rw.unit, rw.digits), rs, rw.target, rw.met(q, g))
	}
	if len(r.Scripts) == 0 {
		b.WriteString("| restart with a Python or JS module, warm cache: no compile, first query < 200 ms | not measured: no Python/JS module built | — | — | no compile, < 200 ms | — |\n")
	}
	for _, m := range r.Scripts {
		warm := r.get(figScriptWarm+m, quarry)
		compiles := r.get(figScriptCompiles+m, quarry)
		met := "—"
		if len(warm) > 0 {
			met = "yes"
			if median(warm) >= 200 || maxOf(compiles) > 0 {
				met = "**no**"
			}
		}
		fmt.Fprintf(&b, "| restart with `%s`, warm cache: first query (compiles seen: %s) | %s | — | — | no compile, < 200 ms | %s |\n",
			m, cell(compiles, "", 0), cell(warm, "ms", 1), met)
	}
	return b.String()
}

func maxOf(xs []float64) float64 {
	_, hi := minMax(xs)
	return hi
}

func contextTable(r *results) string {
	var b strings.Builder
	b.WriteString("| measured alongside | Quarry | Go reference |\n|---|---|---|\n")
	for _, rw := range contextRows() {
		q, g := r.get(rw.fig, quarry), r.get(rw.fig, reference)
		if len(q) == 0 && len(g) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", rw.name, cell(q, rw.unit, rw.digits), cell(g, rw.unit, rw.digits))
	}
	for _, m := range r.Scripts {
		fmt.Fprintf(&b, "| `%s`: cold start (empty cache) → first answer | %s | — |\n", m, cell(r.get(figScriptCold+m, quarry), "ms", 1))
	}
	return b.String()
}

// report is BENCHMARKS.md.
func report(r *results, png string) string {
	m := r.Machine
	var b strings.Builder
	b.WriteString("# Benchmarks: Quarry against the Go reference plugin\n\n")
	b.WriteString("Written by `cargo xtask bench` (the driver is `tests/conformance/cmd/quarrybench`); " +
		"do not edit by hand. See [Method](#method) for what each figure is.\n\n")
	if r.Quick {
		b.WriteString("> **Quick smoke run** (`--quick`): few rounds and short windows. The numbers show the driver works, not how the plugins compare.\n\n")
	}
	fmt.Fprintf(&b, "One run of %s rounds, Quarry and the Go reference interleaved, on %s. "+
		"Each cell is the median over rounds with the range (min–max) in brackets; the ratio is the ratio of the medians, "+
		"with the range of the per-round ratios.\n\n", r.Config["rounds"], m.Date)
	b.WriteString(summaryTable(r))
	b.WriteString("\n")
	b.WriteString(contextTable(r))
	fmt.Fprintf(&b, "\n![Latency distributions and start times](%s)\n\n", png)

	b.WriteString("## Machine\n\n| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPU | %s, %d cores |\n| memory | %s |\n| OS | %s |\n| Go | %s (driver and reference plugin) |\n| Rust | %s |\n",
		m.CPU, m.Cores, m.Memory, m.OS, m.Go, m.Rust)
	fmt.Fprintf(&b, "| date | %s |\n| commit | %s |\n| executables | Quarry %s; Go reference %s |\n", m.Date, orDash(m.Commit), m.QuarrySize, m.ReferenceSize)
	fmt.Fprintf(&b, "| load average (1/5/15 min) | %s at the start, %s at the end; the run took %s |\n", m.LoadStart, m.LoadEnd, m.Duration)
	fmt.Fprintf(&b, "| other work on the machine during the run | %s on average: the machine's busy CPU time (/proc/stat) less the driver's and the plugins' |\n\n", orDash(m.OtherLoad))
	b.WriteString("The load average includes the benchmark itself (the plugin under test and the driver use " +
		"up to both cores). Other work competes with the plugins for the same cores and widens the spread, " +
		"for both plugins alike since their runs are interleaved.\n\n")

	b.WriteString(method(r))

	b.WriteString("\n## Same work\n\nEvery scenario's answer is decoded with `data.UnmarshalArrowFrames` once per process and " +
		"reduced to a digest (first and last time, sum of all values). Both plugins must give the same digest:\n\n")
	b.WriteString("| answer | Quarry | Go reference | same |\n|---|---|---|---|\n")
	for _, what := range []string{"1 × 1,000", "20 × 1,000", "1 × 1,000,000"} {
		q, g := r.Digests[what][quarry], r.Digests[what][reference]
		same := "yes"
		if len(q) != 1 || len(g) != 1 || q[0] != g[0] {
			same = "**no**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", what, strings.Join(q, "; "), strings.Join(g, "; "), same)
	}
	b.WriteString("\n## What each change did\n\n")
	b.WriteString(changes)
	if len(r.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	if len(r.Failures) > 0 {
		b.WriteString("\n## Failed scenario runs\n\n")
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "- %s\n", f)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func method(r *results) string {
	c := r.Config
	return fmt.Sprintf(`## Method

- **Client.** Both plugins are started and called exactly as Grafana does it: hashicorp/go-plugin
  (the version grafana-plugin-sdk-go pins) runs the executable with no arguments, Grafana's
  handshake (magic cookie, protocol 2, gRPC only) and environment, and the driver calls the
  grafana-plugin-sdk-go pluginv2 clients it dispenses, on one connection per process. Requests are
  built from the SDK's backend types; the plugin context is a complete one (user, settings,
  Grafana config, user agent). Quarry runs the `+"`synthetic`"+` module; the Go reference plugin
  (`+"`tests/conformance/reference`"+`, grafana-plugin-sdk-go's `+"`datasource.Manage`"+`) computes the
  same scenarios in Go.
- **Rounds.** %s rounds. In each round every scenario runs for one plugin, then the other; the
  order alternates every round (Quarry first in odd rounds, the Go reference first in even ones).
  Streams run in the first %s rounds only (they take the longest).
- **Latency** is the wall time of one QueryData call from sending to having the whole response
  (protobuf-decoded by grpc-go). Arrow decoding by the client is left out of the timing (it is the
  same work for both); every answer's shape and data are checked once per process. Requests are
  sent back to back on one client after 3 warm-up calls, for %s per scenario and round;
  1 × 1,000,000 points: %s requests per round. Per round the driver takes p50 and p99 of
  that round's requests; the table gives the median and range of those.
- **Queries.** The model is `+"`"+`{"scenario":"random_walk","seriesCount":1,"points":P}`+"`"+`
  (plus the panel fields Grafana adds), one-second steps; the 20-query request has 20 such
  queries (refIds A–T) of 1,000 points each.
- **Throughput**: 8 goroutines send the 1 × 1,000 request back to back on the shared connection for
  %s; completed requests ÷ elapsed time.
- **Start → first query**: from before go-plugin starts the executable to the answer of the first
  QueryData (1 × 1,000 points, new datasource): process start, handshake, gRPC connection, instance
  creation, and for Quarry loading (cold: compiling) the module. Cold: Quarry's compiled-module
  cache (`+"`GF_PLUGIN_CACHE_DIR`"+`, a scratch directory of the run) is emptied first; then the process
  is stopped and started again (warm). The Go reference has no such cache, so its cold and warm starts
  differ only by chance. Quarry compiles its modules at start-up; "modules compiled" counts its
  `+"`compiled module`"+` log lines.
- **Idle RSS per instance**: a fresh process; %s datasources (distinct uids), one 1 × 1,000 query each;
  (VmRSS after all − VmRSS after the first) ÷ (n − 1), read from /proc/<pid>/status after a pause.
- **Streams**: a fresh process; %s (the default per-datasource stream cap of Quarry is 100).
  For each stream the driver calls SubscribeStream and then RunStream, as Grafana Live does for a
  channel's first subscriber. The paths are `+"`random_walk/100`"+`, `+"`random_walk/0100`"+`, `+"`random_walk/00100`"+`, … :
  distinct channels (Grafana runs one RunStream per channel) that both plugins read as a 100 ms
  interval. Once every stream has sent its first packet the driver waits a moment, then reads the
  plugin's utime+stime (/proc/<pid>/stat, all threads) over a %s window and counts the packets received.
- **Python/JavaScript restart** (Quarry only): measured when the modules directory holds a module
  named `+"`*-py.wasm`"+` or `+"`*-js.wasm`"+`: a cold start to its first answer, stop, then a warm start to its
  first answer; the datasource has an `+"`endpoint`"+` on a closed loopback port and the query model is
  empty, so the answer is the module's own bad-request error after its instance was created.
- **Nothing here is a test**: no timing is asserted anywhere; the driver fails only when a
  plugin fails a call.
`, c["rounds"], c["stream rounds"], c["latency window"], c["1M samples"], c["throughput time"], c["rss instances"], c["streams"], c["stream window"])
}
