//! Logs on stderr as one JSON object per line in the shape go-plugin parses (hclog's JSON
//! format), so each line lands in Grafana's log at its own level.

use std::fmt;
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Directives applied when `QUARRY_LOG` is not set: our own debug lines, quiet dependencies.
const DEFAULT_FILTER: &str = "debug,cranelift_codegen=warn,wasmtime=info,wasmtime_cranelift=warn,h2=info,tower=info,hyper=info,hyper_util=info,tonic=info";

/// Installs the hclog-JSON logger on stderr. Filter with `QUARRY_LOG` (tracing directives).
pub fn init_plugin_logging() {
    let filter =
        EnvFilter::try_from_env("QUARRY_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(HclogJson)
        .try_init();
}

/// Directives of the CLI when `QUARRY_LOG` is not set: the module's own log lines from info up,
/// the host's warnings, and nothing from dependencies. A failed module HTTP request is the
/// module's error, printed once as the call's result: the host's and wasmtime-wasi-http's
/// warnings about it (`connect error: Os { code: 111 … }`) would only repeat it, rawer.
pub const CLI_FILTER: &str =
    "off,quarry_host=warn,quarry_host::capability::log=info,quarry_host::capability::http=error";

/// Human-readable logs for the CLI on stderr ([`CLI_FILTER`] unless `QUARRY_LOG` is set).
pub fn init_cli_logging() {
    let filter =
        EnvFilter::try_from_env("QUARRY_LOG").unwrap_or_else(|_| EnvFilter::new(CLI_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

/// Formats events as hclog JSON: `@level`, `@message`, `@timestamp` (6 fractional digits, UTC),
/// `@module`, then each field as a top-level key.
#[derive(Debug)]
pub struct HclogJson;

impl<S, N> FormatEvent<S, N> for HclogJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writeln!(writer, "{}", hclog_line(event, SystemTime::now()))
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

fn hclog_line(event: &Event<'_>, now: SystemTime) -> String {
    let mut visitor = JsonFields::default();
    event.record(&mut visitor);
    let mut obj = serde_json::Map::new();
    obj.insert("@level".into(), level_name(event.metadata().level()).into());
    obj.insert(
        "@message".into(),
        visitor.message.unwrap_or_default().into(),
    );
    obj.insert(
        "@timestamp".into(),
        humantime::format_rfc3339_micros(now).to_string().into(),
    );
    obj.insert("@module".into(), "quarry".into());
    for (k, v) in visitor.fields {
        obj.entry(k).or_insert(v);
    }
    serde_json::Value::Object(obj).to_string()
}

#[derive(Default)]
struct JsonFields {
    message: Option<String>,
    fields: Vec<(String, serde_json::Value)>,
}

impl JsonFields {
    fn push(&mut self, field: &Field, value: serde_json::Value) {
        match field.name() {
            "message" => {
                self.message = Some(
                    value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_string),
                )
            }
            // A module's own key/value pairs arrive as one JSON object and stay nested under
            // `guest`: whatever they are named (`level`, `logger`, `dsUid`, `traceID`), they can
            // never pose as the host's fields at the top level of Grafana's log line.
            "guest" => {
                let nested = value
                    .as_str()
                    .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                    .filter(serde_json::Value::is_object)
                    .unwrap_or(value);
                self.fields.push(("guest".to_string(), nested));
            }
            name => self.fields.push((name.to_string(), value)),
        }
    }
}

impl Visit for JsonFields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, format!("{value:?}").into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    #[test]
    fn lines_parse_the_way_go_plugin_reads_them() {
        let buf = Buf::default();
        let sub = tracing_subscriber::fmt()
            .with_writer(buf.clone())
            .event_format(HclogJson)
            .finish();
        tracing::subscriber::with_default(sub, || {
            tracing::warn!(
                dsUid = "abc",
                guest = r#"{"k":"v","@level":"x"}"#,
                "hello {}",
                1
            );
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["@level"], "warn");
        assert_eq!(line["@message"], "hello 1");
        assert_eq!(line["dsUid"], "abc");
        assert_eq!(line["guest"]["k"], "v");
        assert_eq!(line["guest"]["@level"], "x");
        assert!(line.get("k").is_none(), "module fields stay nested");
        // A module cannot overwrite the host's attribution keys.
        let buf2 = Buf::default();
        let sub = tracing_subscriber::fmt()
            .with_writer(buf2.clone())
            .event_format(HclogJson)
            .finish();
        tracing::subscriber::with_default(sub, || {
            tracing::info!(
                dsUid = "real",
                module = "m",
                guest = r#"{"dsUid":"forged","module":"x","level":"error","logger":"x","pluginId":"p","traceID":"t","userId":"u"}"#,
                "hi"
            );
        });
        let text2 = String::from_utf8(buf2.0.lock().unwrap().clone()).unwrap();
        let line2: serde_json::Value = serde_json::from_str(text2.trim()).unwrap();
        assert_eq!(
            (line2["dsUid"].as_str(), line2["module"].as_str()),
            (Some("real"), Some("m"))
        );
        assert_eq!(line2["guest"]["dsUid"], "forged");
        for key in ["level", "logger", "pluginId", "traceID", "userId"] {
            assert!(line2.get(key).is_none(), "{key} stays under guest");
        }
        let ts = line["@timestamp"].as_str().unwrap();
        // go-plugin's layout: 2006-01-02T15:04:05.000000Z07:00
        assert_eq!(ts.len(), "2026-01-02T15:04:05.000000Z".len(), "{ts}");
        assert!(ts.ends_with('Z') && ts.as_bytes()[19] == b'.', "{ts}");
    }
}
