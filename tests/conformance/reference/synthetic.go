package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// scenarios in the order `GET scenarios` lists them.
var scenarios = []string{"random_walk", "sine", "all_types", "error"}

// golden is splitmix64's increment.
const golden uint64 = 0x9E3779B97F4A7C15

// model is the query model (DataQuery.JSON); the fields are preset to their defaults before
// unmarshalling, and unknown keys (refId, datasource, ...) are ignored.
type model struct {
	Scenario      string            `json:"scenario"`
	SeriesCount   int64             `json:"seriesCount"`
	Labels        map[string]string `json:"labels"`
	Seed          uint64            `json:"seed"`
	StartValue    float64           `json:"startValue"`
	Spread        float64           `json:"spread"`
	Amplitude     float64           `json:"amplitude"`
	PeriodSeconds float64           `json:"periodSeconds"`
	Points        *int64            `json:"points"`
}

func (in *instance) query(q backend.DataQuery) (data.Frames, error) {
	m := model{Scenario: "random_walk", SeriesCount: 1, Spread: 1, Amplitude: 1, PeriodSeconds: 60}
	if err := json.Unmarshal(q.JSON, &m); err != nil {
		return nil, fmt.Errorf("invalid query model: %w", err)
	}
	switch m.Scenario {
	case "random_walk", "sine":
		if err := m.check(); err != nil {
			return nil, err
		}
		if n, step := axisSize(q, m.Points); n > maxPoints {
			return nil, fmt.Errorf("the time range holds %d points %d ms apart, more than %d: raise intervalMs, set maxDataPoints or set points", n, step, maxPoints)
		}
		return in.seriesFrames(q, m), nil
	case "all_types":
		return data.Frames{allTypesFrame()}, nil
	case "error":
		return nil, errors.New("synthetic error requested")
	default:
		return nil, fmt.Errorf("unknown scenario %q", m.Scenario)
	}
}

// maxSeries and maxPoints bound seriesCount and points (the host's default frame and row limits).
const (
	maxSeries = 100
	maxPoints = 1_000_000
)

// check refuses out-of-range numbers with the module's messages.
func (m model) check() error {
	if m.SeriesCount < 1 || m.SeriesCount > maxSeries {
		return fmt.Errorf("seriesCount must be between 1 and %d, not %d", maxSeries, m.SeriesCount)
	}
	if m.Points != nil && (*m.Points < 1 || *m.Points > maxPoints) {
		return fmt.Errorf("points must be between 1 and %d, not %d", maxPoints, *m.Points)
	}
	if !(m.PeriodSeconds > 0) {
		return fmt.Errorf("periodSeconds must be greater than 0, not %s", strconv.FormatFloat(m.PeriodSeconds, 'f', -1, 64))
	}
	return nil
}

// axisSize is the number of points and the step (ms) of timeAxis, without building it.
func axisSize(q backend.DataQuery, points *int64) (int64, int64) {
	from, to := q.TimeRange.From.UnixMilli(), q.TimeRange.To.UnixMilli()
	span := to - from
	step := q.Interval.Milliseconds()
	if step <= 0 {
		step = 1000
	}
	n := span/step + 1
	budgetStep := step
	if q.MaxDataPoints > 0 && n > q.MaxDataPoints {
		n = q.MaxDataPoints
		budgetStep = span / max(n-1, 1)
	}
	if points != nil {
		return *points, step
	}
	return n, budgetStep
}

// timeAxis applies the README's rules: the instants (ms) of a random_walk or sine series.
func timeAxis(q backend.DataQuery, points *int64) []int64 {
	from, to := q.TimeRange.From.UnixMilli(), q.TimeRange.To.UnixMilli()
	span := to - from
	step := q.Interval.Milliseconds()
	if step <= 0 {
		step = 1000
	}
	n := span/step + 1
	budgetStep := step
	if q.MaxDataPoints > 0 && n > q.MaxDataPoints {
		n = q.MaxDataPoints
		budgetStep = span / max(n-1, 1)
	}
	if points != nil {
		n = *points
	} else {
		step = budgetStep
	}
	if n < 0 {
		n = 0
	}
	times := make([]int64, n)
	for i := range times {
		times[i] = from + int64(i)*step
	}
	return times
}

func (in *instance) seriesFrames(q backend.DataQuery, m model) data.Frames {
	timesMS := timeAxis(q, m.Points)
	frames := data.Frames{}
	for i := int64(0); i < m.SeriesCount; i++ {
		name := fmt.Sprintf("%s-%d", in.cfg.SeriesPrefix, i)
		times := make([]time.Time, len(timesMS))
		values := make([]float64, len(timesMS))
		walk := newRandomWalk(m.Seed, uint64(i), m.StartValue, m.Spread)
		for k, t := range timesMS {
			times[k] = time.UnixMilli(t)
			if m.Scenario == "sine" {
				values[k] = sine(t, i, m.Amplitude, m.PeriodSeconds)
			} else {
				values[k] = walk.next()
			}
		}
		labels := data.Labels{"series": strconv.FormatInt(i, 10)}
		for k, v := range m.Labels {
			labels[k] = v
		}
		value := data.NewField("value", labels, values).SetConfig(&data.FieldConfig{DisplayName: name})
		frame := data.NewFrame(name, data.NewField("time", nil, times), value)
		frame.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
		frames = append(frames, frame)
	}
	return frames
}

// splitmix64 is the random walks' generator.
type splitmix64 struct{ state uint64 }

func (s *splitmix64) next() uint64 {
	s.state += golden
	z := s.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// unit is a uniform draw in [0, 1) from the top 53 bits.
func (s *splitmix64) unit() float64 {
	return float64(s.next()>>11) / (1 << 53)
}

// randomWalk yields start, then moves by (u - 0.5) * spread per point.
type randomWalk struct {
	rng    splitmix64
	value  float64
	spread float64
}

func newRandomWalk(seed, series uint64, start, spread float64) *randomWalk {
	return &randomWalk{rng: splitmix64{state: seed + series*golden}, value: start, spread: spread}
}

func (w *randomWalk) next() float64 {
	v := w.value
	// The explicit conversion keeps Go from fusing the multiply and the add (the module rounds
	// the product first).
	w.value = v + float64((w.rng.unit()-0.5)*w.spread)
	return v
}

// sine is amplitude * sin(2π * (t_ms / 1000) / periodSeconds + series * π / 4).
func sine(tMS, series int64, amplitude, periodSeconds float64) float64 {
	return amplitude * math.Sin(2*math.Pi*(float64(tMS)/1000)/periodSeconds+float64(series)*math.Pi/4)
}

// allTypesFrame is the all_types scenario: every field type, each followed by a nullable twin
// whose row 1 is null.
func allTypesFrame() *data.Frame {
	f := data.NewFrame("all_types")
	f.Meta = &data.FrameMeta{
		Type:                data.FrameTypeTable,
		TypeVersion:         data.FrameTypeVersion{0, 0},
		ExecutedQueryString: "all_types",
		Custom:              map[string]any{"rows": 3},
		Notices:             []data.Notice{{Severity: data.NoticeSeverityInfo, Text: "synthetic all types"}},
	}
	floatLabels := data.Labels{"host": "a", "dc": "x"}
	floatConfig := func() *data.FieldConfig {
		mn, mx := data.ConfFloat64(-10), data.ConfFloat64(10)
		decimals := uint16(2)
		return &data.FieldConfig{Unit: "ms", DisplayName: "Float Sixty-Four", Decimals: &decimals, Min: &mn, Max: &mx}
	}
	enumConfig := func() *data.FieldConfig {
		return &data.FieldConfig{TypeConfig: &data.FieldTypeConfig{Enum: &data.EnumFieldConfig{Text: []string{"low", "mid", "high"}}}}
	}
	add := func(name string, labels data.Labels, cfg func() *data.FieldConfig, values, nullable any) {
		plain, twin := data.NewField(name, labels, values), data.NewField("nullable_"+name, labels, nullable)
		if cfg != nil {
			plain.SetConfig(cfg())
			twin.SetConfig(cfg())
		}
		f.Fields = append(f.Fields, plain, twin)
	}
	t := []time.Time{time.Unix(0, 1700000000000000000), time.Unix(0, 1700000000001000001), time.Unix(0, 1700000000002000002)}
	add("time", nil, nil, t, nullable(t))
	add("int8", nil, nil, []int8{math.MinInt8, 0, math.MaxInt8}, nullable([]int8{math.MinInt8, 0, math.MaxInt8}))
	add("int16", nil, nil, []int16{math.MinInt16, 0, math.MaxInt16}, nullable([]int16{math.MinInt16, 0, math.MaxInt16}))
	add("int32", nil, nil, []int32{math.MinInt32, 0, math.MaxInt32}, nullable([]int32{math.MinInt32, 0, math.MaxInt32}))
	add("int64", nil, nil, []int64{math.MinInt64, 0, math.MaxInt64}, nullable([]int64{math.MinInt64, 0, math.MaxInt64}))
	add("uint8", nil, nil, []uint8{0, 1, math.MaxUint8}, nullable([]uint8{0, 1, math.MaxUint8}))
	add("uint16", nil, nil, []uint16{0, 1, math.MaxUint16}, nullable([]uint16{0, 1, math.MaxUint16}))
	add("uint32", nil, nil, []uint32{0, 1, math.MaxUint32}, nullable([]uint32{0, 1, math.MaxUint32}))
	add("uint64", nil, nil, []uint64{0, 1, math.MaxUint64}, nullable([]uint64{0, 1, math.MaxUint64}))
	add("float32", nil, nil, []float32{-1.5, 0, 3.25}, nullable([]float32{-1.5, 0, 3.25}))
	add("float64", floatLabels, floatConfig, []float64{-1.5, 0, 1e300}, nullable([]float64{-1.5, 0, 1e300}))
	add("bool", nil, nil, []bool{true, false, true}, nullable([]bool{true, false, true}))
	add("string", nil, nil, []string{"a", "", "ünïcode"}, nullable([]string{"a", "", "ünïcode"}))
	js := []json.RawMessage{json.RawMessage(`{"a":1}`), json.RawMessage(`[1,2]`), json.RawMessage(`null`)}
	add("json", nil, nil, js, nullable(js))
	enums := []data.EnumItemIndex{0, 1, 2}
	add("enum", nil, enumConfig, enums, nullable(enums))
	return f
}

// nullable returns pointers to vs with row 1 left nil.
func nullable[T any](vs []T) []*T {
	out := make([]*T, len(vs))
	for i := range vs {
		if i != 1 {
			v := vs[i]
			out[i] = &v
		}
	}
	return out
}
