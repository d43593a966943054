package conformance

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

// sineTolerance is the relative tolerance for sine values (the module's libm and Go's math.Sin
// may differ in the last bits).
const sineTolerance = 1e-9

// queryCase is one query of a request and what it must answer.
type queryCase struct {
	refID string
	query backend.DataQuery
	want  data.Frames // nil for an error case
	tol   float64
	// error cases: the status, error source and a substring of the message
	wantStatus int32
	wantSource string
	wantErr    string
}

// scenarioCases is a set of queries covering every scenario, the model defaults, the labels,
// the maxDataPoints cap, forced points, and the error paths, for datasource d (seriesPrefix
// prefix).
func scenarioCases(d *datasource, prefix string) []queryCase {
	var cases []queryCase
	series := func(refID string, intervalMS, maxDP int64, m seriesModel, tol float64) {
		q := d.query(refID, intervalMS, maxDP, m.json())
		cases = append(cases, queryCase{refID: refID, query: q, want: expectSeries(prefix, refID, q, m), tol: tol})
	}
	fail := func(refID string, q backend.DataQuery, msg string) {
		cases = append(cases, queryCase{refID: refID, query: q, wantStatus: 400, wantSource: "plugin", wantErr: msg})
	}

	walkModel := defaultSeries("random_walk")
	walkModel.seriesCount = 3
	walkModel.seed = 42
	walkModel.startValue = 10
	walkModel.spread = 2.5
	walkModel.labels = map[string]string{"env": "conformance", "region": "eu-west"}
	series("A", 15_000, 1000, walkModel, 0) // 41 points

	sineModel := defaultSeries("sine")
	sineModel.seriesCount = 2
	sineModel.amplitude = 5
	sineModel.periodSeconds = 120
	series("B", 10_000, 20, sineModel, sineTolerance) // 61 points capped to 20

	cases = append(cases, queryCase{refID: "C", query: d.query("C", 1000, 100, map[string]any{"scenario": "all_types"}),
		want: data.Frames{expectAllTypes("C")}})

	fail("D", d.query("D", 1000, 100, map[string]any{"scenario": "error"}), "synthetic error requested")
	fail("E", d.query("E", 1000, 100, map[string]any{"scenario": "no_such_scenario"}), `unknown scenario "no_such_scenario"`)
	bad := d.query("F", 1000, 100, nil)
	bad.JSON = json.RawMessage(`{"scenario": "random_walk", "seriesCount": `)
	fail("F", bad, "")

	forced := defaultSeries("random_walk")
	five := int64(5)
	forced.points = &five
	series("G", 0, 2, forced, 0) // points beat maxDataPoints; step 1000 (intervalMs 0)

	series("H", 60_000, 0, defaultSeries("random_walk"), 0) // every default: seed 0, 11 points

	// Out-of-range numbers are refused, naming the field and the range.
	fail("I", d.query("I", 1000, 100, map[string]any{"scenario": "random_walk", "seriesCount": -1}),
		"seriesCount must be between 1 and 100, not -1")
	fail("J", d.query("J", 1000, 100, map[string]any{"scenario": "sine", "points": 0}),
		"points must be between 1 and 1000000, not 0")
	fail("K", d.query("K", 1000, 100, map[string]any{"scenario": "sine", "periodSeconds": 0}),
		"periodSeconds must be greater than 0, not 0")
	return cases
}

// checkCases checks every case's DataResponse.
func checkCases(t *testing.T, resp *pluginv2.QueryDataResponse, cases []queryCase, format pluginv2.DataFrameFormat) {
	t.Helper()
	for _, c := range cases {
		if c.want != nil {
			frames := okFrames(t, resp, c.refID, format)
			compareFrameLists(t, "refId "+c.refID, frames, c.want, cmpOpts{tol: c.tol})
			continue
		}
		dr := resp.Responses[c.refID]
		if dr == nil {
			continue // reported by queryData
		}
		if dr.Error == "" {
			t.Errorf("refId %s: no error, want one containing %q", c.refID, c.wantErr)
			continue
		}
		if !strings.Contains(dr.Error, c.wantErr) {
			t.Errorf("refId %s: error = %q, want it to contain %q", c.refID, dr.Error, c.wantErr)
		}
		if dr.Status != c.wantStatus {
			t.Errorf("refId %s: status = %d, want %d (error %q)", c.refID, dr.Status, c.wantStatus, dr.Error)
		}
		if dr.ErrorSource != c.wantSource {
			t.Errorf("refId %s: errorSource = %q, want %q", c.refID, dr.ErrorSource, c.wantSource)
		}
		if _, err := decodeFrames(dr); err != nil {
			t.Errorf("refId %s: error response's frames do not decode: %v", c.refID, err)
		}
	}
}

// TestQueryDataScenarios sends one QueryData request with eleven queries (every scenario and
// error path) and compares every frame, decoded by data.UnmarshalArrowFrames, field by field.
func TestQueryDataScenarios(t *testing.T) {
	p := sharedPlugin(t)
	d := newDatasource("Scenarios", map[string]any{"seriesPrefix": "conf"})
	cases := scenarioCases(d, "conf")
	var queries []backend.DataQuery
	for _, c := range cases {
		queries = append(queries, c.query)
	}
	resp := queryData(t, p, d.queryRequest(backend.DataFrameFormat_ARROW, queries...))
	for refID, dr := range resp.Responses {
		if dr.Format != pluginv2.DataFrameFormat_ARROW {
			t.Errorf("refId %s: format = %v for an ARROW request", refID, dr.Format)
		}
	}
	checkCases(t, resp, cases, pluginv2.DataFrameFormat_ARROW)
}

// TestQueryDataDefaultPrefix checks the default seriesPrefix and that unknown jsonData keys are
// ignored.
func TestQueryDataDefaultPrefix(t *testing.T) {
	p := sharedPlugin(t)
	d := newDatasource("Default prefix", map[string]any{"someOtherKey": []int{1, 2}})
	m := defaultSeries("sine")
	m.seriesCount = 4
	q := d.query("A", 30_000, 0, m.json())
	resp := queryData(t, p, d.queryRequest(backend.DataFrameFormat_ARROW, q))
	compareFrameLists(t, "refId A", okFrames(t, resp, "A", pluginv2.DataFrameFormat_ARROW), expectSeries("series", "A", q, m), cmpOpts{tol: sineTolerance})
}

// TestQueryDataJSONFormat asks for JSON frames (newer Grafana may); the plugin may answer JSON or
// ARROW, and Grafana decodes by the response's format, so the frames must be the same either way.
func TestQueryDataJSONFormat(t *testing.T) {
	p := sharedPlugin(t)
	d := newDatasource("JSON format", map[string]any{"seriesPrefix": "js"})
	cases := scenarioCases(d, "js")
	var queries []backend.DataQuery
	for _, c := range cases {
		queries = append(queries, c.query)
	}
	resp := queryData(t, p, d.queryRequest(backend.DataFrameFormat_JSON, queries...))
	formats := map[pluginv2.DataFrameFormat]int{}
	for refID, dr := range resp.Responses {
		formats[dr.Format]++
		if dr.Format == pluginv2.DataFrameFormat_ARROW && len(dr.Frames) > 0 {
			t.Logf("refId %s: JSON asked, ARROW answered (allowed: Grafana decodes by the response's format)", refID)
		}
	}
	t.Logf("response formats: %v", formats)
	if formats[pluginv2.DataFrameFormat_JSON] > 0 {
		t.Logf("NOTE: frame JSON cannot tell a json cell holding null from a null cell (the Go SDK's codec loses it too); either is accepted there")
	}
	for _, c := range cases {
		if c.want == nil {
			continue
		}
		dr := resp.Responses[c.refID]
		if dr == nil || dr.Error != "" {
			t.Errorf("refId %s: no frames (%v)", c.refID, dr)
			continue
		}
		frames, err := decodeFrames(dr)
		if err != nil {
			t.Errorf("refId %s: decoding %v frames: %v", c.refID, dr.Format, err)
			continue
		}
		compareFrameLists(t, "refId "+c.refID, frames, c.want, cmpOpts{tol: c.tol, frameJSON: dr.Format == pluginv2.DataFrameFormat_JSON})
	}
}

// TestQueryDataLargeRequest sends a query whose JSON model carries a 5 MiB padding string:
// more than gRPC's 4 MiB default receive limit, which Grafana's client (MaxInt32) happily sends.
func TestQueryDataLargeRequest(t *testing.T) {
	p := sharedPlugin(t)
	d := newDatasource("Large request", map[string]any{"seriesPrefix": "big"})
	m := defaultSeries("random_walk")
	m.seed = 7
	model := m.json()
	model["padding"] = strings.Repeat("grafana ", (5<<20)/8)
	q := d.query("A", 15_000, 1000, model)
	if len(q.JSON) <= 4<<20 {
		t.Fatalf("the query model is only %d bytes", len(q.JSON))
	}
	resp := queryData(t, p, d.queryRequest(backend.DataFrameFormat_ARROW, q))
	compareFrameLists(t, "refId A", okFrames(t, resp, "A", pluginv2.DataFrameFormat_ARROW), expectSeries("big", "A", q, m), cmpOpts{})
}

// TestQueryDataLargeResponse asks for a response bigger than 4 MiB (Grafana's client accepts
// up to MaxInt32): 8 series of 40 001 points.
func TestQueryDataLargeResponse(t *testing.T) {
	p := sharedPlugin(t)
	d := newDatasource("Large response", map[string]any{"seriesPrefix": "wide"})
	m := defaultSeries("random_walk")
	m.seriesCount = 8
	m.seed = 99
	q := d.query("A", 15, 0, m.json()) // 600 000 ms / 15 ms + 1 = 40 001 points
	resp := queryData(t, p, d.queryRequest(backend.DataFrameFormat_ARROW, q))
	size := 0
	for _, b := range resp.Responses["A"].GetFrames() {
		size += len(b)
	}
	t.Logf("response frames: %d bytes", size)
	compareFrameLists(t, "refId A", okFrames(t, resp, "A", pluginv2.DataFrameFormat_ARROW), expectSeries("wide", "A", q, m), cmpOpts{})
}

// TestQueryDataConcurrent sends requests concurrently on the one connection, as Grafana does.
func TestQueryDataConcurrent(t *testing.T) {
	p := sharedPlugin(t)
	d := newDatasource("Concurrent", map[string]any{"seriesPrefix": "cc"})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			m := defaultSeries("random_walk")
			m.seed = uint64(i)
			q := d.query("A", 1000, 0, m.json())
			resp, err := p.data.QueryData(ctx(t), d.queryRequest(backend.DataFrameFormat_ARROW, q,
				d.query("B", 1000, 0, map[string]any{"scenario": "all_types"})))
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			for refID, want := range map[string]data.Frames{"A": expectSeries("cc", "A", q, m), "B": {expectAllTypes("B")}} {
				frames, err := decodeFrames(resp.Responses[refID])
				if err != nil {
					t.Errorf("request %d refId %s: %v", i, refID, err)
					continue
				}
				compareFrameLists(t, "concurrent request refId "+refID, frames, want, cmpOpts{})
			}
		}(i)
	}
	wg.Wait()
}
