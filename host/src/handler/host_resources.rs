//! Resources the host answers itself, under the reserved prefix `_quarry/`: what Grafana's
//! editors need to know before (or regardless of) any module — the modules available, and this
//! datasource's module status. A request under the prefix never reaches a module.
//!
//! - `GET _quarry/modules`: every `.wasm` in the modules directory, with its size, SHA-256,
//!   contract version and descriptor, or why it cannot load.
//! - `GET _quarry/status`: the datasource's module reference, the version running (name,
//!   SHA-256, contract, size, when it was loaded, descriptor) and the last failed reload.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::{Dispatcher, PluginContext, ResourceRequest, ResourceResponse};
use crate::policy::ModulePolicy;
use crate::runtime::{CompiledModule, Runtime};

/// The path prefix the host keeps for itself.
pub const RESERVED_PREFIX: &str = "_quarry/";

/// How long the module list waits for one module still compiling before it reports it as such.
const COMPILE_WAIT: Duration = Duration::from_secs(5);

/// Whether a resource path is the host's.
pub(crate) fn is_reserved(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    path.starts_with(RESERVED_PREFIX) || path == RESERVED_PREFIX.trim_end_matches('/')
}

impl Dispatcher {
    /// Answers a request under [`RESERVED_PREFIX`].
    pub(crate) async fn host_resource(
        &self,
        ctx: &PluginContext,
        req: &ResourceRequest,
    ) -> ResourceResponse {
        let path = req.path.trim_start_matches('/');
        let rest = path.strip_prefix(RESERVED_PREFIX).unwrap_or("");
        let rest = rest.trim_end_matches('/');
        match (req.method.to_ascii_uppercase().as_str(), rest) {
            ("GET", "modules") => json_response(modules(self.runtime()).await),
            ("GET", "status") => json_response(self.status(ctx).await),
            (_, "modules" | "status") => ResourceResponse::json_error(
                405,
                &format!("{RESERVED_PREFIX}{rest} answers GET only"),
            ),
            _ => ResourceResponse::json_error(
                404,
                &format!(
                    "no host resource {path:?}: the host answers {RESERVED_PREFIX}modules and {RESERVED_PREFIX}status (paths under {RESERVED_PREFIX} never reach the module)"
                ),
            ),
        }
    }

    async fn status(&self, ctx: &PluginContext) -> Value {
        let Some(settings) = ctx.datasource.as_ref() else {
            return json!({"error": "the request carries no datasource"});
        };
        let reference = ModulePolicy::from_settings(settings)
            .ok()
            .and_then(|p| p.module);
        let mut out = json!({
            "uid": settings.uid,
            "module": reference,
            "running": null,
            "lastReloadError": null,
            "error": null,
        });
        match self.instances.get(ctx).await {
            Ok(inst) => {
                let module = inst.module().clone();
                out["running"] = module_json(self.runtime(), &module).await;
                out["lastReloadError"] = inst.reload_error().into();
            }
            Err(e) => out["error"] = e.to_string().into(),
        }
        out
    }
}

fn json_response(body: Value) -> ResourceResponse {
    ResourceResponse {
        status: 200,
        headers: vec![(
            "Content-Type".to_string(),
            vec!["application/json".to_string()],
        )],
        body: body.to_string().into_bytes(),
    }
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// A compiled module as the resources describe it.
async fn module_json(runtime: &Runtime, module: &std::sync::Arc<CompiledModule>) -> Value {
    let (descriptor, error) = match runtime.descriptor(module).await {
        Ok(d) => (d, None),
        Err(e) => (
            None,
            Some(format!("the module's descriptor is unusable: {e}")),
        ),
    };
    json!({
        "name": module.name(),
        "sha256": module.sha256,
        "contract": module.contract_name,
        "size": module.size,
        "loadedAt": rfc3339(module.loaded_at),
        "descriptor": descriptor,
        "descriptorError": error,
    })
}

/// Every module of the modules directory, sorted by name.
async fn modules(runtime: &Runtime) -> Value {
    let dir = runtime.modules_dir();
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .filter_map(|e| {
                let p = e.path();
                (p.extension().is_some_and(|x| x == "wasm"))
                    .then(|| p.file_stem()?.to_str().map(str::to_string))
                    .flatten()
            })
            .collect(),
        Err(e) => {
            return json!({
                "modules": [],
                "error": format!("the modules directory {} cannot be read: {e}", dir.display()),
            });
        }
    };
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let file = format!("{name}.wasm");
        let path = dir.join(&file);
        let mut entry = json!({
            "name": name,
            "file": file,
            "size": std::fs::metadata(&path).map(|m| m.len()).ok(),
            "sha256": null,
            "contract": null,
            "descriptor": null,
            "error": null,
        });
        match tokio::time::timeout(COMPILE_WAIT, runtime.load(&name)).await {
            Err(_) => entry["error"] = "still compiling; ask again shortly".into(),
            Ok(Err(e)) => {
                entry["error"] = e.to_string().into();
                if let Ok(bytes) = std::fs::read(&path) {
                    entry["sha256"] = crate::runtime::sha256_hex(&bytes).into();
                }
            }
            Ok(Ok(module)) => {
                let described = module_json(runtime, &module).await;
                entry["sha256"] = described["sha256"].clone();
                entry["contract"] = described["contract"].clone();
                entry["descriptor"] = described["descriptor"].clone();
                entry["error"] = described["descriptorError"].clone();
            }
        }
        out.push(entry);
    }
    json!({ "modules": out })
}

#[cfg(test)]
mod tests {
    use super::is_reserved;

    #[test]
    fn the_reserved_prefix_is_recognised_however_it_is_spelled() {
        for p in [
            "_quarry/modules",
            "/_quarry/status",
            "_quarry/",
            "_quarry",
            "_quarry/x/y",
        ] {
            assert!(is_reserved(p), "{p}");
        }
        for p in [
            "quarry/modules",
            "_quarryx",
            "scenarios",
            "x/_quarry/modules",
        ] {
            assert!(!is_reserved(p), "{p}");
        }
    }
}
