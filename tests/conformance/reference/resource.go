package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// CallResource answers GET scenarios, GET settings, POST echo; anything else is a 404.
func (in *instance) CallResource(_ context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	switch {
	case req.Method == http.MethodGet && req.Path == "scenarios":
		return sendJSON(sender, http.StatusOK, scenarios)
	case req.Method == http.MethodGet && req.Path == "settings":
		return sendJSON(sender, http.StatusOK, map[string]any{
			"uid":       in.ds.UID,
			"name":      in.ds.Name,
			"jsonData":  in.jsonData,
			"updatedMs": in.ds.Updated.UnixMilli(),
		})
	case req.Method == http.MethodPost && req.Path == "echo":
		headers := map[string][]string{}
		for k, v := range req.Headers {
			if strings.EqualFold(k, "content-type") && len(v) > 0 {
				headers["Content-Type"] = []string{v[0]}
			}
		}
		return sender.Send(&backend.CallResourceResponse{Status: http.StatusOK, Headers: headers, Body: req.Body})
	default:
		return sendJSON(sender, http.StatusNotFound, map[string]string{"error": "no resource " + req.Path})
	}
}

func sendJSON(sender backend.CallResourceResponseSender, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sender.Send(&backend.CallResourceResponse{
		Status:  status,
		Headers: map[string][]string{"Content-Type": {"application/json"}},
		Body:    body,
	})
}
