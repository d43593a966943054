package conformance

// Benchmarks of the same calls against whichever plugin QUARRY_PLUGIN_EXE names, so Quarry and
// the Go reference can be compared:
//
//	QUARRY_PLUGIN_EXE=... go test -run '^$' -bench . -benchtime 2s

import (
	"errors"
	"io"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

func benchQuery(b *testing.B, model map[string]any, intervalMS int64) {
	p := sharedPlugin(b)
	d := newDatasource("Bench", nil)
	req := d.queryRequest(backend.DataFrameFormat_ARROW, d.query("A", intervalMS, 0, model))
	c := ctx(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := p.data.QueryData(c, req)
		if err != nil {
			b.Fatal(err)
		}
		dr := resp.Responses["A"]
		if dr == nil || dr.Error != "" {
			b.Fatalf("response: %v", dr)
		}
		if _, err := data.UnmarshalArrowFrames(dr.Frames); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryRandomWalkSmall: one series of 11 points (per-call overhead).
func BenchmarkQueryRandomWalkSmall(b *testing.B) {
	benchQuery(b, map[string]any{"scenario": "random_walk"}, 60_000)
}

// BenchmarkQueryRandomWalkLarge: 10 series of 10 001 points.
func BenchmarkQueryRandomWalkLarge(b *testing.B) {
	benchQuery(b, map[string]any{"scenario": "random_walk", "seriesCount": 10}, 60)
}

// BenchmarkQueryAllTypes: every field type.
func BenchmarkQueryAllTypes(b *testing.B) {
	benchQuery(b, map[string]any{"scenario": "all_types"}, 1000)
}

// BenchmarkCheckHealth: the cheapest module call.
func BenchmarkCheckHealth(b *testing.B) {
	p := sharedPlugin(b)
	d := newDatasource("Bench health", nil)
	req := &pluginv2.CheckHealthRequest{PluginContext: d.pluginContext()}
	c := ctx(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := p.diagnostics.CheckHealth(c, req)
		if err != nil || resp.Status != pluginv2.CheckHealthResponse_OK {
			b.Fatalf("%v %v", resp, err)
		}
	}
}

// BenchmarkCallResourceEcho: a 64 KiB body through the resource stream.
func BenchmarkCallResourceEcho(b *testing.B) {
	p := sharedPlugin(b)
	d := newDatasource("Bench resource", nil)
	body := make([]byte, 64<<10)
	req := backend.ToProto().CallResourceRequest(&backend.CallResourceRequest{
		PluginContext: d.backendContext(), Path: "echo", Method: "POST", URL: "echo",
		Headers: map[string][]string{"Content-Type": {"application/octet-stream"}}, Body: body,
	})
	c := ctx(b)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stream, err := p.resource.CallResource(c, req)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			msg, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(msg.Body)
		}
		if n != len(body) {
			b.Fatalf("echoed %d bytes, want %d", n, len(body))
		}
	}
}
