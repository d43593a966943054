// Command quarrybench measures Quarry against the Go reference plugin (tests/conformance/reference)
// through the client Grafana itself uses: hashicorp/go-plugin launches each executable with
// Grafana's handshake and environment, and grafana-plugin-sdk-go's pluginv2 clients send the
// calls. Both plugins answer the same `synthetic` queries (modules/synthetic/README.md), and the
// driver checks that their answers are the same data.
//
// The scenarios run in rounds, Quarry and the Go reference interleaved (the order alternates
// every round), and the report gives, per figure, the median over rounds with the spread
// (min–max), and Quarry ÷ Go reference. It writes BENCHMARKS.md and BENCHMARKS.png (latency
// distributions) to -out, and results.json (every value and sample) to -work.
//
//	go build -o /tmp/quarrybench ./cmd/quarrybench
//	/tmp/quarrybench -quarry $PWD/../../dist/gpx_quarry_linux_amd64 -reference /tmp/gpx_reference -out /tmp/bench [-quick]
//
// `cargo xtask bench [--quick]` builds both plugins and runs it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// config is what a run measures and for how long.
type config struct {
	quick          bool
	rounds         int           // rounds of the query, start and memory scenarios
	sampleTime     time.Duration // per latency scenario and round
	throughputTime time.Duration // the "N seconds" of 8 concurrent clients
	bigSamples     int           // 1,000,000-point requests per round
	rssInstances   int
	streamRounds   int
	streamDS       int // datasources the streams are spread over
	streamsPerDS   int
	streamWindow   time.Duration
	scriptRounds   int
	settle         time.Duration // pause before reading RSS or starting the CPU window
	scenarios      map[string]bool
}

func fullConfig() config {
	return config{
		rounds: 5, sampleTime: 2 * time.Second, throughputTime: 5 * time.Second, bigSamples: 5,
		rssInstances: 100, streamRounds: 3, streamDS: 10, streamsPerDS: 100, streamWindow: 30 * time.Second,
		scriptRounds: 3, settle: time.Second,
	}
}

func quickConfig() config {
	return config{
		quick: true, rounds: 2, sampleTime: 300 * time.Millisecond, throughputTime: time.Second, bigSamples: 2,
		rssInstances: 100, streamRounds: 1, streamDS: 10, streamsPerDS: 100, streamWindow: 3 * time.Second,
		scriptRounds: 1, settle: 300 * time.Millisecond,
	}
}

// bench is one run.
type bench struct {
	logf     func(format string, args ...any)
	cfg      config
	cacheDir string
	// work holds results.json, the cache and the script modules' own modules directories
	work       string
	scriptsDir string
	clkTck     float64
	res        *results
}

func main() {
	quarryExe := flag.String("quarry", "", "Quarry's packaged plugin executable (dist/gpx_quarry_<os>_<arch>), absolute path")
	referenceExe := flag.String("reference", "", "the Go reference plugin executable, absolute path")
	out := flag.String("out", "", "directory for BENCHMARKS.md and BENCHMARKS.png")
	work := flag.String("work", "", "directory for results.json (every value and sample) and Quarry's compiled-module cache; default: <out>/quarrybench-work")
	modulesDir := flag.String("modules", "", "Quarry's modules directory (default: modules/ beside -quarry)")
	scriptsDir := flag.String("scripts", "", "directory searched for Python/JavaScript modules (*-py.wasm, *-js.wasm) for the restart scenario (default: the modules directory); each runs from a modules directory of its own")
	repo := flag.String("repo", "", "the repository the plugins were built from (commit shown in the report)")
	quick := flag.Bool("quick", false, "a short smoke run: fewer rounds, shorter windows (numbers not for comparison)")
	rounds := flag.Int("rounds", 0, "override the number of rounds")
	streamWindow := flag.Duration("stream-window", 0, "override the stream CPU window")
	latencyWindow := flag.Duration("latency-window", 0, "override the time each latency scenario runs per round")
	bigSamples := flag.Int("big-samples", 0, "override the number of 1,000,000-point requests per round")
	only := flag.String("scenarios", "queries,rss,streams,scripts", "the scenarios to run (comma-separated)")
	flag.Parse()

	cfg := fullConfig()
	if *quick {
		cfg = quickConfig()
	}
	if *rounds > 0 {
		cfg.rounds = *rounds
		cfg.streamRounds = min(cfg.streamRounds, *rounds)
	}
	if *bigSamples > 0 {
		cfg.bigSamples = *bigSamples
	}
	if *latencyWindow > 0 {
		cfg.sampleTime = *latencyWindow
	}
	if *streamWindow > 0 {
		cfg.streamWindow = *streamWindow
	}
	cfg.scenarios = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		cfg.scenarios[strings.TrimSpace(s)] = true
	}
	if err := run(cfg, *quarryExe, *referenceExe, *out, *work, *modulesDir, *scriptsDir, *repo); err != nil {
		fmt.Fprintf(os.Stderr, "quarrybench: %v\n", err)
		os.Exit(1)
	}
}

func run(cfg config, quarryExe, referenceExe, out, work, modulesDir, scriptsDir, repo string) error {
	for name, p := range map[string]string{"-quarry": quarryExe, "-reference": referenceExe, "-out": out} {
		if p == "" {
			return fmt.Errorf("%s is required", name)
		}
		if !filepath.IsAbs(p) {
			return fmt.Errorf("%s %q must be an absolute path (Grafana starts plugins by absolute path)", name, p)
		}
	}
	if work == "" {
		work = filepath.Join(out, "quarrybench-work")
	}
	if modulesDir == "" {
		modulesDir = filepath.Join(filepath.Dir(quarryExe), "modules")
	}
	if scriptsDir == "" {
		scriptsDir = modulesDir
	}
	if _, err := os.Stat(filepath.Join(modulesDir, "synthetic.wasm")); err != nil {
		return fmt.Errorf("Quarry needs the synthetic module: %w (run `cargo xtask dist`)", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	b := &bench{cfg: cfg, cacheDir: filepath.Join(work, "cache"), work: work, scriptsDir: scriptsDir, clkTck: clockTicks(), res: newResults()}
	if err := os.MkdirAll(b.cacheDir, 0o755); err != nil {
		return err
	}
	common := []string{"GF_VERSION=" + grafanaVersion, "GF_PLUGIN_VERSION=0.1.0"}
	targets := map[kind]target{
		quarry: {kind: quarry, exe: quarryExe, env: append(append([]string(nil), common...),
			"GF_PLUGIN_CACHE_DIR="+b.cacheDir, "GF_PLUGIN_MODULES_DIR="+modulesDir)},
		reference: {kind: reference, exe: referenceExe, env: common},
	}
	machine := describeMachine(repo, quarryExe, referenceExe)
	scripts := scriptModules(scriptsDir)
	clockStart, clockErr := readCPUClock()
	began := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "quarrybench [%6.1fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	b.logf = logf
	logf("%d rounds (streams: %d rounds, %d × %d streams, %v window); machine: %s, %d cores, load %s",
		cfg.rounds, cfg.streamRounds, cfg.streamDS, cfg.streamsPerDS, cfg.streamWindow, machine.CPU, machine.Cores, machine.LoadStart)

	// stage runs one scenario for one plugin; a failure is recorded and the run goes on, so one
	// plugin refusing a scenario still leaves the rest of the report.
	stage := func(round int, name string, t target, f func(target) error) {
		s := time.Now()
		if err := f(t); err != nil {
			logf("round %d %s %s: FAILED: %v", round+1, name, t.kind, err)
			b.res.failure(fmt.Sprintf("round %d, %s, %s: %v", round+1, name, t.kind, firstLine(err.Error())))
			return
		}
		logf("round %d %s %s: %.1fs", round+1, name, t.kind, time.Since(s).Seconds())
	}
	for r := 0; r < cfg.rounds; r++ {
		order := []kind{quarry, reference}
		if r%2 == 1 {
			order = []kind{reference, quarry}
		}
		for _, k := range order {
			if cfg.scenarios["queries"] {
				stage(r, "start + queries", targets[k], b.queryBundle)
			}
		}
		for _, k := range order {
			if cfg.scenarios["rss"] {
				stage(r, "idle RSS", targets[k], func(t target) error { return b.idleRSS(t, cfg.rssInstances) })
			}
		}
		if r < cfg.streamRounds && cfg.scenarios["streams"] {
			for _, k := range order {
				stage(r, "streams", targets[k], func(t target) error {
					return b.streams(t, cfg.streamDS, cfg.streamsPerDS, cfg.streamWindow)
				})
			}
		}
	}
	if !cfg.scenarios["scripts"] {
		scripts = nil
	}
	for _, m := range scripts {
		for r := 0; r < cfg.scriptRounds; r++ {
			stage(r, "restart with "+m, targets[quarry], func(t target) error { return b.scriptRestart(t, m) })
		}
	}
	b.res.Scripts = scripts
	machine.LoadEnd = loadAverage()
	if clockEnd, err := readCPUClock(); err == nil && clockErr == nil {
		// the plugins' CPU counts as ours once go-plugin has waited for them, and every plugin
		// process has been stopped and waited for by now
		other := otherLoad(clockStart, clockEnd, b.clkTck, time.Since(began))
		machine.OtherLoad = fmt.Sprintf("%.2f of %d cores (%.0f%%)", other, machine.Cores, 100*other/float64(machine.Cores))
	}
	machine.Duration = time.Since(began).Round(time.Second).String()
	b.res.Machine = machine
	b.res.Config = cfg.describe()
	b.res.Quick = cfg.quick

	raw, err := json.MarshalIndent(b.res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "results.json"), raw, 0o644); err != nil {
		return err
	}
	if err := writePlot(filepath.Join(out, "BENCHMARKS.png"), b.res); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	md := report(b.res, "BENCHMARKS.png")
	if err := os.WriteFile(filepath.Join(out, "BENCHMARKS.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Println(summaryTable(b.res))
	logf("wrote %s", filepath.Join(out, "BENCHMARKS.md"))
	if len(b.res.Failures) > 0 {
		return fmt.Errorf("%d scenario runs failed (listed in the report)", len(b.res.Failures))
	}
	return nil
}

// scriptModules lists the Python and JavaScript modules in dir (file names ending in -py, -js,
// -python or -javascript, or with _ instead of -).
func scriptModules(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".wasm")
		if !ok {
			continue
		}
		n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		for _, suffix := range []string{"-py", "-js", "-python", "-javascript"} {
			if strings.HasSuffix(n, suffix) {
				out = append(out, name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func (c config) describe() map[string]string {
	return map[string]string{
		"rounds":          fmt.Sprint(c.rounds),
		"latency window":  c.sampleTime.String(),
		"throughput time": c.throughputTime.String(),
		"1M samples":      fmt.Sprint(c.bigSamples),
		"rss instances":   fmt.Sprint(c.rssInstances),
		"stream rounds":   fmt.Sprint(c.streamRounds),
		"streams":         fmt.Sprintf("%d datasources × %d", c.streamDS, c.streamsPerDS),
		"stream window":   c.streamWindow.String(),
		"script rounds":   fmt.Sprint(c.scriptRounds),
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
