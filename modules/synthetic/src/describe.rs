//! The module's descriptor: what Grafana's editors show for it (README.md is the spec).

use quarry_guest::{Descriptor, EnumOption, QueryField, Setting};
use serde_json::json;

use crate::scenario::{MAX_POINTS, MAX_SERIES};

pub(crate) fn descriptor() -> Descriptor {
    let scenario = |value: &str, label: &str, description: &str| EnumOption {
        value: value.into(),
        label: label.into(),
        description: description.into(),
    };
    Descriptor::new(
        "Synthetic random walks, sine waves and a table of every field type; no network",
    )
    .with_setting(
        Setting::string("seriesPrefix")
            .title("Series prefix")
            .description("Frames are named <prefix>-<i>")
            .default("series"),
    )
    .with_setting(
        Setting::boolean("healthFail")
            .title("Fail health checks")
            .description("Save & test answers an error (for trying alerts and error paths)")
            .default(false),
    )
    .with_setting(
        Setting::boolean("failCreate")
            .title("Fail instance creation")
            .description("Every query and health check fails with a bad request")
            .default(false),
    )
    .with_query_field(
        QueryField::enumeration(
            "scenario",
            [
                scenario(
                    "random_walk",
                    "Random walk",
                    "Seeded random walks, one per series",
                ),
                scenario(
                    "sine",
                    "Sine wave",
                    "Sine waves, one per series, phase-shifted",
                ),
                scenario(
                    "all_types",
                    "All field types",
                    "One table of every Grafana field type",
                ),
                scenario("error", "Error", "Fails with a bad request"),
            ],
        )
        .title("Scenario")
        .default("random_walk")
        .main(),
    )
    .with_query_field(
        QueryField::integer("seriesCount")
            .title("Series")
            .description(format!("How many series (frames), 1 to {MAX_SERIES}"))
            .default(1),
    )
    .with_query_field(
        QueryField::string_map("labels")
            .title("Labels")
            .description("Added to every series' value field, next to series=<i>"),
    )
    .with_query_field(
        QueryField::integer("seed")
            .title("Seed")
            .description("Random walk seed")
            .default(0),
    )
    .with_query_field(
        QueryField::number("startValue")
            .title("Start value")
            .description("Random walk first value")
            .default(0.0),
    )
    .with_query_field(
        QueryField::number("spread")
            .title("Spread")
            .description("Random walk step size")
            .default(1.0),
    )
    .with_query_field(
        QueryField::number("amplitude")
            .title("Amplitude")
            .description("Sine amplitude")
            .default(1.0),
    )
    .with_query_field(
        QueryField::number("periodSeconds")
            .title("Period (s)")
            .description("Sine period in seconds, greater than 0")
            .default(60.0),
    )
    .with_query_field(
        QueryField::integer("points")
            .title("Points")
            .description(format!(
                "Force the number of points, 1 to {MAX_POINTS} (ignores maxDataPoints)"
            )),
    )
    .with_default_query(json!({"scenario": "random_walk", "seriesCount": 1}))
    .with_stream("random_walk", "A random walk, one point a second")
    .with_stream(
        "random_walk/{intervalMs}",
        "A random walk, one point every intervalMs (at least 10)",
    )
    .with_stream("sine", "A sine wave, one point a second")
    .with_stream(
        "sine/{intervalMs}",
        "A sine wave, one point every intervalMs (at least 10)",
    )
}

#[cfg(test)]
mod tests {
    use quarry_guest::{DataQuery, Datasource, InstanceSettings, Kind};

    use super::*;
    use crate::Synthetic;

    #[test]
    fn descriptor_key_facts() {
        let d = Synthetic::describe();
        assert!(!d.description().is_empty());
        let keys: Vec<&str> = d.settings().iter().map(|s| s.key()).collect();
        assert_eq!(keys, ["seriesPrefix", "healthFail", "failCreate"]);
        assert_eq!(
            d.setting("seriesPrefix").unwrap().default_value(),
            Some(&json!("series"))
        );
        assert!(
            d.settings()
                .iter()
                .all(|s| !s.is_secret() && !s.is_required())
        );

        let scenario = d.query_field("scenario").unwrap();
        assert!(scenario.is_main());
        assert_eq!(scenario.default_value(), Some(&json!("random_walk")));
        let Kind::Enum(options) = scenario.kind() else {
            panic!("scenario is not an enum");
        };
        let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, crate::scenario::SCENARIOS);
        let query_keys: Vec<&str> = d.query_fields().iter().map(|q| q.key()).collect();
        assert_eq!(
            query_keys,
            [
                "scenario",
                "seriesCount",
                "labels",
                "seed",
                "startValue",
                "spread",
                "amplitude",
                "periodSeconds",
                "points"
            ]
        );
        assert_eq!(d.query_fields().iter().filter(|q| q.is_main()).count(), 1);
        assert_eq!(
            d.stream_paths(),
            [
                "random_walk",
                "random_walk/{intervalMs}",
                "sine",
                "sine/{intervalMs}"
            ]
        );

        // The default query answers, and every default matches the model's own.
        let default = d.default_query().unwrap().to_string();
        let ds = Synthetic::new(InstanceSettings::default()).unwrap();
        let frames = ds
            .query(DataQuery {
                json: default,
                time_range: quarry_guest::TimeRange::from_millis(0, 10_000),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(frames.len(), 1);
        let model = crate::scenario::Model::default();
        let defaults = [
            ("seriesCount", json!(model.series_count)),
            ("seed", json!(model.seed)),
            ("startValue", json!(model.start_value)),
            ("spread", json!(model.spread)),
            ("amplitude", json!(model.amplitude)),
            ("periodSeconds", json!(model.period_seconds)),
        ];
        for (key, value) in defaults {
            assert_eq!(
                d.query_field(key).unwrap().default_value(),
                Some(&value),
                "{key}"
            );
        }
    }
}
