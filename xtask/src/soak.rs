//! `cargo xtask soak [rounds]`: the sandbox under a bounded mix of good and hostile calls from
//! several datasources (host/examples/soak.rs), through the debug plugin binary the tests use.

use crate::build::{build_modules, host_binary};
use crate::util::{cargo, run};

pub(crate) fn soak(rest: &[String]) -> anyhow::Result<()> {
    let modules = build_modules()?;
    let host = host_binary(false)?;
    let mut cmd = cargo();
    cmd.args(["run", "-p", "quarry-host", "--example", "soak", "--"])
        .arg(&host)
        .arg(&modules)
        .args(rest);
    run(cmd)
}
