package main

// The scenarios. Each takes one plugin (a target), runs in processes of its own, and records
// what it measured into the results under a figure key, one value per round.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

// callTimeout bounds every unary call.
const callTimeout = 120 * time.Second

// streamSetupLimit bounds the time to subscribe and start all streams.
const streamSetupLimit = 120 * time.Second

// query sends req and returns the wall time from sending to having the whole response
// (protobuf-decoded by grpc-go, as Grafana receives it); it fails on a transport error or any
// per-query error.
func query(p *proc, req *pluginv2.QueryDataRequest) (time.Duration, *pluginv2.QueryDataResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	start := time.Now()
	resp, err := p.data.QueryData(ctx, req)
	elapsed := time.Since(start)
	if err != nil {
		return elapsed, nil, fmt.Errorf("%s: QueryData: %w", p.kind, err)
	}
	for _, q := range req.Queries {
		dr := resp.Responses[q.RefId]
		if dr == nil {
			return elapsed, nil, fmt.Errorf("%s: no DataResponse for refId %s", p.kind, q.RefId)
		}
		if dr.Error != "" {
			return elapsed, nil, fmt.Errorf("%s: refId %s: %s", p.kind, q.RefId, dr.Error)
		}
	}
	return elapsed, resp, nil
}

// verify decodes a response as Grafana does (data.UnmarshalArrowFrames), checks its shape
// (series frames of `points` rows each, per query) and returns a digest of every time and
// value, so the driver can show that both plugins did the same work.
func verify(p *proc, req *pluginv2.QueryDataRequest, series, points int) (string, error) {
	_, resp, err := query(p, req)
	if err != nil {
		return "", err
	}
	var sum float64
	var first, last int64
	for _, q := range req.Queries {
		dr := resp.Responses[q.RefId]
		frames, err := data.UnmarshalArrowFrames(dr.Frames)
		if err != nil {
			return "", fmt.Errorf("%s: refId %s: decoding Arrow: %w", p.kind, q.RefId, err)
		}
		if len(frames) != series {
			return "", fmt.Errorf("%s: refId %s: %d frames, want %d", p.kind, q.RefId, len(frames), series)
		}
		for _, f := range frames {
			if f.Rows() != points || len(f.Fields) != 2 {
				return "", fmt.Errorf("%s: refId %s: frame %q has %d fields, %d rows; want 2, %d", p.kind, q.RefId, f.Name, len(f.Fields), f.Rows(), points)
			}
			for i := 0; i < points; i++ {
				t, ok1 := f.Fields[0].At(i).(time.Time)
				v, ok2 := f.Fields[1].At(i).(float64)
				if !ok1 || !ok2 {
					return "", fmt.Errorf("%s: refId %s: row %d is (%T, %T), want (time, float64)", p.kind, q.RefId, i, f.Fields[0].At(i), f.Fields[1].At(i))
				}
				if i == 0 {
					first = t.UnixMilli()
				}
				last = t.UnixMilli()
				sum += v
			}
		}
	}
	return fmt.Sprintf("times %d..%d, sum of values %.17g", first, last, sum), nil
}

// latencies sends req back to back for about d (at least minN times, at most maxN) after a
// short warm-up, and returns each request's latency in microseconds.
func latencies(p *proc, req *pluginv2.QueryDataRequest, d time.Duration, minN, maxN int) ([]float64, error) {
	for i := 0; i < 3; i++ {
		if _, _, err := query(p, req); err != nil {
			return nil, err
		}
	}
	var out []float64
	deadline := time.Now().Add(d)
	for len(out) < maxN && (len(out) < minN || time.Now().Before(deadline)) {
		dt, _, err := query(p, req)
		if err != nil {
			return nil, err
		}
		out = append(out, micros(dt))
	}
	return out, nil
}

// throughput runs `clients` goroutines sending req back to back on the one connection (as
// Grafana shares one connection per plugin) for d, and returns completed requests per second.
func throughput(p *proc, req *pluginv2.QueryDataRequest, clients int, d time.Duration) (float64, error) {
	var done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, _, err := query(p, req); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// startToFirstQuery launches the plugin and sends one 1 × 1,000-point query on a new
// datasource: the time from exec to the answer. The process is left running.
func startToFirstQuery(t target, module string, model map[string]any, extra map[string]any) (time.Duration, *proc, *pluginv2.DataResponse, error) {
	start := time.Now()
	p, err := launch(t)
	if err != nil {
		return 0, nil, nil, err
	}
	ds := newDatasource(1, "bench-start", module, extra)
	q := ds.walkQuery("A", 1, 1000)
	if model != nil {
		raw, _ := json.Marshal(model)
		q.JSON = raw
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, err := p.data.QueryData(ctx, ds.request(q))
	elapsed := time.Since(start)
	if err != nil {
		p.kill()
		return 0, nil, nil, fmt.Errorf("%s: first QueryData: %w\nplugin stderr (last lines):\n%s", t.kind, err, p.log.lastLines())
	}
	return elapsed, p, resp.Responses["A"], nil
}

// wipeCache empties Quarry's compiled-module cache (GF_PLUGIN_CACHE_DIR), so the next start is
// cold. The Go reference has no such cache.
func (b *bench) wipeCache(t target) error {
	if t.kind != quarry {
		return nil
	}
	if err := os.RemoveAll(b.cacheDir); err != nil {
		return err
	}
	return os.MkdirAll(b.cacheDir, 0o755)
}

// queryBundle: a cold start and a warm start to the first answered query, then in the warm
// process the latency of 1 × 1,000 points and of 20 × 1,000 points, throughput with 8 clients,
// and last (its memory stays) the latency of 1 × 1,000,000 points.
func (b *bench) queryBundle(t target) error {
	k := t.kind
	if err := b.wipeCache(t); err != nil {
		return err
	}
	cold, p, _, err := startToFirstQuery(t, "synthetic", nil, nil)
	if err != nil {
		return err
	}
	p.kill() // go-plugin drains stderr until the process is gone
	b.res.add(figStartCold, k, float64(cold)/float64(time.Millisecond))
	b.res.add(figCompilesCold, k, float64(p.log.compilesOf("synthetic")))

	warm, p, _, err := startToFirstQuery(t, "synthetic", nil, nil)
	if err != nil {
		return err
	}
	defer p.kill()
	b.res.add(figStartWarm, k, float64(warm)/float64(time.Millisecond))
	// counted at the end of the bundle, long after start-up
	defer func() { b.res.add(figCompilesWarm, k, float64(p.log.compilesOf("synthetic"))) }()

	ds := newDatasource(2, "bench-latency", "synthetic", nil)
	small := ds.request(ds.walkQuery("A", 1, 1000))
	if err := b.check("1 × 1,000", p, small, 1, 1000); err != nil {
		return err
	}
	linesBefore := p.log.lineCount()
	cpuBefore, err := cpuTicks(p.pid)
	if err != nil {
		return err
	}
	lat, err := latencies(p, small, b.cfg.sampleTime, 50, 200_000)
	if err != nil {
		return err
	}
	cpuAfter, err := cpuTicks(p.pid)
	if err != nil {
		return err
	}
	linesAfter := p.log.lineCount()
	// the 3 warm-up calls are in the CPU window too
	b.res.add(figCPUPerQuery, k, float64(cpuAfter-cpuBefore)/b.clkTck*1e6/float64(len(lat)+3))
	b.res.add(figQ1kP50, k, percentile(lat, 50))
	b.res.add(figQ1kP99, k, percentile(lat, 99))
	b.res.add(figLogLines, k, float64(linesAfter-linesBefore)/float64(len(lat)))
	b.res.samples(figQ1kP50, k, lat)

	var twenty []backend.DataQuery
	for i := 0; i < 20; i++ {
		twenty = append(twenty, ds.walkQuery(string(rune('A'+i)), 1, 1000))
	}
	many := ds.request(twenty...)
	if err := b.check("20 × 1,000", p, many, 1, 1000); err != nil {
		return err
	}
	lat, err = latencies(p, many, b.cfg.sampleTime, 20, 100_000)
	if err != nil {
		return err
	}
	b.res.add(figQ20, k, percentile(lat, 50))
	b.res.samples(figQ20, k, lat)

	cpuBefore, err = cpuTicks(p.pid)
	if err != nil {
		return err
	}
	rps, err := throughput(p, small, 8, b.cfg.throughputTime)
	if err != nil {
		return err
	}
	cpuAfter, err = cpuTicks(p.pid)
	if err != nil {
		return err
	}
	b.res.add(figRPS, k, rps)
	// The plugin's own cost per request: the client shares the cores, so requests/s alone
	// mixes the plugin's cost with the driver's and with other work on the machine.
	b.res.add(figCPUPerRPS, k, float64(cpuAfter-cpuBefore)/b.clkTck*1e6/(rps*b.cfg.throughputTime.Seconds()))

	big := ds.request(ds.walkQuery("A", 1, 1_000_000))
	if err := b.check("1 × 1,000,000", p, big, 1, 1_000_000); err != nil {
		return err
	}
	lat, err = latencies(p, big, 0, b.cfg.bigSamples, b.cfg.bigSamples)
	if err != nil {
		return err
	}
	b.res.add(figQ1M, k, percentile(lat, 50)/1000)
	b.res.samples(figQ1M, k, lat)
	return nil
}

// check verifies a response (frames, rows, values) once per process and remembers its digest.
func (b *bench) check(what string, p *proc, req *pluginv2.QueryDataRequest, series, points int) error {
	digest, err := verify(p, req, series, points)
	if err != nil {
		return fmt.Errorf("checking %s: %w", what, err)
	}
	b.res.digest(what, p.kind, digest)
	return nil
}

// idleRSS creates n datasource instances (n uids, one 1 × 1,000 query each) in a fresh
// process and returns the RSS after the first and the growth per further instance, in MiB.
func (b *bench) idleRSS(t target, n int) error {
	p, err := launch(t)
	if err != nil {
		return err
	}
	defer p.kill()
	var first int64
	for i := 0; i < n; i++ {
		ds := newDatasource(int64(100+i), fmt.Sprintf("bench-idle-%03d", i), "synthetic", nil)
		if _, _, err := query(p, ds.request(ds.walkQuery("A", 1, 1000))); err != nil {
			return err
		}
		if i == 0 {
			time.Sleep(b.cfg.settle)
			if first, err = rssKiB(p.pid); err != nil {
				return err
			}
		}
	}
	time.Sleep(b.cfg.settle)
	all, err := rssKiB(p.pid)
	if err != nil {
		return err
	}
	b.res.add(figRSSFirst, t.kind, float64(first)/1024)
	b.res.add(figRSSPer, t.kind, float64(all-first)/1024/float64(n-1))
	return nil
}

// streamPath is stream number i of a datasource: random_walk at 100 ms. Both plugins read the
// interval as a decimal number, so leading zeros make distinct channel paths (Grafana runs one
// RunStream per channel) with the same 10 Hz tick.
func streamPath(i int) string {
	return "random_walk/" + strings.Repeat("0", i) + "100"
}

// streams subscribes and runs nds × perDS streams at 10 Hz as Grafana Live would (Subscribe,
// then RunStream with the first subscriber's context), waits until every stream has sent its
// first packet, then measures the plugin's CPU time (user + system, all threads) over the
// window and the packets delivered.
func (b *bench) streams(t target, nds, perDS int, window time.Duration) error {
	p, err := launch(t)
	if err != nil {
		return err
	}
	defer p.kill()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var packets, started, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	setup := time.Now()
	for d := 0; d < nds; d++ {
		ds := newDatasource(int64(500+d), fmt.Sprintf("bench-stream-%02d", d), "synthetic", nil)
		if d > 0 {
			b.logf("  %s: %d streams set up in %.1fs, %d sent their first packet", t.kind, d*perDS, time.Since(setup).Seconds(), started.Load())
		}
		for s := 0; s < perDS; s++ {
			if time.Since(setup) > streamSetupLimit {
				return fmt.Errorf("%s: only %d of %d streams set up in %v", t.kind, d*perDS+s, nds*perDS, streamSetupLimit)
			}
			path := streamPath(s)
			sctx, scancel := context.WithTimeout(ctx, callTimeout)
			sub, err := p.stream.SubscribeStream(sctx, &pluginv2.SubscribeStreamRequest{PluginContext: ds.ctx, Path: path})
			scancel()
			if err != nil || sub.Status != pluginv2.SubscribeStreamResponse_OK {
				return fmt.Errorf("%s: SubscribeStream %s/%s: %v %v", t.kind, ds.uid, path, sub, err)
			}
			st, err := p.stream.RunStream(ctx, &pluginv2.RunStreamRequest{PluginContext: ds.ctx, Path: path})
			if err != nil {
				return fmt.Errorf("%s: RunStream %s/%s: %w", t.kind, ds.uid, path, err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					pkt, err := st.Recv()
					if err != nil {
						if ctx.Err() == nil {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, fmt.Errorf("%s/%s: %w", ds.uid, path, err))
						}
						return
					}
					if n == 0 {
						if !json.Valid(pkt.Data) {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, fmt.Errorf("%s/%s: packet is not JSON", ds.uid, path))
							return
						}
						started.Add(1)
					}
					packets.Add(1)
				}
			}()
		}
	}
	total := int64(nds * perDS)
	b.logf("  %s: %d streams set up in %.1fs", t.kind, total, time.Since(setup).Seconds())
	wait := time.Now().Add(60 * time.Second)
	for started.Load() < total && failed.Load() == 0 && time.Now().Before(wait) {
		time.Sleep(50 * time.Millisecond)
	}
	if failed.Load() > 0 || started.Load() < total {
		err, _ := firstErr.Load().(error)
		return fmt.Errorf("%s: %d of %d streams started, %d failed (first error: %v)", t.kind, started.Load(), total, failed.Load(), err)
	}
	time.Sleep(b.cfg.settle)
	c0, err := cpuTicks(p.pid)
	if err != nil {
		return err
	}
	n0, t0 := packets.Load(), time.Now()
	time.Sleep(window)
	c1, err := cpuTicks(p.pid)
	if err != nil {
		return err
	}
	n1, elapsed := packets.Load(), time.Since(t0)
	if failed.Load() > 0 {
		err, _ := firstErr.Load().(error)
		return fmt.Errorf("%s: %d streams failed during the window (first error: %v)", t.kind, failed.Load(), err)
	}
	cpu := float64(c1-c0) / b.clkTck
	b.res.add(figStreamCPU, t.kind, cpu)
	b.res.add(figStreamRate, t.kind, float64(n1-n0)/elapsed.Seconds())
	b.res.add(figStreamCores, t.kind, cpu/elapsed.Seconds()*100)
	return nil
}

// scriptRestart: for a Python or JavaScript module, a cold start (cache emptied) to the first
// answered query, stopped, then a warm start: the time to its first answer and the modules the
// warm process compiled (Quarry logs "compiled module" for each compilation). The module runs
// from a modules directory holding only itself, so the cold start compiles nothing else.
func (b *bench) scriptRestart(t target, module string) error {
	if err := b.wipeCache(t); err != nil {
		return err
	}
	dir, err := b.scriptModulesDir(module)
	if err != nil {
		return err
	}
	t.env = append(append([]string(nil), t.env...), "GF_PLUGIN_MODULES_DIR="+dir)
	// An endpoint on a closed loopback port: the module creates its instance (the cost that
	// matters here); the empty query model is answered with the module's own bad-request error.
	extra := map[string]any{"endpoint": "http://127.0.0.1:9", "timeout": 1}
	cold, p, dr, err := startToFirstQuery(t, module, map[string]any{}, extra)
	if err != nil {
		return err
	}
	p.kill()
	warm, p, dr, err := startToFirstQuery(t, module, map[string]any{}, extra)
	if err != nil {
		return err
	}
	p.kill()
	n := p.log.compilesOf(module)
	b.res.add(figScriptCold+module, t.kind, float64(cold)/float64(time.Millisecond))
	b.res.add(figScriptWarm+module, t.kind, float64(warm)/float64(time.Millisecond))
	b.res.add(figScriptCompiles+module, t.kind, float64(n))
	if dr != nil && dr.Error != "" {
		b.res.note(fmt.Sprintf("%s: the first query's answer (as expected, no metric named): %q", module, truncate(dr.Error, 160)))
	}
	return nil
}

// scriptModulesDir is <work>/scripts/<module>/ holding a copy of <module>.wasm.
func (b *bench) scriptModulesDir(module string) (string, error) {
	dir := filepath.Join(b.work, "scripts", module)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	raw, err := os.ReadFile(filepath.Join(b.scriptsDir, module+".wasm"))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, module+".wasm"), raw, 0o644); err != nil {
		return "", err
	}
	return dir, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// finite reports whether x is a number (not NaN or ±Inf).
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
