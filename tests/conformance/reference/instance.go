package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
)

// settings are the jsonData keys the synthetic module reads; unknown keys are ignored.
type settings struct {
	SeriesPrefix string `json:"seriesPrefix"`
	HealthFail   bool   `json:"healthFail"`
	FailCreate   bool   `json:"failCreate"`
}

// instance is one datasource instance. The SDK's instance manager creates a new one whenever
// the datasource's lastUpdatedMS (or Grafana's config) changes.
type instance struct {
	ds       backend.DataSourceInstanceSettings
	jsonData json.RawMessage // the jsonData object as Grafana sent it ({} when empty)
	cfg      settings

	mu    sync.Mutex
	walks map[string]*randomWalk // random_walk stream state, per channel path
}

var (
	_ backend.QueryDataHandler    = (*instance)(nil)
	_ backend.CheckHealthHandler  = (*instance)(nil)
	_ backend.CallResourceHandler = (*instance)(nil)
	_ backend.StreamHandler       = (*instance)(nil)
)

// newInstance is the datasource.InstanceFactoryFunc.
func newInstance(_ context.Context, ds backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	raw := bytes.TrimSpace(ds.JSONData)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		raw = []byte("{}")
	}
	cfg := settings{SeriesPrefix: "series"}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, backend.PluginError(fmt.Errorf("invalid settings: %w", err))
	}
	if cfg.FailCreate {
		return nil, backend.PluginError(errors.New("instance creation failure requested by settings"))
	}
	return &instance{ds: ds, jsonData: json.RawMessage(raw), cfg: cfg, walks: map[string]*randomWalk{}}, nil
}

// CheckHealth answers "Save & test".
func (in *instance) CheckHealth(_ context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	if in.cfg.HealthFail {
		return &backend.CheckHealthResult{
			Status:  backend.HealthStatusError,
			Message: "health failure requested by settings",
		}, nil
	}
	return &backend.CheckHealthResult{
		Status:  backend.HealthStatusOk,
		Message: fmt.Sprintf("synthetic module ready: %d scenarios", len(scenarios)),
	}, nil
}

// QueryData answers every query on its own: one DataResponse per refId.
func (in *instance) QueryData(_ context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		frames, err := in.query(q)
		if err != nil {
			resp.Responses[q.RefID] = backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourcePlugin, err.Error())
			continue
		}
		resp.Responses[q.RefID] = backend.DataResponse{Frames: frames, Status: backend.StatusOK}
	}
	return resp, nil
}
