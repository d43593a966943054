//! Hostile components the SDK cannot express, made by appending sections to a real module: a
//! core module with many memories or large tables, or many core instances, instantiated along
//! with the rest of the component.

use wasm_encoder::{
    CodeSection, Function, FunctionSection, Instruction, MemArg, MemorySection, MemoryType, Module,
    ModuleArg, RefType, StartSection, TableSection, TableType, TypeSection,
};
use wasmparser::{Parser, Payload};

/// Core modules defined at the top level of a component (the index the next one gets).
fn top_level_modules(component: &[u8]) -> u32 {
    let mut depth = 0i32;
    let mut modules = 0;
    for payload in Parser::new(0).parse_all(component) {
        match payload.expect("a valid component") {
            Payload::ModuleSection { .. } => {
                if depth == 0 {
                    modules += 1;
                }
                depth += 1;
            }
            Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            _ => {}
        }
    }
    modules
}

/// `component` with `module` appended and instantiated `instances` times.
pub fn with_core_module(component: &[u8], module: &Module, instances: u32) -> Vec<u8> {
    let index = top_level_modules(component);
    let mut extra = wasm_encoder::Component::new();
    extra.section(&wasm_encoder::ModuleSection(module));
    let mut section = wasm_encoder::InstanceSection::new();
    for _ in 0..instances {
        section.instantiate(index, Vec::<(&str, ModuleArg)>::new());
    }
    extra.section(&section);
    let bytes = extra.finish();
    let mut out = component.to_vec();
    // The appended component's sections, without its 8-byte preamble.
    out.extend_from_slice(&bytes[8..]);
    out
}

/// A core module with `count` memories of `pages` 64 KiB pages, whose start function writes a
/// byte to every page of every memory, so each memory is really resident.
pub fn memories(count: u32, pages: u64) -> Module {
    let mut types = TypeSection::new();
    types.ty().function([], []);
    let mut functions = FunctionSection::new();
    functions.function(0);
    let mut mems = MemorySection::new();
    for _ in 0..count {
        mems.memory(MemoryType {
            minimum: pages,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
    }
    let mut body = Function::new([]);
    for m in 0..count {
        for p in 0..pages {
            body.instruction(&Instruction::I32Const((p * 65536) as i32));
            body.instruction(&Instruction::I32Const(1));
            body.instruction(&Instruction::I32Store8(MemArg {
                offset: 0,
                align: 0,
                memory_index: m,
            }));
        }
    }
    body.instruction(&Instruction::End);
    let mut code = CodeSection::new();
    code.function(&body);
    let mut module = Module::new();
    module
        .section(&types)
        .section(&functions)
        .section(&mems)
        .section(&StartSection { function_index: 0 })
        .section(&code);
    module
}

/// A core module with `count` funcref tables of `elements` elements each.
pub fn tables(count: u32, elements: u64) -> Module {
    let mut tables = TableSection::new();
    for _ in 0..count {
        tables.table(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: elements,
            maximum: None,
            shared: false,
        });
    }
    let mut module = Module::new();
    module.section(&tables);
    module
}

/// An empty core module, for instantiating many times.
pub fn empty() -> Module {
    Module::new()
}

/// A core module with `count` small functions, each exported so none can be dropped: slow to
/// compile, harmless to run.
pub fn many_functions(count: u32) -> Module {
    let mut types = TypeSection::new();
    types
        .ty()
        .function([wasm_encoder::ValType::I32], [wasm_encoder::ValType::I32]);
    let mut functions = FunctionSection::new();
    let mut exports = wasm_encoder::ExportSection::new();
    let mut code = CodeSection::new();
    for i in 0..count {
        functions.function(0);
        exports.export(&format!("f{i}"), wasm_encoder::ExportKind::Func, i);
        let mut body = Function::new([]);
        for k in 0..8 {
            body.instruction(&Instruction::LocalGet(0));
            body.instruction(&Instruction::I32Const(k + i as i32));
            body.instruction(&Instruction::I32Mul);
            body.instruction(&Instruction::LocalSet(0));
        }
        body.instruction(&Instruction::LocalGet(0));
        body.instruction(&Instruction::End);
        code.function(&body);
    }
    let mut module = Module::new();
    module
        .section(&types)
        .section(&functions)
        .section(&exports)
        .section(&code);
    module
}

/// `component` padded with a custom section of `bytes` bytes.
pub fn padded(component: &[u8], bytes: usize) -> Vec<u8> {
    let mut extra = wasm_encoder::Component::new();
    extra.section(&wasm_encoder::CustomSection {
        name: "padding".into(),
        data: vec![0u8; bytes].into(),
    });
    let encoded = extra.finish();
    let mut out = component.to_vec();
    out.extend_from_slice(&encoded[8..]);
    out
}
