package main

// Launching a plugin the way Grafana does (hashicorp/go-plugin with Grafana's handshake, plugin
// set and environment) and building the requests Grafana sends (grafana-plugin-sdk-go's backend
// types through backend.ToProto). This mirrors the conformance harness (harness_test.go,
// requests_test.go), which lives in _test.go files and so cannot be imported.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/backend/useragent"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

const (
	// grafanaVersion is the Grafana the driver pretends to be (GF_VERSION, user agent).
	grafanaVersion = "12.1.0"
	// pluginID is the id Grafana sends in the plugin context.
	pluginID = "quarry-wasm-datasource"
)

// kind names one of the two plugins under test.
type kind string

const (
	quarry    kind = "quarry"
	reference kind = "go-reference"
)

func (k kind) String() string {
	if k == quarry {
		return "Quarry"
	}
	return "Go reference"
}

// target is one plugin executable and the environment Grafana would give it.
type target struct {
	kind kind
	exe  string
	env  []string // what Grafana computes (pluginconfig/envvars.go) plus the bench's own settings
}

// proc is one running plugin process and the pluginv2 clients Grafana dispenses.
type proc struct {
	kind   kind
	client *goplugin.Client
	pid    int
	data   grpcplugin.DataClient
	stream grpcplugin.StreamClient
	log    *stderrLog
}

// stderrLog keeps what the plugin writes on stderr: a line count, the last lines, and the
// modules of Quarry's "compiled module" log lines (hclog JSON), bounded so a chatty plugin
// cannot grow it.
type stderrLog struct {
	mu       sync.Mutex
	lines    int
	compiles []string // the module of each "compiled module" line
	partial  []byte
	tail     []string
}

func (l *stderrLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	buf := append(l.partial, p...)
	for {
		i := strings.IndexByte(string(buf), '\n')
		if i < 0 {
			break
		}
		l.line(buf[:i])
		buf = buf[i+1:]
	}
	if len(buf) > 64<<10 {
		buf = buf[len(buf)-64<<10:]
	}
	l.partial = append(l.partial[:0], buf...)
	return len(p), nil
}

func (l *stderrLog) line(raw []byte) {
	l.lines++
	if len(l.tail) >= 40 {
		l.tail = l.tail[1:]
	}
	l.tail = append(l.tail, string(raw))
	var entry struct {
		Message string `json:"@message"`
		Module  string `json:"module"`
	}
	if json.Unmarshal(raw, &entry) == nil && entry.Message == "compiled module" {
		l.compiles = append(l.compiles, entry.Module)
	}
}

// lineCount is the number of lines written so far.
func (l *stderrLog) lineCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines
}

// compilesOf counts the "compiled module" lines for module.
func (l *stderrLog) compilesOf(module string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.compiles {
		if c == module {
			n++
		}
	}
	return n
}

func (l *stderrLog) lastLines() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.tail, "\n")
}

// launch starts the executable as Grafana does: no arguments, no working directory of its own,
// Grafana's environment, the magic cookie, protocol 2, gRPC only; then dispenses the clients.
// go-plugin appends the driver's own environment, as it appends Grafana's.
func launch(t target) (*proc, error) {
	cmd := exec.Command(t.exe)
	cmd.Env = append([]string(nil), t.env...)
	p := &proc{kind: t.kind, log: &stderrLog{}}
	p.client = goplugin.NewClient(&goplugin.ClientConfig{
		Cmd: cmd,
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{grpcplugin.ProtocolVersion: {
			"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
			"resource":    &grpcplugin.ResourceGRPCPlugin{},
			"data":        &grpcplugin.DataGRPCPlugin{},
			"stream":      &grpcplugin.StreamGRPCPlugin{},
		}},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		// Grafana's default log level is info: go-plugin still parses every line the plugin
		// writes, and drops the debug ones.
		Logger: hclog.New(&hclog.LoggerOptions{Name: "plugin." + pluginID, Level: hclog.Info, Output: io.Discard}),
		Stderr: p.log,
	})
	fail := func(err error) (*proc, error) {
		p.client.Kill()
		return nil, fmt.Errorf("%s (%s): %w\nplugin stderr (last lines):\n%s", t.kind, t.exe, err, p.log.lastLines())
	}
	if _, err := p.client.Start(); err != nil {
		return fail(fmt.Errorf("go-plugin Start: %w", err))
	}
	if rc := p.client.ReattachConfig(); rc != nil {
		p.pid = rc.Pid
	}
	rpc, err := p.client.Client()
	if err != nil {
		return fail(fmt.Errorf("go-plugin Client: %w", err))
	}
	dispensed := map[string]any{}
	for _, name := range []string{"diagnostics", "resource", "data", "stream"} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			return fail(fmt.Errorf("dispense %q: %w", name, err))
		}
		dispensed[name] = raw
	}
	var ok bool
	if p.data, ok = dispensed["data"].(grpcplugin.DataClient); !ok {
		return fail(fmt.Errorf("dispensed data client is %T", dispensed["data"]))
	}
	if p.stream, ok = dispensed["stream"].(grpcplugin.StreamClient); !ok {
		return fail(fmt.Errorf("dispensed stream client is %T", dispensed["stream"]))
	}
	return p, nil
}

// kill stops the process as Grafana does (GRPCController/Shutdown, then SIGKILL after 2 s).
func (p *proc) kill() { p.client.Kill() }

// datasource is one Grafana datasource using the plugin.
type datasource struct {
	id       int64
	uid      string
	jsonData map[string]any
	ctx      *pluginv2.PluginContext
}

// grafanaConfig is the per-request config Grafana sends (pluginconfig/request.go).
var grafanaConfig = map[string]string{
	"GF_SQL_MAX_OPEN_CONNS_DEFAULT":            "100",
	"GF_SQL_MAX_IDLE_CONNS_DEFAULT":            "100",
	"GF_SQL_MAX_CONN_LIFETIME_SECONDS_DEFAULT": "14400",
	"GF_CONCURRENT_QUERY_COUNT":                "10",
	"GF_APP_URL":                               "http://localhost:3000/",
}

// newDatasource is datasource number id, using module (jsonData.module) plus extra keys.
func newDatasource(id int64, uid, module string, extra map[string]any) *datasource {
	jd := map[string]any{"module": module}
	for k, v := range extra {
		jd[k] = v
	}
	raw, err := json.Marshal(jd)
	if err != nil {
		panic(err)
	}
	ua, err := useragent.New(grafanaVersion, runtime.GOOS, runtime.GOARCH)
	if err != nil {
		panic(err)
	}
	pc := backend.PluginContext{
		OrgID:         1,
		PluginID:      pluginID,
		PluginVersion: "0.1.0",
		User:          &backend.User{Login: "admin", Name: "Admin", Email: "admin@localhost", Role: "Admin"},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID:                      id,
			UID:                     uid,
			Type:                    pluginID,
			Name:                    uid,
			JSONData:                raw,
			DecryptedSecureJSONData: map[string]string{},
			Updated:                 time.UnixMilli(1767225600000),
		},
		GrafanaConfig: backend.NewGrafanaCfg(grafanaConfig),
		UserAgent:     ua,
		APIVersion:    "v0alpha1",
	}
	return &datasource{id: id, uid: uid, jsonData: jd, ctx: backend.ToProto().PluginContext(pc)}
}

// windowFrom is the start of every query's time range: 2026-01-01T00:00:00Z.
var windowFrom = time.UnixMilli(1767225600000).UTC()

// walkQuery is a random-walk query with `points` forced points (one per second), the way
// Grafana sends it: the JSON model carries the panel's fields next to the plugin's own.
func (d *datasource) walkQuery(refID string, series, points int64) backend.DataQuery {
	m := map[string]any{
		"refId":         refID,
		"datasource":    map[string]any{"type": pluginID, "uid": d.uid},
		"intervalMs":    1000,
		"maxDataPoints": points,
		"scenario":      "random_walk",
		"seriesCount":   series,
		"points":        points,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return backend.DataQuery{
		RefID:         refID,
		MaxDataPoints: points,
		Interval:      time.Second,
		TimeRange:     backend.TimeRange{From: windowFrom, To: windowFrom.Add(time.Duration(points) * time.Second)},
		JSON:          raw,
	}
}

// request wraps queries into the protobuf request Grafana sends (Arrow frames asked for).
func (d *datasource) request(queries ...backend.DataQuery) *pluginv2.QueryDataRequest {
	req := &pluginv2.QueryDataRequest{
		PluginContext: d.ctx,
		Headers:       map[string]string{"http_X-Grafana-Org-Id": "1"},
		Format:        pluginv2.DataFrameFormat_ARROW,
	}
	for _, q := range queries {
		req.Queries = append(req.Queries, backend.ToProto().DataQuery(q))
	}
	return req
}

// rssKiB is the resident set size of pid (VmRSS in /proc/<pid>/status).
func rssKiB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				return strconv.ParseInt(fields[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// cpuTicks is utime+stime of pid in clock ticks (fields 14 and 15 of /proc/<pid>/stat), all
// threads included.
func cpuTicks(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name start at field 3 (state).
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(raw[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, fields[11], fields[12])
	}
	return utime + stime, nil
}

// clockTicks is the kernel's USER_HZ (getconf CLK_TCK), 100 when it cannot be asked.
func clockTicks() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return float64(n)
		}
	}
	return 100
}
