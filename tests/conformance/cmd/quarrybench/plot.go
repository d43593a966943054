package main

// BENCHMARKS.png, drawn with the standard library's image packages and x/image's fixed 7×13
// bitmap font: the latency distributions (empirical CDFs on a log time axis) of the three query
// scenarios, and the start → first query times of every round.

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"sort"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

var (
	white     = color.RGBA{255, 255, 255, 255}
	black     = color.RGBA{20, 20, 20, 255}
	grey      = color.RGBA{120, 120, 120, 255}
	gridGrey  = color.RGBA{225, 225, 225, 255}
	targetRed = color.RGBA{200, 40, 40, 255}
	colors    = map[kind]color.RGBA{quarry: {226, 110, 20, 255}, reference: {30, 100, 200, 255}}
)

type canvas struct{ img *image.RGBA }

func (c canvas) dot(x, y int, col color.Color, r int) {
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if dx*dx+dy*dy <= r*r+r {
				c.img.Set(x+dx, y+dy, col)
			}
		}
	}
}

// line draws from (x0,y0) to (x1,y1), w pixels wide.
func (c canvas) line(x0, y0, x1, y1 float64, col color.Color, w int) {
	n := int(math.Max(math.Abs(x1-x0), math.Abs(y1-y0))) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		x := int(math.Round(x0 + (x1-x0)*t))
		y := int(math.Round(y0 + (y1-y0)*t))
		if w <= 1 {
			c.img.Set(x, y, col)
		} else {
			c.dot(x, y, col, w/2)
		}
	}
}

// text writes s with its top-left corner at (x,y), scaled up `scale` times.
func (c canvas) text(x, y int, s string, col color.Color, scale int) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, s).Ceil()
	small := image.NewRGBA(image.Rect(0, 0, w, 13))
	d := font.Drawer{Dst: small, Src: image.NewUniform(col), Face: face, Dot: fixed.P(0, 11)}
	d.DrawString(s)
	for sy := 0; sy < 13*scale; sy++ {
		for sx := 0; sx < w*scale; sx++ {
			if px := small.RGBAAt(sx/scale, sy/scale); px.A > 0 {
				c.img.Set(x+sx, y+sy, px)
			}
		}
	}
}

func textWidth(s string, scale int) int {
	return font.MeasureString(basicfont.Face7x13, s).Ceil() * scale
}

// logAxis maps values to pixels on a log scale between lo and hi.
type logAxis struct {
	lo, hi   float64
	px0, px1 float64
}

func (a logAxis) at(v float64) float64 {
	t := (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	return a.px0 + t*(a.px1-a.px0)
}

// ticks are the 1-2-5 values in [lo, hi].
func (a logAxis) ticks() []float64 {
	var out []float64
	for e := math.Floor(math.Log10(a.lo)); e <= math.Ceil(math.Log10(a.hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= a.lo && v <= a.hi {
				out = append(out, v)
			}
		}
	}
	return out
}

// durationLabel formats microseconds.
func durationLabel(us float64) string {
	switch {
	case us >= 1e6:
		return trimZero(us/1e6) + " s"
	case us >= 1e3:
		return trimZero(us/1e3) + " ms"
	default:
		return trimZero(us) + " us"
	}
}

func trimZero(x float64) string {
	if x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

type panel struct {
	x, y, w, h int // frame of the panel
}

// plot area inside the panel
func (p panel) area() (x0, y0, x1, y1 float64) {
	return float64(p.x + 70), float64(p.y + 50), float64(p.x + p.w - 20), float64(p.y + p.h - 105)
}

// rangeOf is the log-axis range covering every value, with some room.
func rangeOf(series ...[]float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, xs := range series {
		for _, x := range xs {
			if x > 0 {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 1, 10
	}
	lo, hi = lo/1.3, hi*1.3
	if hi/lo < 10 {
		mid := math.Sqrt(lo * hi)
		lo, hi = mid/math.Sqrt(10), mid*math.Sqrt(10)
	}
	return lo, hi
}

func (c canvas) xAxis(p panel, a logAxis, label string, format func(float64) string) {
	_, y0, _, y1 := p.area()
	for _, t := range a.ticks() {
		x := a.at(t)
		c.line(x, y0, x, y1, gridGrey, 1)
		s := format(t)
		c.text(int(x)-textWidth(s, 1)/2, int(y1)+6, s, black, 1)
	}
	x0, _, x1, _ := p.area()
	c.line(x0, y1, x1, y1, black, 1)
	c.text(int((x0+x1)/2)-textWidth(label, 1)/2, int(y1)+24, label, grey, 1)
}

// tailY is the CDF's vertical scale: -log10(1 - q), so 0.5, 0.9, 0.99 and 0.999 are spaced
// for the tail to show.
func tailY(q float64) float64 { return -math.Log10(1 - q) }

// cdfPanel draws the empirical CDF of each plugin's samples (µs) on a log x axis and a tail
// (-log10(1 - q)) y axis.
func (c canvas) cdfPanel(p panel, title string, samples map[kind][]float64) {
	c.text(p.x+70, p.y+12, title, black, 2)
	x0, y0, x1, y1 := p.area()
	lo, hi := rangeOf(samples[quarry], samples[reference])
	a := logAxis{lo: lo, hi: hi, px0: x0, px1: x1}
	n := max(len(samples[quarry]), len(samples[reference]))
	// plotting positions (j+1)/(n+1): the top is 1 - 1/(n+1)
	top := math.Max(tailY(0.9), math.Min(tailY(0.9999), tailY(1-1/float64(n+1))))
	ypx := func(q float64) float64 { return y1 - tailY(q)/top*(y1-y0) }
	for _, q := range []float64{0, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999} {
		if tailY(q) > top+1e-9 {
			break
		}
		y := ypx(q)
		c.line(x0, y, x1, y, gridGrey, 1)
		s := fmt.Sprintf("%g", q)
		c.text(int(x0)-8-textWidth(s, 1), int(y)-6, s, black, 1)
	}
	c.xAxis(p, a, "latency per request (log scale); y: fraction of requests at most that slow (tail scale)", durationLabel)
	c.line(x0, y0, x0, y1, black, 1)
	legendY := int(y1) + 48
	for i, k := range []kind{quarry, reference} {
		xs := append([]float64(nil), samples[k]...)
		sort.Float64s(xs)
		col := colors[k]
		ly := legendY + i*22
		c.line(x0, float64(ly+6), x0+24, float64(ly+6), col, 3)
		if len(xs) == 0 {
			c.text(int(x0)+32, ly, k.String()+": no samples", black, 1)
			continue
		}
		px, py := a.at(xs[0]), y1
		for j, v := range xs {
			nx := a.at(v)
			ny := ypx(float64(j+1) / float64(len(xs)+1))
			c.line(px, py, nx, py, col, 2) // step: flat to the next sample, then up
			c.line(nx, py, nx, ny, col, 2)
			px, py = nx, ny
		}
		p50, p99 := sortedPercentile(xs, 50), sortedPercentile(xs, 99)
		for _, m := range []float64{p50, p99} {
			x := a.at(m)
			c.line(x, y1-4, x, y1+4, col, 3)
		}
		c.text(int(x0)+32, ly, fmt.Sprintf("%s: p50 %s, p99 %s, %s requests (all rounds)",
			k, durationLabel(p50), durationLabel(p99), commas(fmt.Sprint(len(xs)))), black, 1)
	}
}

// startPanel draws every round's start → first query time, cold and warm, per plugin.
func (c canvas) startPanel(p panel, r *results) {
	c.text(p.x+70, p.y+12, "Process start -> first answered query", black, 2)
	x0, y0, x1, y1 := p.area()
	type strip struct {
		label string
		k     kind
		xs    []float64
	}
	var strips []strip
	for _, k := range []kind{quarry, reference} {
		strips = append(strips,
			strip{k.String() + ", cold", k, r.get(figStartCold, k)},
			strip{k.String() + ", warm", k, r.get(figStartWarm, k)})
	}
	var all [][]float64
	for _, s := range strips {
		var us []float64
		for _, ms := range s.xs {
			us = append(us, ms*1000)
		}
		all = append(all, us)
	}
	lo, hi := rangeOf(append(all, []float64{100_000})...)
	a := logAxis{lo: lo, hi: hi, px0: x0 + 110, px1: x1}
	pp := panel{x: p.x + 110, y: p.y, w: p.w - 110, h: p.h}
	c.xAxis(pp, a, "time from exec to the first answer (log scale), one dot per round", durationLabel)
	tx := a.at(100_000)
	c.line(tx, y0, tx, y1, targetRed, 1)
	c.text(int(tx)+4, int(y0), "100 ms", targetRed, 1)
	step := (y1 - y0) / float64(len(strips))
	for i, s := range strips {
		y := y0 + step*(float64(i)+0.5)
		c.text(int(x0)-40, int(y)-6, s.label, black, 1)
		for j, us := range all[i] {
			jitter := float64(j%3-1) * 5
			c.dot(int(a.at(us)), int(y+jitter), colors[s.k], 4)
		}
		if len(all[i]) > 0 {
			m := median(all[i])
			c.line(a.at(m), y-12, a.at(m), y+12, black, 2)
		}
	}
	c.text(int(x0)-40, int(y1)+48, "black bar: median over rounds", grey, 1)
}

func writePlot(path string, r *results) error {
	const w, h = 1600, 1040
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	c := canvas{img}
	title := "Quarry (orange) vs Go reference plugin (blue), same Grafana client, " + r.Machine.Date
	if r.Quick {
		title += " - QUICK SMOKE RUN"
	}
	c.text(20, 10, title, black, 2)
	top := 45
	pw, ph := w/2, (h-top)/2
	c.cdfPanel(panel{0, top, pw, ph}, "1 query x 1,000 points", r.Samples[figQ1kP50])
	c.cdfPanel(panel{pw, top, pw, ph}, "1 request with 20 queries x 1,000 points", r.Samples[figQ20])
	c.cdfPanel(panel{0, top + ph, pw, ph}, "1 query x 1,000,000 points", r.Samples[figQ1M])
	c.startPanel(panel{pw, top + ph, pw, ph}, r)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
