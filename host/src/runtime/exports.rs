//! A module's exports, whichever contract version it was built for: one adapter over the
//! per-version bindings, so the rest of the runtime speaks only the current contract.

use wasmtime::component::{InstancePre, ResourceAny};
use wasmtime::{Engine, Store};

use super::state::HostState;
use crate::bindings::{Contract, current, v0_2, wit_types};

/// A compiled, linked module ready to instantiate.
#[derive(Clone)]
pub(crate) enum ModulePre {
    V0_3(current::ModulePre<HostState>),
    V0_2(v0_2::ModulePre<HostState>),
}

impl ModulePre {
    /// Checks the instance's exports against the contract it was built for.
    pub(crate) fn new(contract: Contract, pre: InstancePre<HostState>) -> wasmtime::Result<Self> {
        Ok(match contract {
            Contract::V0_3 => ModulePre::V0_3(current::ModulePre::new(pre)?),
            Contract::V0_2 => ModulePre::V0_2(v0_2::ModulePre::new(pre)?),
        })
    }

    pub(crate) fn engine(&self) -> &Engine {
        match self {
            ModulePre::V0_3(p) => p.engine(),
            ModulePre::V0_2(p) => p.engine(),
        }
    }

    pub(crate) async fn instantiate(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Exports> {
        Ok(match self {
            ModulePre::V0_3(p) => Exports::V0_3(p.instantiate_async(store).await?),
            ModulePre::V0_2(p) => Exports::V0_2(p.instantiate_async(store).await?),
        })
    }
}

/// The exports of one instantiated module.
pub(crate) enum Exports {
    V0_3(current::Module),
    V0_2(v0_2::Module),
}

/// Runs `$body` with `$ds` bound to the module's `datasource` interface, whatever its version:
/// the versions share every record type, so the same call compiles for each.
macro_rules! on_datasource {
    ($exports:expr, |$ds:ident| $body:expr) => {
        match $exports {
            Exports::V0_3(m) => {
                let $ds = m.quarry_datasource_datasource();
                $body
            }
            Exports::V0_2(m) => {
                let $ds = m.quarry_datasource_datasource();
                $body
            }
        }
    };
}

impl Exports {
    pub(crate) async fn secure_settings(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Vec<wit_types::SecretGrant>> {
        on_datasource!(self, |ds| ds.call_secure_settings(store).await)
    }

    /// The module's descriptor; `None` for modules built for 0.2, which have none.
    pub(crate) async fn describe(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Option<wit_types::Descriptor>> {
        match self {
            Exports::V0_3(m) => m
                .quarry_datasource_datasource()
                .call_describe(store)
                .await
                .map(Some),
            Exports::V0_2(_) => Ok(None),
        }
    }

    pub(crate) async fn create(
        &self,
        store: &mut Store<HostState>,
        settings: &wit_types::InstanceSettings,
    ) -> wasmtime::Result<Result<ResourceAny, wit_types::Error>> {
        on_datasource!(self, |ds| ds.instance().call_create(store, settings).await)
    }

    pub(crate) async fn query(
        &self,
        store: &mut Store<HostState>,
        handle: ResourceAny,
        query: &wit_types::DataQuery,
    ) -> wasmtime::Result<Result<Vec<wit_types::Frame>, wit_types::Error>> {
        on_datasource!(self, |ds| ds
            .instance()
            .call_query(store, handle, query)
            .await)
    }

    pub(crate) async fn check_health(
        &self,
        store: &mut Store<HostState>,
        handle: ResourceAny,
    ) -> wasmtime::Result<wit_types::Health> {
        on_datasource!(self, |ds| ds
            .instance()
            .call_check_health(store, handle)
            .await)
    }

    pub(crate) async fn call_resource(
        &self,
        store: &mut Store<HostState>,
        handle: ResourceAny,
        request: &wit_types::ResourceRequest,
    ) -> wasmtime::Result<Result<wit_types::ResourceResponse, wit_types::Error>> {
        on_datasource!(self, |ds| ds
            .instance()
            .call_call_resource(store, handle, request)
            .await)
    }

    pub(crate) async fn subscribe_stream(
        &self,
        store: &mut Store<HostState>,
        handle: ResourceAny,
        request: &wit_types::SubscribeRequest,
    ) -> wasmtime::Result<Result<wit_types::SubscribeResponse, wit_types::Error>> {
        on_datasource!(self, |ds| ds
            .instance()
            .call_subscribe_stream(store, handle, request)
            .await)
    }

    pub(crate) async fn stream_tick(
        &self,
        store: &mut Store<HostState>,
        handle: ResourceAny,
        path: &str,
        data: &str,
    ) -> wasmtime::Result<Result<Vec<wit_types::Frame>, wit_types::Error>> {
        on_datasource!(self, |ds| ds
            .instance()
            .call_stream_tick(store, handle, path, data)
            .await)
    }

    pub(crate) async fn publish_stream(
        &self,
        store: &mut Store<HostState>,
        handle: ResourceAny,
        path: &str,
        data: &str,
    ) -> wasmtime::Result<Result<wit_types::PublishResponse, wit_types::Error>> {
        on_datasource!(self, |ds| ds
            .instance()
            .call_publish_stream(store, handle, path, data)
            .await)
    }
}
