//! Frames and helpers shared by the unit tests.

use std::path::PathBuf;

use serde_json::json;

use crate::{Column, Field, FieldType, Frame};

/// Three values of each type, with edge cases; row 1 is the one made null in nullable fields.
pub(crate) fn sample_column(ty: FieldType) -> Column {
    match ty {
        FieldType::Time => Column::Time(vec![
            1_700_000_000_000_000_000,
            -1,
            1_700_000_000_123_456_789,
        ]),
        FieldType::Int8 => Column::Int8(vec![i8::MIN, 0, i8::MAX]),
        FieldType::Int16 => Column::Int16(vec![i16::MIN, 0, i16::MAX]),
        FieldType::Int32 => Column::Int32(vec![i32::MIN, 0, i32::MAX]),
        FieldType::Int64 => Column::Int64(vec![i64::MIN, 0, i64::MAX]),
        FieldType::UInt8 => Column::UInt8(vec![0, 1, u8::MAX]),
        FieldType::UInt16 => Column::UInt16(vec![0, 1, u16::MAX]),
        FieldType::UInt32 => Column::UInt32(vec![0, 1, u32::MAX]),
        FieldType::UInt64 => Column::UInt64(vec![0, 1, u64::MAX]),
        FieldType::Float32 => Column::Float32(vec![0.1, f32::INFINITY, -2.5e-8]),
        FieldType::Float64 => Column::Float64(vec![1.5, f64::INFINITY, f64::NEG_INFINITY]),
        FieldType::Bool => Column::Bool(vec![true, false, true]),
        FieldType::String => Column::String(vec![
            "plain".into(),
            String::new(),
            "quote \" newline \n emoji 🦥".into(),
        ]),
        FieldType::Json => Column::Json(vec![
            r#"{"a":[1,2,{"b":null}]}"#.into(),
            "null".into(),
            r#""text""#.into(),
        ]),
        FieldType::Enum => Column::Enum(vec![0, 2, 1]),
    }
}

/// A frame with a field of every type and a nullable one of every type (`nullable_<type>`,
/// null in row 1), labels, configs and meta.
pub(crate) fn all_types() -> Frame {
    let mut frame = Frame::new("all_types").with_ref_id("A").with_meta(json!({
        "executedQueryString": "SELECT everything",
        "notices": [{"inspect": 3, "severity": "warning", "text": "sample notice"}],
        "type": "table",
        "typeVersion": [0, 1]
    }));
    for ty in FieldType::ALL {
        let values = sample_column(ty);
        let mut plain = Field::new(ty.to_string(), values.clone());
        let mut nullable =
            Field::new(format!("nullable_{ty}"), values).with_validity(vec![true, false, true]);
        match ty {
            FieldType::Time => plain = plain.with_config(json!({"interval": 1000})),
            FieldType::Float64 => {
                plain = plain.with_labels([("host", "a"), ("region", "eu")]);
                nullable = nullable.with_label("host", "b").with_config(
                    json!({"decimals": 2, "max": 100, "min": null, "unit": "percent"}),
                );
            }
            FieldType::Enum => {
                let config = json!({"type": {"enum": {"text": ["ok", "warn", "crit"]}}});
                plain = plain.with_config(config.clone());
                nullable = nullable.with_config(config);
            }
            _ => {}
        }
        frame = frame.with_field(plain).with_field(nullable);
    }
    frame
}

/// Compares `bytes` with `src/testdata/<name>`; `UPDATE_GOLDEN=1` rewrites the file.
pub(crate) fn golden(name: &str, bytes: &[u8]) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "src", "testdata", name]
        .iter()
        .collect();
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, bytes).expect("write golden file");
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert!(
        want == bytes,
        "{} differs from the encoder's output; if the change is intended, rerun with \
         UPDATE_GOLDEN=1 and review the diff",
        path.display()
    );
}

/// Indents compact JSON without reordering anything: one member per line, except that an
/// array or object holding only scalars stays on one line. Removing the whitespace outside
/// strings gives the input back.
pub(crate) fn indent_json(compact: &str) -> String {
    let chars: Vec<char> = compact.chars().collect();
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    // How many nested brackets stay on the current line.
    let mut inline = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let end = string_end(&chars, i);
                out.extend(&chars[i..end]);
                i = end;
                continue;
            }
            '{' | '[' => {
                out.push(c);
                if inline > 0 || only_scalars(&chars, i) {
                    inline += 1;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' if inline > 0 => {
                inline -= 1;
                out.push(c);
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' if inline > 0 => out.push_str(", "),
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c => out.push(c),
        }
        i += 1;
    }
    out.push('\n');
    out
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", depth));
}

/// The index just past the string that starts at `start`.
fn string_end(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// `true` when the array or object opening at `start` holds no array or object.
fn only_scalars(chars: &[char], start: usize) -> bool {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => i = string_end(chars, i),
            '{' | '[' => return false,
            '}' | ']' => return true,
            _ => i += 1,
        }
    }
    true
}
