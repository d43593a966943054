//! What one module call may consume.

use std::time::Duration;

use quarry_frame::FrameLimits;

/// Limits applied to every call into a module.
///
/// # Default
/// 30 s per call, 256 MiB of linear memory, 1,000 log lines of at most 4 KiB per call, and
/// [`FrameLimits::default`] for what the module returns.
#[derive(Debug, Clone)]
pub struct ModuleLimits {
    pub call_timeout: Duration,
    pub max_memory_bytes: usize,
    pub max_log_lines_per_call: u32,
    pub max_log_line_bytes: usize,
    pub frames: FrameLimits,
}

impl Default for ModuleLimits {
    fn default() -> Self {
        ModuleLimits {
            call_timeout: Duration::from_secs(30),
            max_memory_bytes: 256 << 20,
            max_log_lines_per_call: 1000,
            max_log_line_bytes: 4096,
            frames: FrameLimits::default(),
        }
    }
}

impl ModuleLimits {
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    pub fn with_max_memory_bytes(mut self, bytes: usize) -> Self {
        self.max_memory_bytes = bytes;
        self
    }
}
