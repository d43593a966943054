//! The README's quick-start module: one frame with the query's time range and two values.

use quarry_guest::{
    DataQuery, Datasource, Descriptor, Error, Field, Frame, InstanceSettings, QueryField,
};
use serde::Deserialize;

/// The query model: `{"value": 42}`.
#[derive(Deserialize)]
#[serde(default)]
struct Model {
    value: f64,
}

impl Default for Model {
    fn default() -> Self {
        Model { value: 42.0 }
    }
}

struct Hello;

impl Datasource for Hello {
    fn describe() -> Descriptor {
        Descriptor::new("The quick start: two points over the panel's time range")
            .with_query_field(
                QueryField::number("value")
                    .title("Value")
                    .description("The second point's value")
                    .default(42.0)
                    .main(),
            )
            .with_default_query(serde_json::json!({"value": 42.0}))
    }

    fn new(_settings: InstanceSettings) -> Result<Self, Error> {
        Ok(Hello)
    }

    fn query(&self, query: DataQuery) -> Result<Vec<Frame>, Error> {
        let model: Model = query.model()?;
        let range = query.time_range;
        Ok(vec![
            Frame::new("hello")
                .with_field(Field::new("time", vec![range.from(), range.to()]))
                .with_field(Field::new("value", vec![1.0, model.value])),
        ])
    }
}

quarry_guest::export!(Hello);

#[cfg(test)]
mod tests {
    use quarry_guest::{Column, Kind, TimeRange};

    use super::*;

    #[test]
    fn descriptor_key_facts() {
        let d = Hello::describe();
        assert!(d.settings().is_empty());
        let value = d.query_field("value").unwrap();
        assert!(value.is_main());
        assert_eq!(value.kind(), &Kind::Number);
        assert_eq!(value.default_value(), Some(&serde_json::json!(42.0)));
        assert!(d.stream_paths().is_empty());

        let query = |json: &str| DataQuery {
            json: json.into(),
            time_range: TimeRange::from_millis(0, 1_000),
            ..Default::default()
        };
        let default = d.default_query().unwrap().to_string();
        for json in ["{}", default.as_str()] {
            let frames = Hello.query(query(json)).unwrap();
            frames[0].validate().unwrap();
            assert_eq!(
                frames[0].field("value").unwrap().values(),
                &Column::Float64(vec![1.0, 42.0])
            );
        }
        let frames = Hello.query(query(r#"{"value": 7}"#)).unwrap();
        assert_eq!(
            frames[0].field("value").unwrap().values(),
            &Column::Float64(vec![1.0, 7.0])
        );
    }
}
