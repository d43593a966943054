//! Every conversion between the generated WIT records and this crate's types.

use crate::bindings::quarry::datasource::types as wit_types;
use crate::{
    Context, DataQuery, Error, ErrorKind, Field, Frame, Health, HealthStatus, InstanceSettings,
    SecretGrant, SecretUse, SubscribeResponse, TimeRange,
};

impl From<wit_types::InstanceSettings> for InstanceSettings {
    fn from(settings: wit_types::InstanceSettings) -> Self {
        Self {
            uid: settings.uid,
            name: settings.name,
            url: settings.url,
            raw_json_data: settings.json_data,
            secure_json_data: settings
                .secure_json_data
                .into_iter()
                .map(|kv| (kv.key, kv.value))
                .collect(),
            updated_ms: settings.updated_ms,
        }
    }
}

impl From<SecretGrant> for wit_types::SecretGrant {
    fn from(grant: SecretGrant) -> Self {
        Self {
            key: grant.key,
            use_: match grant.usage {
                SecretUse::Read => wit_types::SecretUse::Read,
                SecretUse::BearerToken => wit_types::SecretUse::BearerToken,
                SecretUse::Header(name) => wit_types::SecretUse::Header(name),
            },
        }
    }
}

impl From<wit_types::DataQuery> for DataQuery {
    fn from(query: wit_types::DataQuery) -> Self {
        Self {
            ref_id: query.ref_id,
            query_type: query.query_type,
            time_range: TimeRange {
                from_ns: query.time_range.from_ns,
                to_ns: query.time_range.to_ns,
            },
            interval_ms: query.interval_ms,
            max_data_points: query.max_data_points,
            json: query.json,
        }
    }
}

impl From<ErrorKind> for wit_types::ErrorKind {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::BadRequest => Self::BadRequest,
            ErrorKind::NotFound => Self::NotFound,
            ErrorKind::Unauthorized => Self::Unauthorized,
            ErrorKind::Forbidden => Self::Forbidden,
            ErrorKind::Timeout => Self::Timeout,
            ErrorKind::Downstream => Self::Downstream,
            ErrorKind::NotImplemented => Self::NotImplemented,
            ErrorKind::Internal => Self::Internal,
        }
    }
}

impl From<Error> for wit_types::Error {
    fn from(err: Error) -> Self {
        Self {
            kind: err.kind.into(),
            message: err.message,
            context: err.context,
        }
    }
}

impl From<Health> for wit_types::Health {
    fn from(health: Health) -> Self {
        Self {
            status: match health.status {
                HealthStatus::Unknown => wit_types::HealthStatus::Unknown,
                HealthStatus::Ok => wit_types::HealthStatus::Ok,
                HealthStatus::Error => wit_types::HealthStatus::Error,
            },
            message: health.message,
            json_details: health.details.map(|details| details.to_string()),
        }
    }
}

/// Serializes the frames' meta and field configs into the JSON text the WIT records carry.
pub(crate) fn frames_to_wit(frames: Vec<Frame>) -> Result<Vec<wit_types::Frame>, Error> {
    frames.into_iter().map(frame_to_wit).collect()
}

fn frame_to_wit(frame: Frame) -> Result<wit_types::Frame, Error> {
    let meta = frame
        .meta
        .map(|meta| to_json(&meta).context(format!("meta of frame {:?}", frame.name)))
        .transpose()?;
    let fields = frame
        .fields
        .into_iter()
        .map(|field| field_to_wit(field).context(format!("frame {:?}", frame.name)))
        .collect::<Result<_, _>>()?;
    Ok(wit_types::Frame {
        name: frame.name,
        meta,
        fields,
    })
}

fn field_to_wit(field: Field) -> Result<wit_types::Field, Error> {
    let config = field
        .config
        .map(|config| to_json(&config).context(format!("config of field {:?}", field.name)))
        .transpose()?;
    Ok(wit_types::Field {
        name: field.name,
        labels: field
            .labels
            .into_iter()
            .map(|(key, value)| wit_types::KeyValue { key, value })
            .collect(),
        config,
        values: field.values,
        validity: field.validity,
    })
}

pub(crate) fn subscribe_response_to_wit(
    response: SubscribeResponse,
) -> Result<wit_types::SubscribeResponse, Error> {
    Ok(match response {
        SubscribeResponse::Ok(subscription) => {
            wit_types::SubscribeResponse::Ok(wit_types::Subscription {
                interval_ms: u32::try_from(subscription.interval.as_millis()).unwrap_or(u32::MAX),
                initial: subscription.initial.map(frame_to_wit).transpose()?,
            })
        }
        SubscribeResponse::NotFound => wit_types::SubscribeResponse::NotFound,
        SubscribeResponse::PermissionDenied => wit_types::SubscribeResponse::PermissionDenied,
    })
}

fn to_json(value: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|err| Error::internal(err.to_string()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::{Column, FieldConfig, FrameMeta, FrameType, Subscription};

    #[test]
    fn frame_to_wit_serializes_meta_config_and_labels() {
        let frame = Frame::new("f")
            .with_meta(FrameMeta {
                frame_type: Some(FrameType::TimeseriesMulti),
                type_version: Some([0, 1]),
                ..Default::default()
            })
            .with_field(
                Field::new("value", vec![Some(1.0), None])
                    .with_labels([("series", "0"), ("dc", "x")])
                    .with_config(FieldConfig {
                        display_name: Some("f".into()),
                        ..Default::default()
                    }),
            );
        let wit = frame_to_wit(frame).unwrap();
        assert_eq!(
            wit,
            wit_types::Frame {
                name: "f".into(),
                meta: Some(r#"{"type":"timeseries-multi","typeVersion":[0,1]}"#.into()),
                fields: vec![wit_types::Field {
                    name: "value".into(),
                    labels: vec![
                        wit_types::KeyValue {
                            key: "dc".into(),
                            value: "x".into(),
                        },
                        wit_types::KeyValue {
                            key: "series".into(),
                            value: "0".into(),
                        },
                    ],
                    config: Some(r#"{"displayName":"f"}"#.into()),
                    values: Column::Float64(vec![1.0, 0.0]),
                    validity: Some(vec![true, false]),
                }],
            }
        );
    }

    #[test]
    fn settings_and_query_from_wit() {
        let settings = InstanceSettings::from(wit_types::InstanceSettings {
            uid: "u".into(),
            name: "n".into(),
            url: "http://x".into(),
            json_data: "{}".into(),
            secure_json_data: vec![wit_types::KeyValue {
                key: "k".into(),
                value: "v".into(),
            }],
            updated_ms: 7,
        });
        assert_eq!(settings.secure("k"), Some("v"));
        assert_eq!(settings.updated_ms, 7);

        let query = DataQuery::from(wit_types::DataQuery {
            ref_id: "A".into(),
            query_type: String::new(),
            time_range: wit_types::TimeRange {
                from_ns: 1,
                to_ns: 2,
            },
            interval_ms: 3,
            max_data_points: 4,
            json: "{}".into(),
        });
        assert_eq!(
            query.time_range,
            TimeRange {
                from_ns: 1,
                to_ns: 2
            }
        );
        assert_eq!((query.interval_ms, query.max_data_points), (3, 4));
    }

    #[test]
    fn secret_grants_to_wit() {
        let grants: Vec<wit_types::SecretGrant> = [
            SecretGrant::read("a"),
            SecretGrant::bearer_token("b"),
            SecretGrant::header("c", "X-Api-Key"),
        ]
        .into_iter()
        .map(Into::into)
        .collect();
        let want = [
            ("a", wit_types::SecretUse::Read),
            ("b", wit_types::SecretUse::BearerToken),
            ("c", wit_types::SecretUse::Header("X-Api-Key".into())),
        ];
        assert_eq!(grants.len(), want.len());
        for (grant, (key, usage)) in grants.iter().zip(want) {
            assert_eq!((grant.key.as_str(), &grant.use_), (key, &usage));
        }
    }

    #[test]
    fn error_and_health_to_wit() {
        let err = wit_types::Error::from(Error::forbidden("no").context("ctx"));
        assert_eq!(err.kind, wit_types::ErrorKind::Forbidden);
        assert_eq!(
            (err.message.as_str(), err.context),
            ("no", vec!["ctx".into()])
        );

        let health = wit_types::Health::from(Health::error("down").with_details(json!({"a": 1})));
        assert_eq!(health.status, wit_types::HealthStatus::Error);
        assert_eq!(health.json_details.as_deref(), Some(r#"{"a":1}"#));
    }

    #[test]
    fn subscription_interval_in_ms() {
        let response = subscribe_response_to_wit(SubscribeResponse::Ok(
            Subscription::every(Duration::from_millis(1500)).with_initial(Frame::new("x")),
        ))
        .unwrap();
        let wit_types::SubscribeResponse::Ok(subscription) = response else {
            panic!("not ok: {response:?}");
        };
        assert_eq!(subscription.interval_ms, 1500);
        assert_eq!(subscription.initial.unwrap().name, "x");
    }
}
