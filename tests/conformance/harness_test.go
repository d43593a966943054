package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

const (
	envExe  = "QUARRY_PLUGIN_EXE"
	envKind = "QUARRY_PLUGIN_KIND"

	kindQuarry    = "quarry"
	kindReference = "reference"

	// grafanaVersion is the Grafana version the suite pretends to be (GF_VERSION, user agent).
	grafanaVersion = "12.1.0"
	// pluginID is the id Grafana would send in the plugin context.
	pluginID = "quarry-wasm-datasource"
	// callTimeout bounds every unary call (a debug build compiling its module can be slow).
	callTimeout = 60 * time.Second
)

// pluginKind is QUARRY_PLUGIN_KIND, defaulting to quarry.
func pluginKind() string {
	switch k := os.Getenv(envKind); k {
	case "", kindQuarry:
		return kindQuarry
	default:
		return k
	}
}

// quarryOnly reports whether a Quarry-specific check should run, logging when it is skipped.
func quarryOnly(t testing.TB, what string) bool {
	t.Helper()
	if pluginKind() == kindQuarry {
		return true
	}
	t.Logf("NOTE: %s=%s: skipping the Quarry-specific check: %s", envKind, pluginKind(), what)
	return false
}

// pluginExe returns QUARRY_PLUGIN_EXE or fails the test with instructions.
func pluginExe(t testing.TB) string {
	t.Helper()
	exe := os.Getenv(envExe)
	if exe == "" {
		t.Fatalf("%s is not set: set it to the absolute path of the plugin executable to test, "+
			"e.g. %s=$PWD/../../dist/gpx_quarry_%s_%s (cargo xtask test sets it)", envExe, envExe, runtime.GOOS, runtime.GOARCH)
	}
	if !filepath.IsAbs(exe) {
		t.Fatalf("%s=%q must be an absolute path (Grafana starts plugins by absolute path)", envExe, exe)
	}
	if k := pluginKind(); k != kindQuarry && k != kindReference {
		t.Fatalf("%s=%q: want %q or %q", envKind, k, kindQuarry, kindReference)
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("%s: %v", envExe, err)
	}
	return exe
}

// plugin is one running plugin process and the pluginv2 clients Grafana would dispense.
type plugin struct {
	client      *goplugin.Client
	pid         int
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
	stream      grpcplugin.StreamClient
	stderr      *lineLog // the plugin's raw stderr lines
	hostLog     *lineLog // go-plugin's client log (includes the parsed plugin log lines)
}

// lineLog collects what is written to it, for inspection and for failure reports.
type lineLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *lineLog) lines() []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return out
}

// tail returns the last n lines.
func (l *lineLog) tail(n int) string {
	lines := l.lines()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// grafanaEnv is the environment Grafana computes for a plugin (pluginconfig/envvars.go) before
// go-plugin appends Grafana's own environment and its handshake variables.
func grafanaEnv() []string {
	return []string{
		"GF_VERSION=" + grafanaVersion,
		// Grafana adds the plugin version when plugin tracing is on (common in production).
		"GF_PLUGIN_VERSION=0.1.0",
	}
}

// v2PluginSet is what Grafana registers for protocol version 2 (grpcplugin/client.go): the SDK's
// own client-side GRPCPlugin types, whose GRPCClient yields the genproto pluginv2 clients.
func v2PluginSet() goplugin.PluginSet {
	return goplugin.PluginSet{
		"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
		"resource":    &grpcplugin.ResourceGRPCPlugin{},
		"data":        &grpcplugin.DataGRPCPlugin{},
		"stream":      &grpcplugin.StreamGRPCPlugin{},
	}
}

// launch starts the executable exactly as Grafana does and dispenses the four clients.
func launch(t testing.TB) (*plugin, error) {
	exe := pluginExe(t)
	cmd := exec.Command(exe) // no args, no Dir: the plugin runs in Grafana's working directory
	cmd.Env = grafanaEnv()
	p := &plugin{stderr: &lineLog{}, hostLog: &lineLog{}}
	p.client = goplugin.NewClient(&goplugin.ClientConfig{
		Cmd: cmd,
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,  // 2
			MagicCookieKey:   grpcplugin.MagicCookieKey,   // grafana_plugin_type
			MagicCookieValue: grpcplugin.MagicCookieValue, // datasource
		},
		VersionedPlugins: map[int]goplugin.PluginSet{grpcplugin.ProtocolVersion: v2PluginSet()},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "plugin." + pluginID,
			Level:  hclog.Debug,
			Output: p.hostLog,
		}),
		Stderr: p.stderr,
	})
	fail := func(err error) (*plugin, error) {
		p.client.Kill()
		return nil, fmt.Errorf("%w\nplugin log:\n%s", err, p.hostLog.tail(40))
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
	dispense := func(name string) any {
		if err != nil {
			return nil
		}
		var raw any
		raw, err = rpc.Dispense(name)
		if err != nil {
			err = fmt.Errorf("dispense %q: %w", name, err)
		}
		return raw
	}
	data, diag, res, stream := dispense("data"), dispense("diagnostics"), dispense("resource"), dispense("stream")
	if err != nil {
		return fail(err)
	}
	var ok bool
	if p.data, ok = data.(grpcplugin.DataClient); !ok {
		return fail(fmt.Errorf("dispensed data client is %T", data))
	}
	if p.diagnostics, ok = diag.(grpcplugin.DiagnosticsClient); !ok {
		return fail(fmt.Errorf("dispensed diagnostics client is %T", diag))
	}
	if p.resource, ok = res.(grpcplugin.ResourceClient); !ok {
		return fail(fmt.Errorf("dispensed resource client is %T", res))
	}
	if p.stream, ok = stream.(grpcplugin.StreamClient); !ok {
		return fail(fmt.Errorf("dispensed stream client is %T", stream))
	}
	return p, nil
}

var shared struct {
	once sync.Once
	p    *plugin
	err  error
}

// sharedPlugin is the plugin process most tests and the benchmarks share (launched once).
func sharedPlugin(t testing.TB) *plugin {
	t.Helper()
	pluginExe(t)
	shared.once.Do(func() { shared.p, shared.err = launch(t) })
	if shared.err != nil {
		t.Fatalf("launching %s: %v", os.Getenv(envExe), shared.err)
	}
	return shared.p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.p != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "--- plugin log (last lines):\n%s\n", shared.p.hostLog.tail(60))
		}
		shared.p.client.Kill()
	}
	os.Exit(code)
}

// ctx is a context with the per-call timeout, cancelled at the end of the test.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return c
}

// processAlive reports whether pid names a live (non-zombie) process.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	if runtime.GOOS == "linux" {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err == nil {
			// state is the field after the parenthesised command name
			if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				return false
			}
		}
	}
	return true
}

// processesRunning lists the pids whose executable is exe (Linux only; nil elsewhere).
func processesRunning(exe string) map[int]bool {
	if runtime.GOOS != "linux" {
		return nil
	}
	want, err := filepath.EvalSymlinks(exe)
	if err != nil {
		want = exe
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := map[int]bool{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		got, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil {
			continue
		}
		if strings.TrimSuffix(got, " (deleted)") == want && processAlive(pid) {
			out[pid] = true
		}
	}
	return out
}
