//! The one `wasmtime::Config` (async calls are always available in this wasmtime;
//! exports are awaited from tokio tasks and epoch yields keep a busy module from starving them) and the epoch ticker that drives deadlines.

use std::time::Duration;

use wasmtime::{Config, Engine, OptLevel};

/// How often the epoch advances. Deadlines and cooperative yields are counted in these ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Builds the engine every module is compiled with.
pub(crate) fn new_engine(opt: crate::policy::host::OptLevel) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    // Deadlines: the store's epoch callback checks the call's deadline every tick.
    config.epoch_interruption(true);
    // Copy-on-write initial memory makes per-call instantiation cheap.
    config.memory_init_cow(true);
    config.cranelift_opt_level(match opt {
        crate::policy::host::OptLevel::Speed => OptLevel::Speed,
        crate::policy::host::OptLevel::None => OptLevel::None,
    });
    // One core per compile: modules compile side by side in `compile_concurrency` slots, so a
    // huge module takes one core for as long as it needs and never all of them.
    config.parallel_compilation(false);
    let engine = Engine::new(&config)?;
    start_epoch_ticker(&engine);
    Ok(engine)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("quarry-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch ticker thread");
}
