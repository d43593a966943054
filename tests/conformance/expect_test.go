package conformance

// The synthetic module's answers, computed here from modules/synthetic/README.md alone.

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// gamma is splitmix64's increment, 0x9E3779B97F4A7C15.
const gamma uint64 = 0x9E3779B97F4A7C15

// splitmix is the README's generator: next() adds gamma to the state and mixes it.
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += splitmix(gamma)
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// walk returns the first n values of the random walk of series i.
func walk(seed uint64, i int, start, spread float64, n int) []float64 {
	s := splitmix(seed + uint64(i)*gamma)
	out := make([]float64, n)
	v := start
	for k := range out {
		out[k] = v
		u := float64(s.next()>>11) / 9007199254740992.0 // 2^53
		step := float64((u - 0.5) * spread)             // rounded before the add, never fused
		v += step
	}
	return out
}

// axis returns the instants (ms) of a random_walk or sine query per the README's time-axis rules.
func axis(fromMS, toMS, intervalMS, maxDataPoints int64, points *int64) []int64 {
	step := int64(1000)
	if intervalMS > 0 {
		step = intervalMS
	}
	n := (toMS-fromMS)/step + 1
	if points != nil {
		n = *points
	} else if maxDataPoints > 0 && n > maxDataPoints {
		n = maxDataPoints
		step = (toMS - fromMS) / max(n-1, 1)
	}
	out := make([]int64, 0, n)
	for i := int64(0); i < n; i++ {
		out = append(out, fromMS+i*step)
	}
	return out
}

// seriesModel is the part of the query model random_walk and sine read (defaults applied).
type seriesModel struct {
	scenario      string
	seriesCount   int
	labels        map[string]string
	seed          uint64
	startValue    float64
	spread        float64
	amplitude     float64
	periodSeconds float64
	points        *int64
}

func defaultSeries(scenario string) seriesModel {
	return seriesModel{scenario: scenario, seriesCount: 1, spread: 1, amplitude: 1, periodSeconds: 60}
}

// json is the model as the panel's JSON keys (only the ones that differ from the defaults are
// still sent explicitly, which also exercises the defaults).
func (m seriesModel) json() map[string]any {
	out := map[string]any{"scenario": m.scenario}
	if m.seriesCount != 1 {
		out["seriesCount"] = m.seriesCount
	}
	if len(m.labels) > 0 {
		out["labels"] = m.labels
	}
	if m.seed != 0 {
		out["seed"] = m.seed
	}
	if m.startValue != 0 {
		out["startValue"] = m.startValue
	}
	if m.spread != 1 {
		out["spread"] = m.spread
	}
	if m.amplitude != 1 {
		out["amplitude"] = m.amplitude
	}
	if m.periodSeconds != 60 {
		out["periodSeconds"] = m.periodSeconds
	}
	if m.points != nil {
		out["points"] = *m.points
	}
	return out
}

// sineAt is amplitude * sin(2π * (t_ms / 1000) / periodSeconds + i * π / 4).
func sineAt(tMS int64, i int, amplitude, periodSeconds float64) float64 {
	return amplitude * math.Sin(2*math.Pi*(float64(tMS)/1000)/periodSeconds+float64(i)*math.Pi/4)
}

// expectSeries is what a random_walk or sine query answers: one frame per series.
func expectSeries(prefix, refID string, q backend.DataQuery, m seriesModel) data.Frames {
	times := axis(q.TimeRange.From.UnixMilli(), q.TimeRange.To.UnixMilli(), q.Interval.Milliseconds(), q.MaxDataPoints, m.points)
	var frames data.Frames
	for i := 0; i < m.seriesCount; i++ {
		name := fmt.Sprintf("%s-%d", prefix, i)
		ts := make([]time.Time, len(times))
		for k, t := range times {
			ts[k] = time.UnixMilli(t)
		}
		var values []float64
		if m.scenario == "sine" {
			values = make([]float64, len(times))
			for k, t := range times {
				values[k] = sineAt(t, i, m.amplitude, m.periodSeconds)
			}
		} else {
			values = walk(m.seed, i, m.startValue, m.spread, len(times))
		}
		labels := data.Labels{"series": strconv.Itoa(i)}
		for k, v := range m.labels {
			labels[k] = v
		}
		f := data.NewFrame(name,
			data.NewField("time", nil, ts),
			data.NewField("value", labels, values).SetConfig(&data.FieldConfig{DisplayName: name}),
		).SetMeta(mustMeta(`{"type":"timeseries-multi","typeVersion":[0,1]}`))
		f.RefID = refID
		frames = append(frames, f)
	}
	return frames
}

func mustMeta(js string) *data.FrameMeta {
	var m data.FrameMeta
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		panic(err)
	}
	return &m
}

func mustConfig(js string) *data.FieldConfig {
	var c data.FieldConfig
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		panic(err)
	}
	return &c
}

// expectAllTypes is the README's all_types table, written out literally.
func expectAllTypes(refID string) *data.Frame {
	ns := func(n int64) time.Time { return time.Unix(0, n) }
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	pt := func(t time.Time) *time.Time { return &t }
	p8 := func(v int8) *int8 { return &v }
	p16 := func(v int16) *int16 { return &v }
	p32 := func(v int32) *int32 { return &v }
	p64 := func(v int64) *int64 { return &v }
	pu8 := func(v uint8) *uint8 { return &v }
	pu16 := func(v uint16) *uint16 { return &v }
	pu32 := func(v uint32) *uint32 { return &v }
	pu64 := func(v uint64) *uint64 { return &v }
	pf32 := func(v float32) *float32 { return &v }
	pf64 := func(v float64) *float64 { return &v }
	pb := func(v bool) *bool { return &v }
	ps := func(v string) *string { return &v }
	pj := func(v json.RawMessage) *json.RawMessage { return &v }
	pe := func(v data.EnumItemIndex) *data.EnumItemIndex { return &v }

	floatLabels := data.Labels{"host": "a", "dc": "x"}
	floatConfig := `{"unit":"ms","displayName":"Float Sixty-Four","decimals":2,"min":-10,"max":10}`
	enumConfig := `{"type":{"enum":{"text":["low","mid","high"]}}}`

	f := data.NewFrame("all_types",
		data.NewField("time", nil, []time.Time{ns(1700000000000000000), ns(1700000000001000001), ns(1700000000002000002)}),
		data.NewField("nullable_time", nil, []*time.Time{pt(ns(1700000000000000000)), nil, pt(ns(1700000000002000002))}),
		data.NewField("int8", nil, []int8{-128, 0, 127}),
		data.NewField("nullable_int8", nil, []*int8{p8(-128), nil, p8(127)}),
		data.NewField("int16", nil, []int16{-32768, 0, 32767}),
		data.NewField("nullable_int16", nil, []*int16{p16(-32768), nil, p16(32767)}),
		data.NewField("int32", nil, []int32{math.MinInt32, 0, math.MaxInt32}),
		data.NewField("nullable_int32", nil, []*int32{p32(math.MinInt32), nil, p32(math.MaxInt32)}),
		data.NewField("int64", nil, []int64{math.MinInt64, 0, math.MaxInt64}),
		data.NewField("nullable_int64", nil, []*int64{p64(math.MinInt64), nil, p64(math.MaxInt64)}),
		data.NewField("uint8", nil, []uint8{0, 1, 255}),
		data.NewField("nullable_uint8", nil, []*uint8{pu8(0), nil, pu8(255)}),
		data.NewField("uint16", nil, []uint16{0, 1, 65535}),
		data.NewField("nullable_uint16", nil, []*uint16{pu16(0), nil, pu16(65535)}),
		data.NewField("uint32", nil, []uint32{0, 1, math.MaxUint32}),
		data.NewField("nullable_uint32", nil, []*uint32{pu32(0), nil, pu32(math.MaxUint32)}),
		data.NewField("uint64", nil, []uint64{0, 1, math.MaxUint64}),
		data.NewField("nullable_uint64", nil, []*uint64{pu64(0), nil, pu64(math.MaxUint64)}),
		data.NewField("float32", nil, []float32{-1.5, 0, 3.25}),
		data.NewField("nullable_float32", nil, []*float32{pf32(-1.5), nil, pf32(3.25)}),
		data.NewField("float64", floatLabels, []float64{-1.5, 0, 1e300}).SetConfig(mustConfig(floatConfig)),
		data.NewField("nullable_float64", floatLabels, []*float64{pf64(-1.5), nil, pf64(1e300)}).SetConfig(mustConfig(floatConfig)),
		data.NewField("bool", nil, []bool{true, false, true}),
		data.NewField("nullable_bool", nil, []*bool{pb(true), nil, pb(true)}),
		data.NewField("string", nil, []string{"a", "", "ünïcode"}),
		data.NewField("nullable_string", nil, []*string{ps("a"), nil, ps("ünïcode")}),
		data.NewField("json", nil, []json.RawMessage{raw(`{"a":1}`), raw(`[1,2]`), raw(`null`)}),
		data.NewField("nullable_json", nil, []*json.RawMessage{pj(raw(`{"a":1}`)), nil, pj(raw(`null`))}),
		data.NewField("enum", nil, []data.EnumItemIndex{0, 1, 2}).SetConfig(mustConfig(enumConfig)),
		data.NewField("nullable_enum", nil, []*data.EnumItemIndex{pe(0), nil, pe(2)}).SetConfig(mustConfig(enumConfig)),
	).SetMeta(mustMeta(`{"type":"table","typeVersion":[0,0],"executedQueryString":"all_types",` +
		`"custom":{"rows":3},"notices":[{"severity":"info","text":"synthetic all types"}]}`))
	f.RefID = refID
	return f
}

// TestExpectationsSelfCheck pins the Go expectations to independent known answers, so a wrong
// expectation cannot make Quarry and the reference agree on a wrong value. No plugin needed.
func TestExpectationsSelfCheck(t *testing.T) {
	// splitmix64 from state 0: the widely published first outputs.
	s := splitmix(0)
	for i, want := range []uint64{0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F} {
		if got := s.next(); got != want {
			t.Errorf("splitmix64(0) output %d = %#x, want %#x", i, got, want)
		}
	}
	// The walk starts at startValue and moves by at most spread/2 per point.
	w := walk(7, 2, 10, 4, 100)
	if w[0] != 10 {
		t.Errorf("walk[0] = %v, want the start value 10", w[0])
	}
	for k := 1; k < len(w); k++ {
		if d := math.Abs(w[k] - w[k-1]); d > 2 {
			t.Errorf("walk step %d = %v, more than spread/2", k, d)
		}
	}
	// README time-axis examples.
	if got := axis(0, 10_000, 0, 0, nil); len(got) != 11 || got[10] != 10_000 {
		t.Errorf("axis(0..10s, default step) = %v", got)
	}
	if got := axis(0, 60_000, 1000, 7, nil); len(got) != 7 || got[1] != 10_000 {
		t.Errorf("axis capped by maxDataPoints = %v", got)
	}
	five := int64(5)
	if got := axis(0, 60_000, 2000, 3, &five); len(got) != 5 || got[4] != 8000 {
		t.Errorf("axis with points = %v", got)
	}
	if got := sineAt(15_000, 0, 2, 60); math.Abs(got-2) > 1e-12 {
		t.Errorf("sine at a quarter period = %v, want 2", got)
	}
}
