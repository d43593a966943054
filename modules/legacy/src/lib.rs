//! A module built for contract `quarry:datasource@0.2.0` (the WIT the host keeps in
//! `host/wit-compat/`), without quarry-guest: the host must still load it, answer its queries and
//! report that it has no descriptor. Tests only.

#[cfg(target_arch = "wasm32")]
mod module {
    wit_bindgen::generate!({
        world: "module",
        path: "../../host/wit-compat/quarry-0.2.0",
    });

    use exports::quarry::datasource::datasource::{Guest, GuestInstance, Instance};
    use quarry::datasource::types::{
        Column, DataQuery, Error, ErrorKind, Field, Frame, Health, HealthStatus, InstanceSettings,
        PublishResponse, ResourceRequest, ResourceResponse, SecretGrant, SubscribeRequest,
        SubscribeResponse,
    };

    struct Legacy;

    fn unsupported(what: &str) -> Error {
        Error {
            kind: ErrorKind::NotImplemented,
            message: format!("the legacy module has no {what}"),
            context: vec![],
        }
    }

    impl Guest for Legacy {
        type Instance = Legacy;

        fn secure_settings() -> Vec<SecretGrant> {
            Vec::new()
        }
    }

    impl GuestInstance for Legacy {
        fn create(_: InstanceSettings) -> Result<Instance, Error> {
            Ok(Instance::new(Legacy))
        }

        fn query(&self, query: DataQuery) -> Result<Vec<Frame>, Error> {
            Ok(vec![Frame {
                name: "legacy".into(),
                meta: None,
                fields: vec![
                    Field {
                        name: "time".into(),
                        labels: vec![],
                        config: None,
                        values: Column::Time(vec![query.time_range.from_ns]),
                        validity: None,
                    },
                    Field {
                        name: "value".into(),
                        labels: vec![],
                        config: None,
                        values: Column::Float64(vec![2.0]),
                        validity: None,
                    },
                ],
            }])
        }

        fn check_health(&self) -> Health {
            Health {
                status: HealthStatus::Ok,
                message: "legacy module ready".into(),
                json_details: None,
            }
        }

        fn call_resource(&self, _: ResourceRequest) -> Result<ResourceResponse, Error> {
            Err(unsupported("resources"))
        }

        fn subscribe_stream(&self, _: SubscribeRequest) -> Result<SubscribeResponse, Error> {
            Ok(SubscribeResponse::NotFound)
        }

        fn stream_tick(&self, _: String, _: String) -> Result<Vec<Frame>, Error> {
            Err(unsupported("streams"))
        }

        fn publish_stream(&self, _: String, _: String) -> Result<PublishResponse, Error> {
            Ok(PublishResponse::NotFound)
        }
    }

    export!(Legacy);
}
