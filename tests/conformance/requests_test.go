package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/useragent"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

// datasource is one Grafana datasource using the plugin. Every datasource gets its own numeric
// id and uid (the Go SDK keys instances by id; Quarry by what it chooses), so tests sharing a
// plugin process never share an instance unless they mean to.
type datasource struct {
	id        int64
	uid       string
	name      string
	jsonData  map[string]any
	updatedMS int64
}

var dsSeq atomic.Int64

// newDatasource returns a datasource whose jsonData selects the synthetic module plus extra keys.
func newDatasource(name string, extra map[string]any) *datasource {
	id := 1000 + dsSeq.Add(1)
	jd := map[string]any{"module": "synthetic"}
	for k, v := range extra {
		jd[k] = v
	}
	return &datasource{
		id:        id,
		uid:       fmt.Sprintf("conf-%s-%d", strings.ToLower(strings.ReplaceAll(name, " ", "-")), id),
		name:      name,
		jsonData:  jd,
		updatedMS: 1767225600000, // 2026-01-01T00:00:00Z
	}
}

func (d *datasource) rawJSONData() json.RawMessage {
	raw, err := json.Marshal(d.jsonData)
	if err != nil {
		panic(err)
	}
	return raw
}

// grafanaConfig is the per-request config Grafana sends (pluginconfig/request.go), kept constant
// so that the Go SDK does not recreate instances because of it.
var grafanaConfig = map[string]string{
	"GF_SQL_MAX_OPEN_CONNS_DEFAULT":            "100",
	"GF_SQL_MAX_IDLE_CONNS_DEFAULT":            "100",
	"GF_SQL_MAX_CONN_LIFETIME_SECONDS_DEFAULT": "14400",
	"GF_CONCURRENT_QUERY_COUNT":                "10",
	"GF_APP_URL":                               "http://localhost:3000/",
}

// backendContext is the plugin context Grafana builds for a request on this datasource.
func (d *datasource) backendContext() backend.PluginContext {
	ua, err := useragent.New(grafanaVersion, runtime.GOOS, runtime.GOARCH)
	if err != nil {
		panic(err)
	}
	return backend.PluginContext{
		OrgID:         1,
		PluginID:      pluginID,
		PluginVersion: "0.1.0",
		User:          &backend.User{Login: "admin", Name: "Admin", Email: "admin@localhost", Role: "Admin"},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID:                      d.id,
			UID:                     d.uid,
			Type:                    pluginID,
			Name:                    d.name,
			JSONData:                d.rawJSONData(),
			DecryptedSecureJSONData: map[string]string{},
			Updated:                 time.UnixMilli(d.updatedMS),
		},
		GrafanaConfig: backend.NewGrafanaCfg(grafanaConfig),
		UserAgent:     ua,
		APIVersion:    "v0alpha1",
	}
}

func (d *datasource) pluginContext() *pluginv2.PluginContext {
	return backend.ToProto().PluginContext(d.backendContext())
}

// window is the fixed time range most queries use: 10 minutes from 2026-01-01T00:00:00Z.
var (
	windowFrom = time.UnixMilli(1767225600000).UTC()
	windowTo   = windowFrom.Add(10 * time.Minute)
)

// query builds a DataQuery the way Grafana does: the JSON model carries the panel's fields
// (refId, datasource, intervalMs, maxDataPoints) next to the plugin's own.
func (d *datasource) query(refID string, intervalMS, maxDataPoints int64, model map[string]any) backend.DataQuery {
	m := map[string]any{
		"refId":         refID,
		"datasource":    map[string]any{"type": pluginID, "uid": d.uid},
		"intervalMs":    intervalMS,
		"maxDataPoints": maxDataPoints,
	}
	for k, v := range model {
		m[k] = v
	}
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return backend.DataQuery{
		RefID:         refID,
		MaxDataPoints: maxDataPoints,
		Interval:      time.Duration(intervalMS) * time.Millisecond,
		TimeRange:     backend.TimeRange{From: windowFrom, To: windowTo},
		JSON:          raw,
	}
}

// queryRequest wraps queries into the protobuf request Grafana sends.
func (d *datasource) queryRequest(format backend.DataFrameFormat, queries ...backend.DataQuery) *pluginv2.QueryDataRequest {
	return backend.ToProto().QueryDataRequest(&backend.QueryDataRequest{
		PluginContext: d.backendContext(),
		Headers:       map[string]string{"http_X-Grafana-Org-Id": "1"},
		Queries:       queries,
		Format:        format,
	})
}

// decodeFrames decodes one DataResponse's frames by its format, as Grafana does: Arrow with
// data.UnmarshalArrowFrames, JSON with the frame JSON decoder.
func decodeFrames(dr *pluginv2.DataResponse) (data.Frames, error) {
	if dr == nil {
		return nil, errors.New("no DataResponse")
	}
	switch dr.Format {
	case pluginv2.DataFrameFormat_ARROW:
		return data.UnmarshalArrowFrames(dr.Frames)
	case pluginv2.DataFrameFormat_JSON:
		frames := make(data.Frames, 0, len(dr.Frames))
		for i, b := range dr.Frames {
			var f *data.Frame
			if err := json.Unmarshal(b, &f); err != nil {
				return nil, fmt.Errorf("frame %d: %w", i, err)
			}
			frames = append(frames, f)
		}
		return frames, nil
	default:
		return nil, fmt.Errorf("unknown frame format %v", dr.Format)
	}
}

// queryData sends req and checks what holds for every response: one DataResponse per refId
// and nothing else, and Grafana's own decoder (backend.FromProto) accepts the whole response.
func queryData(t testing.TB, p *plugin, req *pluginv2.QueryDataRequest) *pluginv2.QueryDataResponse {
	t.Helper()
	resp, err := p.data.QueryData(ctx(t), req)
	if err != nil {
		t.Fatalf("QueryData: %v", err)
	}
	want := map[string]bool{}
	for _, q := range req.Queries {
		want[q.RefId] = true
		if resp.Responses[q.RefId] == nil {
			t.Errorf("QueryData: no DataResponse for refId %q", q.RefId)
		}
	}
	for refID := range resp.Responses {
		if !want[refID] {
			t.Errorf("QueryData: DataResponse for refId %q, which was not asked for", refID)
		}
	}
	if _, err := backend.FromProto().QueryDataResponse(resp); err != nil {
		t.Errorf("Grafana's decoder (backend.FromProto().QueryDataResponse) rejects the response: %v", err)
	}
	return resp
}

// okFrames returns the decoded frames of a successful DataResponse.
func okFrames(t testing.TB, resp *pluginv2.QueryDataResponse, refID string, wantFormat pluginv2.DataFrameFormat) data.Frames {
	t.Helper()
	dr := resp.Responses[refID]
	if dr == nil {
		t.Fatalf("refId %s: no DataResponse", refID)
	}
	if dr.Error != "" {
		t.Fatalf("refId %s: unexpected error %q (status %d, source %q)", refID, dr.Error, dr.Status, dr.ErrorSource)
	}
	if dr.Status != 200 {
		t.Errorf("refId %s: status = %d, want 200", refID, dr.Status)
	}
	if dr.Format != wantFormat {
		t.Logf("refId %s: frames come as %v (asked for %v); decoding them by their format as Grafana does", refID, dr.Format, wantFormat)
		if dr.Format != pluginv2.DataFrameFormat_ARROW {
			t.Errorf("refId %s: format = %v: only ARROW is safe to answer when JSON is not asked for", refID, dr.Format)
		}
	}
	frames, err := decodeFrames(dr)
	if err != nil {
		t.Fatalf("refId %s: decoding %v frames: %v", refID, dr.Format, err)
	}
	return frames
}

// resourceResponse is a CallResource stream reassembled as Grafana does.
type resourceResponse struct {
	code     int
	headers  map[string][]string
	body     []byte
	messages int
}

func (r *resourceResponse) header(name string) string {
	for k, v := range r.headers {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// callResource sends a resource call and reads the whole response stream: the first message's
// code and headers count, every message's body is appended.
func callResource(t testing.TB, p *plugin, d *datasource, method, path string, headers map[string][]string, body []byte) *resourceResponse {
	t.Helper()
	req := backend.ToProto().CallResourceRequest(&backend.CallResourceRequest{
		PluginContext: d.backendContext(),
		Path:          path,
		Method:        method,
		URL:           path,
		Headers:       headers,
		Body:          body,
	})
	stream, err := p.resource.CallResource(ctx(t), req)
	if err != nil {
		t.Fatalf("CallResource %s %s: %v", method, path, err)
	}
	out := &resourceResponse{}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("CallResource %s %s: receiving message %d: %v", method, path, out.messages, err)
		}
		if out.messages == 0 {
			out.code = int(msg.Code)
			out.headers = map[string][]string{}
			for k, v := range msg.Headers {
				out.headers[k] = v.Values
			}
		}
		out.messages++
		out.body = append(out.body, msg.Body...)
	}
	if out.messages == 0 {
		t.Fatalf("CallResource %s %s: the stream carried no message (Grafana: \"received empty resource response\")", method, path)
	}
	return out
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return string(ca) == string(cb)
}
