//! Request counters and durations per endpoint and module, in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use crate::runtime::LoadStats;

#[derive(Debug, Default, Clone, Copy)]
struct Series {
    count: u64,
    errors: u64,
    seconds: f64,
}

/// One per-module load counter: its name, its help text, and how to read it.
type LoadCounter = (&'static str, &'static str, fn(&LoadStats) -> String);

/// Process-wide metrics, rendered for `CollectMetrics`.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    series: Mutex<BTreeMap<(&'static str, String), Series>>,
}

impl Metrics {
    /// Records one call of `endpoint` answered by `module` (`"none"` if no module was reached).
    pub(crate) fn record(
        &self,
        endpoint: &'static str,
        module: &str,
        elapsed: Duration,
        failed: bool,
    ) {
        let mut map = self.series.lock().expect("metrics lock");
        let s = map.entry((endpoint, module.to_string())).or_default();
        s.count += 1;
        s.errors += u64::from(failed);
        s.seconds += elapsed.as_secs_f64();
    }

    /// Prometheus text exposition of everything recorded, the live-instance gauge and how each
    /// module was loaded.
    pub(crate) fn render(&self, active_instances: i64, loads: &[(String, LoadStats)]) -> String {
        let map = self.series.lock().expect("metrics lock");
        let mut out = String::new();
        let labels = |(endpoint, module): &(&str, String)| {
            format!("endpoint=\"{endpoint}\",module=\"{}\"", escape(module))
        };
        out.push_str("# HELP quarry_requests_total Calls handled, per endpoint and module.\n");
        out.push_str("# TYPE quarry_requests_total counter\n");
        for (k, s) in map.iter() {
            let _ = writeln!(out, "quarry_requests_total{{{}}} {}", labels(k), s.count);
        }
        out.push_str("# HELP quarry_request_errors_total Calls that ended in an error, per endpoint and module.\n");
        out.push_str("# TYPE quarry_request_errors_total counter\n");
        for (k, s) in map.iter() {
            let _ = writeln!(
                out,
                "quarry_request_errors_total{{{}}} {}",
                labels(k),
                s.errors
            );
        }
        out.push_str("# HELP quarry_request_duration_seconds Time spent answering calls, per endpoint and module.\n");
        out.push_str("# TYPE quarry_request_duration_seconds summary\n");
        for (k, s) in map.iter() {
            let l = labels(k);
            let _ = writeln!(
                out,
                "quarry_request_duration_seconds_sum{{{l}}} {}",
                s.seconds
            );
            let _ = writeln!(
                out,
                "quarry_request_duration_seconds_count{{{l}}} {}",
                s.count
            );
        }
        out.push_str("# HELP quarry_active_instances Live datasource instances.\n");
        out.push_str("# TYPE quarry_active_instances gauge\n");
        let _ = writeln!(out, "quarry_active_instances {active_instances}");
        let counters: [LoadCounter; 4] = [
            (
                "quarry_module_compiles_total",
                "Modules compiled by Cranelift, per module.",
                |s| s.compiles.to_string(),
            ),
            (
                "quarry_module_cache_hits_total",
                "Modules loaded from the compiled-module cache, per module.",
                |s| s.cache_hits.to_string(),
            ),
            (
                "quarry_module_cache_rejects_total",
                "Compiled-module cache entries refused (corrupt, truncated, another engine's) and rebuilt, per module.",
                |s| s.cache_rejects.to_string(),
            ),
            (
                "quarry_module_compile_seconds_total",
                "Time spent compiling, per module.",
                |s| s.compile_seconds.to_string(),
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            for (module, stats) in loads {
                let _ = writeln!(
                    out,
                    "{name}{{module=\"{}\"}} {}",
                    escape(module),
                    value(stats)
                );
            }
        }
        out
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_durations() {
        let m = Metrics::default();
        m.record("queryData", "synthetic", Duration::from_millis(500), false);
        m.record("queryData", "synthetic", Duration::from_millis(500), true);
        let text = m.render(
            2,
            &[(
                "synthetic".to_string(),
                LoadStats {
                    compiles: 1,
                    cache_hits: 2,
                    ..Default::default()
                },
            )],
        );
        assert!(
            text.contains("quarry_requests_total{endpoint=\"queryData\",module=\"synthetic\"} 2")
        );
        assert!(text.contains(
            "quarry_request_errors_total{endpoint=\"queryData\",module=\"synthetic\"} 1"
        ));
        assert!(text.contains(
            "quarry_request_duration_seconds_sum{endpoint=\"queryData\",module=\"synthetic\"} 1"
        ));
        assert!(text.contains("quarry_active_instances 2"));
        assert!(text.contains("quarry_module_compiles_total{module=\"synthetic\"} 1"));
        assert!(text.contains("quarry_module_cache_hits_total{module=\"synthetic\"} 2"));
        assert!(text.contains("quarry_module_cache_rejects_total{module=\"synthetic\"} 0"));
    }
}
