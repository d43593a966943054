// Command reference is a Grafana backend datasource plugin written with grafana-plugin-sdk-go that
// answers exactly like Quarry's bundled `synthetic` module (modules/synthetic/README.md).
//
// The conformance suite (tests/conformance) and the benchmarks run against it and against the
// packaged Quarry executable, to show that both answer alike. It needs no modules directory: the
// `module` key of jsonData is ignored.
//
//	go build -o /tmp/gpx_reference ./reference
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// pluginID is the reference plugin's id (the SDK uses it for standalone mode and tracing only).
const pluginID = "quarry-reference-datasource"

func main() {
	if err := datasource.Manage(pluginID, newInstance, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("reference plugin stopped", "error", err.Error())
		os.Exit(1)
	}
}
