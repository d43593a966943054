//! Resources the host answers itself, under the reserved prefix `_quarry/`: what Grafana's
//! editors need to know before (or regardless of) any module — the modules available, and this
//! datasource's module status. A request under the prefix never reaches a module.
//!
//! - `GET _quarry/modules`: every `.wasm` in the modules directory, with its size, SHA-256,
//!   contract version and descriptor, or why it cannot load.
//! - `GET _quarry/status`: the datasource's module reference, the version running (name,
//!   SHA-256, contract, size, when it was loaded, descriptor), the version a rollback would
//!   return to, and the last version refused and why.
//! - `GET _quarry/instances` (org admins): every live datasource instance of the caller's org,
//!   with its module reference and the version it runs.
//! - `POST _quarry/rollback` (org admins): moves every datasource on this datasource's module
//!   reference back to the version it ran before; the version left is refused from then on.

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
            ("GET", "instances") => match admin(ctx) {
                Ok(()) => json_response(self.instances_json(ctx)),
                Err(denied) => denied,
            },
            ("POST", "rollback") => match admin(ctx) {
                Ok(()) => self.rollback(ctx).await,
                Err(denied) => denied,
            },
            (_, "modules" | "status" | "instances") => ResourceResponse::json_error(
                405,
                &format!("{RESERVED_PREFIX}{rest} answers GET only"),
            ),
            (_, "rollback") => ResourceResponse::json_error(
                405,
                &format!("{RESERVED_PREFIX}rollback answers POST only"),
            ),
            _ => ResourceResponse::json_error(
                404,
                &format!(
                    "no host resource {path:?}: the host answers {RESERVED_PREFIX}modules, {RESERVED_PREFIX}status, {RESERVED_PREFIX}instances and {RESERVED_PREFIX}rollback (paths under {RESERVED_PREFIX} never reach the module)"
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
            "since": null,
            "previous": null,
            "rejected": null,
            "lastReloadError": null,
            "error": null,
        });
        match self.instances.get(ctx).await {
            Ok(inst) => {
                let module = inst.module();
                out["running"] = module_json(self.runtime(), &module).await;
                out["running"]["manifestDigest"] = inst.manifest().into();
                out["since"] = rfc3339(inst.since()).into();
                out["previous"] = inst.previous().map(|v| version_json(&v)).into();
                out["rejected"] = inst.rejected().map(|r| rejected_json(&r)).into();
                out["lastReloadError"] = inst.reload_error().into();
            }
            Err(e) => out["error"] = e.to_string().into(),
        }
        out
    }
}

impl Dispatcher {
    /// Every live instance of the caller's org.
    fn instances_json(&self, ctx: &PluginContext) -> Value {
        let mut list: Vec<Value> = self
            .instances
            .live()
            .into_iter()
            .filter(|i| i.org_id == ctx.org_id)
            .map(|i| {
                let module = i.module();
                json!({
                    "uid": i.settings.uid,
                    "name": i.settings.name,
                    "module": i.reference(),
                    "sha256": module.sha256,
                    "manifestDigest": i.manifest(),
                    "contract": module.contract_name,
                    "loadedAt": rfc3339(module.loaded_at),
                    "since": rfc3339(i.since()),
                    "idleSeconds": i.idle_for().as_secs(),
                    "previous": i.previous().map(|v| v.module.sha256.clone()),
                    "rejected": i.rejected().map(|r| rejected_json(&r)),
                })
            })
            .collect();
        list.sort_by(|a, b| a["uid"].as_str().cmp(&b["uid"].as_str()));
        json!({ "instances": list })
    }

    async fn rollback(&self, ctx: &PluginContext) -> ResourceResponse {
        let inst = match self.instances.get(ctx).await {
            Ok(i) => i,
            Err(e) => {
                let status = super::dispatch::instance_error(&e).status;
                return ResourceResponse::json_error(status, &e.to_string());
            }
        };
        match self.instances.roll_back(&inst).await {
            Ok((from, to)) => json_response(json!({
                "module": inst.reference(),
                "from": version_json(&from),
                "to": version_json(&to),
            })),
            Err(e @ crate::instance::RollbackError::NoPrevious { .. }) => {
                ResourceResponse::json_error(409, &e.to_string())
            }
            Err(e) => ResourceResponse::json_error(500, &e.to_string()),
        }
    }
}

/// Operator actions and the fleet view are for org admins only.
fn admin(ctx: &PluginContext) -> Result<(), ResourceResponse> {
    if ctx.user_role.eq_ignore_ascii_case("admin") {
        return Ok(());
    }
    Err(ResourceResponse::json_error(
        403,
        &format!(
            "this host resource is for org admins (your role: {})",
            if ctx.user_role.is_empty() {
                "none sent"
            } else {
                &ctx.user_role
            }
        ),
    ))
}

fn version_json(v: &crate::instance::Version) -> Value {
    json!({
        "sha256": v.module.sha256,
        "manifestDigest": v.manifest,
        "contract": v.module.contract_name,
        "loadedAt": rfc3339(v.module.loaded_at),
    })
}

fn rejected_json(r: &crate::instance::Rejected) -> Value {
    json!({
        "sha256": r.digest,
        "manifestDigest": r.manifest,
        "reason": r.reason,
        "at": rfc3339(r.at),
    })
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
