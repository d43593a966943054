package conformance

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	goplugin "github.com/hashicorp/go-plugin"
)

// TestLaunchHandshakeKill launches a fresh process through go-plugin's client exactly as
// Grafana does, checks the negotiated protocol, serves a call, and stops it with Kill (which
// sends GRPCController/Shutdown): the process must exit by itself within go-plugin's 2 s grace
// and leave no process behind.
func TestLaunchHandshakeKill(t *testing.T) {
	exe := pluginExe(t)
	before := processesRunning(exe)
	started := time.Now()
	p, err := launch(t)
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	t.Logf("handshake done in %v, pid %d", time.Since(started), p.pid)
	killed := false
	defer func() {
		if !killed {
			p.client.Kill()
		}
	}()
	if v := p.client.NegotiatedVersion(); v != 2 {
		t.Errorf("negotiated protocol version = %d, want 2", v)
	}
	if proto := p.client.Protocol(); proto != goplugin.ProtocolGRPC {
		t.Errorf("protocol = %q, want grpc", proto)
	}
	if p.pid <= 0 || !processAlive(p.pid) {
		t.Fatalf("plugin pid %d is not running after the handshake", p.pid)
	}
	if rc := p.client.ReattachConfig(); rc != nil && rc.Addr != nil {
		t.Logf("plugin listens on %s %s", rc.Addr.Network(), rc.Addr.String())
		if runtime.GOOS != "windows" && rc.Addr.Network() != "unix" {
			t.Logf("NOTE: Go plugins listen on a unix socket on this OS; this one uses %s", rc.Addr.Network())
		}
	}
	rpc, err := p.client.Client()
	if err != nil {
		t.Fatalf("Client: %v", err)
	}
	if err := rpc.Ping(); err != nil {
		t.Logf("NOTE: go-plugin Ping (grpc.health.v1 \"plugin\"), which Grafana does not call, fails: %v", err)
	}

	d := newDatasource("Lifecycle", nil)
	resp := checkHealth(t, p, d)
	if resp.Status != pluginv2.CheckHealthResponse_OK {
		t.Errorf("CheckHealth: %v %q", resp.Status, resp.Message)
	}
	queryData(t, p, d.queryRequest(backend.DataFrameFormat_ARROW, d.query("A", 60_000, 0, map[string]any{})))

	killStart := time.Now()
	p.client.Kill()
	killed = true
	took := time.Since(killStart)
	t.Logf("Kill took %v", took)
	if !p.client.Exited() {
		t.Errorf("go-plugin reports the process has not exited after Kill")
	}
	if strings.Contains(p.hostLog.String(), "plugin failed to exit gracefully") {
		t.Errorf("the plugin did not exit within 2 s of GRPCController/Shutdown; go-plugin had to SIGKILL it (Kill took %v)", took)
	}
	deadline := time.Now().Add(3 * time.Second)
	for processAlive(p.pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if processAlive(p.pid) {
		t.Errorf("pid %d still alive after Kill", p.pid)
	}
	if before != nil {
		for pid := range processesRunning(exe) {
			if !before[pid] {
				t.Errorf("leftover process %d still runs %s after Kill", pid, exe)
			}
		}
	}

	checkLogLines(t, p.stderr.lines())
}

// goPluginTimestamp is the only @timestamp layout go-plugin's log parser accepts.
const goPluginTimestamp = "2006-01-02T15:04:05.000000Z07:00"

// checkLogLines: each stderr line is what go-plugin parses as a structured entry: a JSON
// object whose @level, @message and @timestamp (when present) are strings (anything else would
// panic Grafana's parser), with a level go-plugin knows and a timestamp in its layout.
func checkLogLines(t *testing.T, lines []string) {
	t.Helper()
	t.Logf("%d stderr lines", len(lines))
	for i, line := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("stderr line %d is not a JSON object (go-plugin logs it raw at debug): %q", i, line)
			continue
		}
		for _, key := range []string{"@level", "@message", "@timestamp"} {
			v, ok := entry[key]
			if !ok {
				if key != "@timestamp" {
					t.Errorf("stderr line %d has no %s: %q", i, key, line)
				}
				continue
			}
			s, isString := v.(string)
			if !isString {
				t.Errorf("stderr line %d: %s is %T, must be a string (go-plugin type-asserts it): %q", i, key, v, line)
				continue
			}
			switch key {
			case "@level":
				switch strings.ToLower(strings.TrimSpace(s)) {
				case "trace", "debug", "info", "warn", "error":
				default:
					t.Errorf("stderr line %d: @level %q is not one go-plugin knows: %q", i, s, line)
				}
			case "@timestamp":
				if _, err := time.Parse(goPluginTimestamp, s); err != nil {
					t.Errorf("stderr line %d: @timestamp %q is not in go-plugin's layout %s", i, s, goPluginTimestamp)
				}
			}
		}
	}
}

// TestSettingsChangeRecreatesInstance: when Grafana sends newer settings (lastUpdatedMS
// changed) for the same datasource, the instance is recreated with them.
func TestSettingsChangeRecreatesInstance(t *testing.T) {
	p := sharedPlugin(t)
	d := newDatasource("Settings change", map[string]any{"seriesPrefix": "alpha"})
	frameName := func(want string) {
		t.Helper()
		resp := queryData(t, p, d.queryRequest(backend.DataFrameFormat_ARROW, d.query("A", 60_000, 0, map[string]any{})))
		frames := okFrames(t, resp, "A", pluginv2.DataFrameFormat_ARROW)
		if len(frames) != 1 || frames[0].Name != want {
			names := []string{}
			for _, f := range frames {
				names = append(names, f.Name)
			}
			t.Errorf("frames %v, want one named %q", names, want)
		}
	}
	settingsUpdated := func(want int64) {
		t.Helper()
		r := callResource(t, p, d, "GET", "settings", nil, nil)
		var got struct {
			UpdatedMS int64          `json:"updatedMs"`
			JSONData  map[string]any `json:"jsonData"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatalf("settings resource: %v: %s", err, r.body)
		}
		if got.UpdatedMS != want {
			t.Errorf("settings resource updatedMs = %d, want %d", got.UpdatedMS, want)
		}
	}
	frameName("alpha-0")
	settingsUpdated(d.updatedMS)

	d.jsonData["seriesPrefix"] = "beta"
	d.updatedMS += 60_000
	frameName("beta-0")
	settingsUpdated(d.updatedMS)

	// Health follows the new settings too, in both directions.
	d.jsonData["healthFail"] = true
	d.updatedMS += 60_000
	if resp := checkHealth(t, p, d); resp.Status != pluginv2.CheckHealthResponse_ERROR {
		t.Errorf("after enabling healthFail: %v %q, want ERROR", resp.Status, resp.Message)
	}
	d.jsonData["healthFail"] = false
	d.jsonData["failCreate"] = true
	d.updatedMS += 60_000
	if resp := checkHealth(t, p, d); resp.Status != pluginv2.CheckHealthResponse_ERROR {
		t.Errorf("after enabling failCreate: %v %q, want ERROR", resp.Status, resp.Message)
	}
	d.jsonData["failCreate"] = false
	d.jsonData["seriesPrefix"] = "gamma"
	d.updatedMS += 60_000
	if resp := checkHealth(t, p, d); resp.Status != pluginv2.CheckHealthResponse_OK {
		t.Errorf("after disabling failCreate: %v %q, want OK", resp.Status, resp.Message)
	}
	frameName("gamma-0")

	// Same lastUpdatedMS, different jsonData: the Go SDK keeps the cached instance; either
	// behaviour is fine for Grafana (which always bumps lastUpdatedMS on save), so only log it.
	d.jsonData["seriesPrefix"] = "delta"
	resp := queryData(t, p, d.queryRequest(backend.DataFrameFormat_ARROW, d.query("A", 60_000, 0, map[string]any{})))
	if frames := okFrames(t, resp, "A", pluginv2.DataFrameFormat_ARROW); len(frames) == 1 {
		t.Logf("changed jsonData with an unchanged lastUpdatedMS answers frame %q (the Go SDK keeps the old instance: gamma-0)", frames[0].Name)
	}
}
