//! The one place that decides what a module can import, interface by interface.
//!
//! Linked, because toolchains' standard libraries import them: `wasi:io`, `wasi:clocks`,
//! `wasi:random`, `wasi:cli` (environment empty, stdin empty, stdout discarded, stderr captured and
//! capped, exit) and `wasi:filesystem` (with no preopened directory, so no file is reachable).
//! Linked under the datasource's policy: `wasi:http/outgoing-handler` and its types. Ours:
//! `quarry:datasource/log` (0.3 and 0.2). Everything else — `wasi:sockets` above all — is defined
//! as a function that traps when called: a module that merely imports it still loads, and one
//! that calls it fails that call.

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, HasData, HasSelf, Linker, ResourceTable, ResourceType};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView as _};
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView as _};
use wasmtime_wasi::p2::bindings::{cli, clocks, filesystem, io, random};
use wasmtime_wasi::random::{WasiRandom, WasiRandomView as _};

use super::state::HostState;
use crate::bindings::{current, v0_2};

/// `wasi:io` works on the resource table alone.
struct Io;

impl HasData for Io {
    type Data<'a> = &'a mut ResourceTable;
}

/// The linker every module is instantiated with.
pub(crate) fn new_linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut l = Linker::<HostState>::new(engine);
    io::error::add_to_linker::<HostState, Io>(&mut l, |s| s.ctx().table)?;
    io::poll::add_to_linker::<HostState, Io>(&mut l, |s| s.ctx().table)?;
    io::streams::add_to_linker::<HostState, Io>(&mut l, |s| s.ctx().table)?;
    clocks::wall_clock::add_to_linker::<HostState, WasiClocks>(&mut l, HostState::clocks)?;
    clocks::monotonic_clock::add_to_linker::<HostState, WasiClocks>(&mut l, HostState::clocks)?;
    random::random::add_to_linker::<HostState, WasiRandom>(&mut l, HostState::random)?;
    random::insecure::add_to_linker::<HostState, WasiRandom>(&mut l, HostState::random)?;
    random::insecure_seed::add_to_linker::<HostState, WasiRandom>(&mut l, HostState::random)?;
    cli::exit::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    cli::environment::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    cli::stdin::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    cli::stdout::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    cli::stderr::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    cli::terminal_input::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    cli::terminal_output::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    cli::terminal_stdin::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    cli::terminal_stdout::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    cli::terminal_stderr::add_to_linker::<HostState, WasiCli>(&mut l, HostState::cli)?;
    filesystem::types::add_to_linker::<HostState, WasiFilesystem>(&mut l, HostState::filesystem)?;
    filesystem::preopens::add_to_linker::<HostState, WasiFilesystem>(
        &mut l,
        HostState::filesystem,
    )?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut l)?;
    current::Module::add_to_linker::<_, HasSelf<_>>(&mut l, |s| s)?;
    v0_2::quarry::datasource::log::add_to_linker::<_, HasSelf<_>>(&mut l, |s| s)?;
    // 0.2's record types are 0.3's; its types interface has no functions to link.
    l.instance("quarry:datasource/types@0.2.0")?;
    Ok(l)
}

/// Interface families [`new_linker`] links; imports outside them are stubbed.
const LINKED: &[&str] = &[
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:cli/",
    "wasi:filesystem/",
    "wasi:http/",
    "quarry:datasource/",
];

/// Defines every import of `component` outside the linked families (`wasi:sockets` above all)
/// as functions that trap, so modules that import more than they use still load.
///
/// Resource types an unknown interface only re-uses from another (a socket's `input-stream`)
/// are left to the interface that defines them; the ones it defines get a host type that no
/// function can ever produce.
pub(crate) fn stub_unknown_imports(
    linker: &Linker<HostState>,
    component: &Component,
) -> wasmtime::Result<Linker<HostState>> {
    let engine = component.engine();
    let mut l = linker.clone();
    let mut seen: Vec<ResourceType> = Vec::new();
    for (name, item) in component.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        let known = LINKED.iter().any(|family| name.starts_with(family));
        let mut stub = if known { None } else { Some(l.instance(name)?) };
        for (export, item) in instance.exports(engine) {
            match item.ty {
                ComponentItem::Resource(ty) => {
                    if seen.contains(&ty) {
                        continue;
                    }
                    seen.push(ty);
                    if let Some(stub) = stub.as_mut() {
                        stub.resource(export, ResourceType::host::<Unavailable>(), |_, _| Ok(()))?;
                    }
                }
                ComponentItem::ComponentFunc(_) => {
                    if let Some(stub) = stub.as_mut() {
                        let full = format!("{name}#{export}");
                        stub.func_new(export, move |_, _, _, _| {
                            wasmtime::bail!("{full} is not available to Quarry modules")
                        })?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(l)
}

/// The host type of resources from interfaces modules are not granted.
struct Unavailable;
