package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Figure keys: one value per round and plugin under each.
const (
	figQ1kP50       = "q1k_p50_us"
	figQ1kP99       = "q1k_p99_us"
	figRPS          = "clients8_rps"
	figQ20          = "q20_p50_us"
	figQ1M          = "q1m_p50_ms"
	figStartCold    = "start_cold_ms"
	figStartWarm    = "start_warm_ms"
	figCompilesCold = "start_cold_compiles"
	figCompilesWarm = "start_warm_compiles"
	figRSSFirst     = "rss_first_mib"
	figRSSPer       = "rss_per_instance_mib"
	figStreamCPU    = "streams_cpu_s"
	figStreamCores  = "streams_cpu_pct"
	figStreamRate   = "streams_packets_per_s"
	figLogLines     = "stderr_lines_per_query"
	figCPUPerQuery  = "cpu_us_per_q1k"
	figCPUPerRPS    = "cpu_us_per_q1k_clients8"
	// + module name:
	figScriptCold     = "script_cold_ms:"
	figScriptWarm     = "script_warm_ms:"
	figScriptCompiles = "script_warm_compiles:"
)

// results is everything a run measured; it is written as results.json as well.
type results struct {
	mu sync.Mutex
	// Values[figure][plugin] = one value per round
	Values map[string]map[kind][]float64
	// Samples[figure][plugin] = every request's latency in µs, all rounds (for the plot)
	Samples map[string]map[kind][]float64
	// Digests[scenario][plugin] = the digests of the checked answers (the same for both plugins
	// when they did the same work)
	Digests  map[string]map[kind][]string
	Notes    []string
	Failures []string
	Scripts  []string
	Machine  machine
	Config   map[string]string
	Quick    bool
}

func newResults() *results {
	return &results{
		Values:  map[string]map[kind][]float64{},
		Samples: map[string]map[kind][]float64{},
		Digests: map[string]map[kind][]string{},
	}
}

func (r *results) add(fig string, k kind, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Values[fig] == nil {
		r.Values[fig] = map[kind][]float64{}
	}
	r.Values[fig][k] = append(r.Values[fig][k], v)
}

func (r *results) samples(fig string, k kind, xs []float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Samples[fig] == nil {
		r.Samples[fig] = map[kind][]float64{}
	}
	r.Samples[fig][k] = append(r.Samples[fig][k], xs...)
}

func (r *results) digest(what string, k kind, d string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Digests[what] == nil {
		r.Digests[what] = map[kind][]string{}
	}
	for _, seen := range r.Digests[what][k] {
		if seen == d {
			return
		}
	}
	r.Digests[what][k] = append(r.Digests[what][k], d)
}

func (r *results) note(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.Notes {
		if n == s {
			return
		}
	}
	r.Notes = append(r.Notes, s)
}

func (r *results) failure(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Failures = append(r.Failures, s)
}

func (r *results) get(fig string, k kind) []float64 { return r.Values[fig][k] }

// machine describes where the run happened.
type machine struct {
	CPU, Memory, OS, Go, Rust, Date, Commit string
	Cores                                   int
	LoadStart, LoadEnd, Duration            string
	OtherLoad                               string // CPU used by other processes during the run
	QuarrySize, ReferenceSize               string
}

func describeMachine(repo, quarryExe, referenceExe string) machine {
	m := machine{
		CPU:       cpuModel(),
		Cores:     runtime.NumCPU(),
		Memory:    memTotal(),
		OS:        osName(),
		Go:        runtime.Version(),
		Rust:      commandLine("rustc", "--version"),
		Date:      time.Now().UTC().Format("2006-01-02 15:04 MST"),
		LoadStart: loadAverage(),
	}
	if repo != "" {
		m.Commit = commandLine("git", "-C", repo, "rev-parse", "--short", "HEAD")
		if st := commandLine("git", "-C", repo, "status", "--porcelain", "--untracked-files=no"); st != "" && st != "?" {
			m.Commit += " (with uncommitted changes)"
		}
	}
	m.QuarrySize = fileSize(quarryExe)
	m.ReferenceSize = fileSize(referenceExe)
	return m
}

// cpuClock is a reading of the machine's busy CPU time and of this process's own and its
// waited-for children's (the plugins'), both in clock ticks.
type cpuClock struct{ machine, ours int64 }

func readCPUClock() (cpuClock, error) {
	var c cpuClock
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c, err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return c, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		var n int64
		fmt.Sscan(f[i], &n)
		c.machine += n
	}
	self, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return c, err
	}
	s := string(self)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		var n int64
		fmt.Sscan(fields[i], &n)
		c.ours += n
	}
	return c, nil
}

// otherLoad is the CPU the rest of the machine used between two readings, in cores.
func otherLoad(a, b cpuClock, clkTck float64, elapsed time.Duration) float64 {
	return float64((b.machine-a.machine)-(b.ours-a.ours)) / clkTck / elapsed.Seconds()
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	raw, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kib float64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kib)
			return fmt.Sprintf("%.1f GiB", kib/1024/1024)
		}
	}
	return "?"
}

func osName() string {
	name := runtime.GOOS
	if raw, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				name = strings.Trim(v, `"`)
			}
		}
	}
	if k, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		name += ", Linux " + strings.TrimSpace(string(k))
	}
	return name
}

// loadAverage is the 1/5/15-minute load average.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func commandLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func fileSize(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB (%s)", float64(st.Size())/(1<<20), filepath.Base(path))
}
