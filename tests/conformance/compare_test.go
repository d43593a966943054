package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// maxRowReports caps the row mismatches reported per field.
const maxRowReports = 3

// cmpOpts tunes a comparison.
type cmpOpts struct {
	// tol is the relative tolerance for float64 values (0 = exactly equal).
	tol float64
	// frameJSON: the frames came as frame JSON, whose encoding cannot tell a JSON-typed cell
	// holding `null` from a null cell (the Go SDK's own encoder and decoder lose it too); accept
	// either for an expected `null` document.
	frameJSON bool
}

// compareFrames checks a decoded frame against the expected one field by field: frame name,
// refId and meta; per field name, type (which includes nullability), labels, config, length,
// and every row's null-ness and value.
func compareFrames(t testing.TB, where string, got, want *data.Frame, o cmpOpts) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: frame is nil", where)
		return
	}
	if got.Name != want.Name {
		t.Errorf("%s: frame name = %q, want %q", where, got.Name, want.Name)
	}
	if got.RefID != want.RefID {
		t.Errorf("%s: frame refId = %q, want %q (the Go SDK stamps the response's refId on every frame)", where, got.RefID, want.RefID)
	}
	if g, w := metaJSON(got.Meta), metaJSON(want.Meta); g != w {
		t.Errorf("%s: frame meta = %s, want %s", where, g, w)
	}
	if len(got.Fields) != len(want.Fields) {
		t.Errorf("%s: %d fields %v, want %d %v", where, len(got.Fields), fieldNames(got), len(want.Fields), fieldNames(want))
		return
	}
	for i, wf := range want.Fields {
		compareField(t, fmt.Sprintf("%s field %d (%s)", where, i, wf.Name), got.Fields[i], wf, o)
	}
}

func compareField(t testing.TB, where string, got, want *data.Field, o cmpOpts) {
	t.Helper()
	if got.Name != want.Name {
		t.Errorf("%s: name = %q, want %q", where, got.Name, want.Name)
	}
	if got.Type() != want.Type() {
		t.Errorf("%s: type = %s, want %s", where, got.Type(), want.Type())
		return
	}
	if !labelsEqual(got.Labels, want.Labels) {
		t.Errorf("%s: labels = %v, want %v", where, got.Labels, want.Labels)
	}
	if g, w := configJSON(got.Config), configJSON(want.Config); g != w {
		t.Errorf("%s: config = %s, want %s", where, g, w)
	}
	if got.Len() != want.Len() {
		t.Errorf("%s: %d rows, want %d", where, got.Len(), want.Len())
		return
	}
	reports := 0
	for row := 0; row < want.Len(); row++ {
		gv, gok := got.ConcreteAt(row)
		wv, wok := want.ConcreteAt(row)
		var problem string
		switch {
		case o.frameJSON && isJSONNull(wv, wok) && (!gok || isJSONNull(gv, gok) || isEmptyJSON(gv)):
			// lossy in frame JSON, see cmpOpts
		case gok != wok && wok:
			problem = fmt.Sprintf("null, want %v", show(wv))
		case gok != wok:
			problem = fmt.Sprintf("%v, want null", show(gv))
		case wok && !valueEqual(gv, wv, o.tol):
			problem = fmt.Sprintf("%v, want %v", show(gv), show(wv))
		}
		if problem != "" {
			reports++
			if reports <= maxRowReports {
				t.Errorf("%s row %d: %s", where, row, problem)
			}
		}
	}
	if reports > maxRowReports {
		t.Errorf("%s: %d more rows differ", where, reports-maxRowReports)
	}
}

func isJSONNull(v any, ok bool) bool {
	raw, isRaw := v.(json.RawMessage)
	return ok && isRaw && string(bytes.TrimSpace(raw)) == "null"
}

func isEmptyJSON(v any) bool {
	raw, isRaw := v.(json.RawMessage)
	return isRaw && len(bytes.TrimSpace(raw)) == 0
}

func valueEqual(got, want any, tol float64) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.UnixNano() == w.UnixNano()
	case float64:
		g, ok := got.(float64)
		if !ok {
			return false
		}
		if tol == 0 {
			return g == w || (math.IsNaN(g) && math.IsNaN(w))
		}
		return math.Abs(g-w) <= tol*math.Max(1, math.Abs(w))
	case json.RawMessage:
		g, ok := got.(json.RawMessage)
		if !ok {
			return false
		}
		var cg, cw bytes.Buffer
		if json.Compact(&cg, g) != nil || json.Compact(&cw, w) != nil {
			return bytes.Equal(g, w)
		}
		return bytes.Equal(cg.Bytes(), cw.Bytes())
	default:
		return reflect.DeepEqual(got, want)
	}
}

// show prints a value unambiguously (time in ns, JSON as text, floats in full).
func show(v any) string {
	switch x := v.(type) {
	case time.Time:
		return fmt.Sprintf("%dns", x.UnixNano())
	case json.RawMessage:
		return fmt.Sprintf("json(%s)", string(x))
	case float64:
		return fmt.Sprintf("%.17g", x)
	case string:
		return fmt.Sprintf("%q", x)
	default:
		return fmt.Sprintf("%v", x)
	}
}

// labelsEqual treats absent and empty labels alike (Grafana does too).
func labelsEqual(a, b data.Labels) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// configJSON is the config as compact JSON; an absent config equals an empty one.
func configJSON(c *data.FieldConfig) string {
	if c == nil {
		c = &data.FieldConfig{}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "unmarshalable: " + err.Error()
	}
	return string(b)
}

// metaJSON is the meta as compact JSON ("null" when absent).
func metaJSON(m *data.FrameMeta) string {
	if m == nil {
		return "null"
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "unmarshalable: " + err.Error()
	}
	return string(b)
}

func fieldNames(f *data.Frame) []string {
	names := make([]string, len(f.Fields))
	for i, fl := range f.Fields {
		names[i] = fl.Name
	}
	return names
}

// compareFrameLists compares frame lists in order.
func compareFrameLists(t testing.TB, where string, got, want data.Frames, o cmpOpts) {
	t.Helper()
	if len(got) != len(want) {
		names := func(fs data.Frames) []string {
			out := make([]string, len(fs))
			for i, f := range fs {
				out[i] = f.Name
			}
			return out
		}
		t.Errorf("%s: %d frames %v, want %d %v", where, len(got), names(got), len(want), names(want))
		return
	}
	for i := range want {
		compareFrames(t, fmt.Sprintf("%s frame %d", where, i), got[i], want[i], o)
	}
}
