//! [`InstanceImpl`]: adapts a [`Datasource`] to the generated `GuestInstance` trait.

use std::fmt;

use crate::Datasource;
use crate::bindings::exports::quarry::datasource::datasource::{Guest, GuestInstance, Instance};
use crate::bindings::quarry::datasource::types as wit_types;
use crate::convert::{frames_to_wit, subscribe_response_to_wit};

/// The exported `instance` resource's representation: the module's datasource value.
///
/// Named by the [`export!`](crate::export) macro; module authors never see it.
pub struct InstanceImpl<T>(T);

impl<T> fmt::Debug for InstanceImpl<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("InstanceImpl")
            .field(&std::any::type_name::<T>())
            .finish()
    }
}

impl<T: Datasource> Guest for InstanceImpl<T> {
    type Instance = Self;

    fn secure_settings() -> Vec<wit_types::SecretGrant> {
        T::secure_settings().into_iter().map(Into::into).collect()
    }

    fn describe() -> wit_types::Descriptor {
        T::describe().into()
    }
}

impl<T: Datasource> GuestInstance for InstanceImpl<T> {
    fn create(settings: wit_types::InstanceSettings) -> Result<Instance, wit_types::Error> {
        let datasource = T::new(settings.into())?;
        Ok(Instance::new(Self(datasource)))
    }

    fn query(
        &self,
        query: wit_types::DataQuery,
    ) -> Result<Vec<wit_types::Frame>, wit_types::Error> {
        Ok(frames_to_wit(self.0.query(query.into())?)?)
    }

    fn check_health(&self) -> wit_types::Health {
        self.0.check_health().into()
    }

    fn call_resource(
        &self,
        request: wit_types::ResourceRequest,
    ) -> Result<wit_types::ResourceResponse, wit_types::Error> {
        Ok(self.0.call_resource(request)?)
    }

    fn subscribe_stream(
        &self,
        request: wit_types::SubscribeRequest,
    ) -> Result<wit_types::SubscribeResponse, wit_types::Error> {
        Ok(subscribe_response_to_wit(
            self.0.subscribe_stream(request)?,
        )?)
    }

    fn stream_tick(
        &self,
        path: String,
        data: String,
    ) -> Result<Vec<wit_types::Frame>, wit_types::Error> {
        Ok(frames_to_wit(self.0.stream_tick(&path, &data)?)?)
    }

    fn publish_stream(
        &self,
        path: String,
        data: String,
    ) -> Result<wit_types::PublishResponse, wit_types::Error> {
        Ok(self.0.publish_stream(&path, &data)?)
    }
}
