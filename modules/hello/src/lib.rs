//! The README's quick-start module: one frame with the query's time range and two values.

use quarry_guest::{DataQuery, Datasource, Error, Field, Frame, InstanceSettings};

struct Hello;

impl Datasource for Hello {
    fn new(_settings: InstanceSettings) -> Result<Self, Error> {
        Ok(Hello)
    }

    fn query(&self, query: DataQuery) -> Result<Vec<Frame>, Error> {
        let range = query.time_range;
        Ok(vec![
            Frame::new("hello")
                .with_field(Field::new("time", vec![range.from(), range.to()]))
                .with_field(Field::new("value", vec![1.0, 42.0])),
        ])
    }
}

quarry_guest::export!(Hello);
