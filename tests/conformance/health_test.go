package conformance

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func checkHealth(t *testing.T, p *plugin, d *datasource) *pluginv2.CheckHealthResponse {
	t.Helper()
	resp, err := p.diagnostics.CheckHealth(ctx(t), &pluginv2.CheckHealthRequest{
		PluginContext: d.pluginContext(),
		Headers:       map[string]string{"http_X-Grafana-Org-Id": "1"},
	})
	if err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	// Grafana unmarshals jsonDetails into a map: anything but a JSON object fails the call.
	if len(resp.JsonDetails) > 0 {
		var details map[string]any
		if err := json.Unmarshal(resp.JsonDetails, &details); err != nil {
			t.Errorf("CheckHealth: jsonDetails %q is not a JSON object: %v", resp.JsonDetails, err)
		}
	}
	res := backend.FromProto().CheckHealthResponse(resp)
	t.Logf("CheckHealth: status %v, message %q, details %s", res.Status, res.Message, res.JSONDetails)
	return resp
}

// TestCheckHealth covers the OK path and both error paths with their messages.
func TestCheckHealth(t *testing.T) {
	p := sharedPlugin(t)
	cases := []struct {
		name     string
		jsonData map[string]any
		status   pluginv2.CheckHealthResponse_HealthStatus
		message  string
		exact    bool
	}{
		{"ok", nil, pluginv2.CheckHealthResponse_OK, "synthetic module ready: 4 scenarios", true},
		{"healthFail", map[string]any{"healthFail": true}, pluginv2.CheckHealthResponse_ERROR, "health failure requested by settings", true},
		{"failCreate", map[string]any{"failCreate": true}, pluginv2.CheckHealthResponse_ERROR, "instance creation failure requested by settings", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := checkHealth(t, p, newDatasource("Health "+c.name, c.jsonData))
			if resp.Status != c.status {
				t.Errorf("status = %v, want %v (message %q)", resp.Status, c.status, resp.Message)
			}
			if c.exact && resp.Message != c.message {
				t.Errorf("message = %q, want %q", resp.Message, c.message)
			}
			if !c.exact && !strings.Contains(resp.Message, c.message) {
				t.Errorf("message = %q, want it to contain %q", resp.Message, c.message)
			}
		})
	}
}

// TestInstanceCreationFailure: a datasource whose instance cannot be created answers QueryData
// with that error, either per query (the refIds carrying it) or as a whole-request error, as the
// Go SDK's instance manager does; and the plugin keeps serving other datasources.
func TestInstanceCreationFailure(t *testing.T) {
	p := sharedPlugin(t)
	const msg = "instance creation failure requested by settings"
	d := newDatasource("Fail create", map[string]any{"failCreate": true})
	req := d.queryRequest(backend.DataFrameFormat_ARROW,
		d.query("A", 1000, 0, map[string]any{"scenario": "random_walk"}),
		d.query("B", 1000, 0, map[string]any{"scenario": "all_types"}))
	resp, err := p.data.QueryData(ctx(t), req)
	switch {
	case err != nil:
		t.Logf("whole-request error: %v", err)
		if !strings.Contains(err.Error(), msg) {
			t.Errorf("QueryData error = %v, want it to contain %q", err, msg)
		}
	default:
		carrying := 0
		for refID, dr := range resp.Responses {
			t.Logf("refId %s: status %d, source %q, error %q", refID, dr.Status, dr.ErrorSource, dr.Error)
			if dr.Error == "" {
				t.Errorf("refId %s: answered without error by a datasource whose instance creation fails", refID)
				continue
			}
			if !strings.Contains(dr.Error, msg) {
				t.Errorf("refId %s: error = %q, want it to contain %q", refID, dr.Error, msg)
			}
			carrying++
		}
		if carrying == 0 {
			t.Errorf("no DataResponse carries the creation error: %v", resp.Responses)
		}
		if _, err := backend.FromProto().QueryDataResponse(resp); err != nil {
			t.Errorf("Grafana's decoder rejects the response: %v", err)
		}
	}
	if resp := checkHealth(t, p, newDatasource("After fail create", nil)); resp.Status != pluginv2.CheckHealthResponse_OK {
		t.Errorf("another datasource's health after a failed creation: %v %q", resp.Status, resp.Message)
	}
}

// TestCollectMetrics: the payload parses as Prometheus text exposition format.
func TestCollectMetrics(t *testing.T) {
	p := sharedPlugin(t)
	d := newDatasource("Metrics", nil)
	queryData(t, p, d.queryRequest(backend.DataFrameFormat_ARROW, d.query("A", 60_000, 0, map[string]any{})))
	resp, err := p.diagnostics.CollectMetrics(ctx(t), &pluginv2.CollectMetricsRequest{PluginContext: d.pluginContext()})
	if err != nil {
		t.Fatalf("CollectMetrics: %v", err)
	}
	text := resp.GetMetrics().GetPrometheus()
	if len(text) == 0 {
		t.Fatalf("CollectMetrics: empty Prometheus payload")
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("CollectMetrics payload is not Prometheus text: %v\n%s", err, text)
	}
	if len(families) == 0 {
		t.Fatalf("CollectMetrics: no metric families in\n%s", text)
	}
	t.Logf("%d metric families, %d bytes", len(families), len(text))

	if !quarryOnly(t, "quarry_* metric names and their endpoint/module labels") {
		return
	}
	for _, name := range []string{"quarry_requests_total", "quarry_request_errors_total", "quarry_request_duration_seconds", "quarry_active_instances"} {
		if families[name] == nil {
			t.Errorf("metric family %s missing; families: %v", name, familyNames(families))
		}
	}
	if f := families["quarry_requests_total"]; f != nil {
		if !hasSample(f, map[string]string{"endpoint": "queryData", "module": "synthetic"}) {
			t.Errorf("quarry_requests_total has no sample {endpoint=\"queryData\",module=\"synthetic\"} >= 1 after a query:\n%s", text)
		}
	}
}

func familyNames(fs map[string]*dto.MetricFamily) []string {
	var out []string
	for n := range fs {
		out = append(out, n)
	}
	return out
}

// hasSample reports whether f has a sample with these labels and a value of at least 1.
func hasSample(f *dto.MetricFamily, labels map[string]string) bool {
	for _, m := range f.GetMetric() {
		match := 0
		for _, lp := range m.GetLabel() {
			if v, ok := labels[lp.GetName()]; ok && v == lp.GetValue() {
				match++
			}
		}
		if match == len(labels) && (m.GetCounter().GetValue() >= 1 || m.GetUntyped().GetValue() >= 1 || m.GetGauge().GetValue() >= 1) {
			return true
		}
	}
	return false
}
