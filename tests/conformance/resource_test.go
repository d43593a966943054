package conformance

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// grafanaResourceHeaders are headers Grafana forwards on /api/datasources/uid/<uid>/resources/...
func grafanaResourceHeaders(contentType string) map[string][]string {
	h := map[string][]string{
		"Accept":            {"application/json, text/plain, */*"},
		"User-Agent":        {"Mozilla/5.0 (conformance)"},
		"X-Grafana-Org-Id":  {"1"},
		"X-Grafana-Device":  {"conformance"},
		"Accept-Encoding":   {"gzip, deflate"},
		"X-Datasource-Uid":  {"conformance"},
		"X-Plugin-Id":       {pluginID},
		"X-Grafana-Referer": {"http://localhost:3000/explore"},
	}
	if contentType != "" {
		h["Content-Type"] = []string{contentType}
	}
	return h
}

// TestCallResource covers every resource the module answers, through the resource stream.
func TestCallResource(t *testing.T) {
	p := sharedPlugin(t)
	d := newDatasource("Resources", map[string]any{"seriesPrefix": "res", "nested": map[string]any{"a": []any{1.0, "two"}}})
	d.updatedMS = 1767225654321

	t.Run("GET scenarios", func(t *testing.T) {
		r := callResource(t, p, d, "GET", "scenarios", grafanaResourceHeaders(""), nil)
		if r.code != 200 {
			t.Errorf("code = %d, want 200", r.code)
		}
		if ct := r.header("content-type"); ct != "application/json" {
			t.Errorf("content-type = %q, want application/json", ct)
		}
		if !jsonEqual(r.body, []byte(`["random_walk","sine","all_types","error"]`)) {
			t.Errorf("body = %s", r.body)
		}
	})

	t.Run("GET settings", func(t *testing.T) {
		r := callResource(t, p, d, "GET", "settings", grafanaResourceHeaders(""), nil)
		if r.code != 200 {
			t.Errorf("code = %d, want 200", r.code)
		}
		if ct := r.header("content-type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("content-type = %q, want application/json", ct)
		}
		want, _ := json.Marshal(map[string]any{
			"uid": d.uid, "name": d.name, "jsonData": d.jsonData, "updatedMs": d.updatedMS,
		})
		if !jsonEqual(r.body, want) {
			t.Errorf("body = %s\nwant   %s", r.body, want)
		}
	})

	t.Run("POST echo", func(t *testing.T) {
		body := []byte("héllo, resources\x00\x01 binary too")
		r := callResource(t, p, d, "POST", "echo", grafanaResourceHeaders("text/plain; charset=utf-8"), body)
		if r.code != 200 {
			t.Errorf("code = %d, want 200", r.code)
		}
		if ct := r.header("content-type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("content-type = %q, want the request's text/plain; charset=utf-8", ct)
		}
		if !bytes.Equal(r.body, body) {
			t.Errorf("body = %q, want %q", r.body, body)
		}
	})

	t.Run("POST echo 6 MiB", func(t *testing.T) {
		// Bigger than gRPC's 4 MiB default in both directions; Grafana forwards whole bodies.
		body := bytes.Repeat([]byte("0123456789abcdef"), (6<<20)/16)
		r := callResource(t, p, d, "POST", "echo", grafanaResourceHeaders("application/octet-stream"), body)
		if r.code != 200 {
			t.Errorf("code = %d, want 200", r.code)
		}
		if !bytes.Equal(r.body, body) {
			t.Errorf("body: %d bytes back, want the %d sent", len(r.body), len(body))
		}
		t.Logf("%d response messages", r.messages)
	})

	t.Run("unknown", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{{"GET", "nope"}, {"DELETE", "scenarios"}, {"GET", "echo"}} {
			r := callResource(t, p, d, c.method, c.path, grafanaResourceHeaders(""), nil)
			if r.code != 404 {
				t.Errorf("%s %s: code = %d, want 404", c.method, c.path, r.code)
			}
			want, _ := json.Marshal(map[string]string{"error": "no resource " + c.path})
			if !jsonEqual(r.body, want) {
				t.Errorf("%s %s: body = %s, want %s", c.method, c.path, r.body, want)
			}
		}
	})
}
