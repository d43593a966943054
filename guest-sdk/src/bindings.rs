//! The one `wit_bindgen::generate!` of the guest side: Rust types and glue for world `module`.
//!
//! Module authors use the ergonomic types re-exported at the crate root; this module is public
//! only because the [`export!`](crate::export) macro expands to code that names it.

wit_bindgen::generate!({
    world: "module",
    path: "../wit",
    pub_export_macro: true,
    export_macro_name: "__export_module",
    default_bindings_module: "quarry_guest::bindings",
    additional_derives: [PartialEq],
});
