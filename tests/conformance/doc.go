// Package conformance drives a Grafana backend plugin executable with the client libraries
// Grafana itself uses (hashicorp/go-plugin for the launch and handshake, grafana-plugin-sdk-go's
// pluginv2 clients, backend types and data.UnmarshalArrowFrames for the calls and frames) and
// checks its answers against the spec of Quarry's `synthetic` module
// (modules/synthetic/README.md).
//
// Environment:
//
//	QUARRY_PLUGIN_EXE   absolute path of the executable to test (required; the tests fail without it)
//	QUARRY_PLUGIN_KIND  "quarry" (default) or "reference": a few checks are Quarry-specific and are
//	                    skipped, with a logged note, for the Go reference plugin in ./reference
//
// See README.md for the commands.
package conformance
