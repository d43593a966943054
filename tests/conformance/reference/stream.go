package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

const (
	defaultIntervalMS = 1000
	minIntervalMS     = 10
)

// streamPath is a parsed channel path: `random_walk` or `sine`, optionally `/<interval ms>`.
type streamPath struct {
	scenario string
	interval time.Duration
}

func parseStreamPath(path string) (streamPath, bool) {
	scenario, interval, hasInterval := strings.Cut(path, "/")
	if scenario != "random_walk" && scenario != "sine" {
		return streamPath{}, false
	}
	ms := uint64(defaultIntervalMS)
	if hasInterval {
		if interval == "" || strings.Trim(interval, "0123456789") != "" {
			return streamPath{}, false
		}
		n, err := strconv.ParseUint(interval, 10, 64)
		if err != nil {
			return streamPath{}, false
		}
		ms = max(n, minIntervalMS)
	}
	return streamPath{scenario: scenario, interval: time.Duration(ms) * time.Millisecond}, true
}

// frame is the stream's frame: fields `time` and `value`, named after the scenario.
func (p streamPath) frame(times []time.Time, values []float64) *data.Frame {
	return data.NewFrame(p.scenario, data.NewField("time", nil, times), data.NewField("value", nil, values))
}

// SubscribeStream accepts the known paths and answers the schema as initial data.
func (in *instance) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	p, ok := parseStreamPath(req.Path)
	if !ok {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	initial, err := backend.NewInitialFrame(p.frame([]time.Time{}, []float64{}), data.IncludeAll)
	if err != nil {
		return nil, err
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK, InitialData: initial}, nil
}

// RunStream sends one single-row frame per interval until the context is cancelled. The
// first packet carries the schema, the next ones data only.
func (in *instance) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	p, ok := parseStreamPath(req.Path)
	if !ok {
		return fmt.Errorf("no stream %s", req.Path)
	}
	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	include := data.IncludeAll
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		now := time.UnixMilli(time.Now().UnixMilli())
		var value float64
		if p.scenario == "sine" {
			value = sine(now.UnixMilli(), 0, 1, 60)
		} else {
			value = in.nextWalkValue(req.Path)
		}
		if err := sender.SendFrame(p.frame([]time.Time{now}, []float64{value}), include); err != nil {
			return err
		}
		include = data.IncludeDataOnly
	}
}

// nextWalkValue continues the seed-0 random walk kept for this path in the instance.
func (in *instance) nextWalkValue(path string) float64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	w, ok := in.walks[path]
	if !ok {
		w = newRandomWalk(0, 0, 0, 1)
		in.walks[path] = w
	}
	return w.next()
}

// PublishStream echoes what is published to `echo` and refuses every other path.
func (in *instance) PublishStream(_ context.Context, req *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	if req.Path != "echo" {
		return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
	}
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusOK, Data: req.Data}, nil
}
