//! `http_fields`: tens of thousands of live `wasi:http` header maps, each near its 64 KiB cap,
//! all kept: the host holds them, not the module's linear memory.

use quarry_guest::{Error, Frame};
use wasip2::http::types::Fields;

pub(crate) fn frames() -> Result<Vec<Frame>, Error> {
    let value = vec![b'x'; 60_000];
    let mut kept = Vec::new();
    for i in 0..50_000u32 {
        let fields = Fields::from_list(&[(format!("x-h{i}"), value.clone())])
            .map_err(|e| Error::internal(format!("fields.from-list failed: {e:?}")))?;
        kept.push(fields);
    }
    std::hint::black_box(&kept);
    Ok(super::ok::frames())
}
