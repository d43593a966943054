//! Plain-text tables of frames, for the CLI and the demo client.
//!
//! ```text
//! frame "cpu" refId=A rows=2
//! time                      value
//!                           host=a
//! time                      float64
//! ------------------------  -------
//! 2023-11-14T22:13:20.000Z      0.5
//! 2023-11-14T22:13:21.000Z     0.75
//! ```
//!
//! The header shows each field's name, its labels (a line only when some field has labels)
//! and its type (`?` marks a nullable field). Numbers are right-aligned; times are RFC 3339 in
//! UTC with millisecond precision; nulls read `null`; control characters in text are escaped.

use std::fmt::{self, Write as _};

use crate::{Column, Field, Frame};

/// Renders every row of `frame`.
pub fn render(frame: &Frame) -> String {
    render_limited(frame, usize::MAX)
}

/// Renders at most `max_rows` rows of `frame`, then a `… N more rows` line if rows were left
/// out.
///
/// ```
/// use quarry_frame::{Field, Frame, table};
///
/// let frame = Frame::new("n").with_field(Field::new("v", vec![1i64, 2, 3]));
/// let text = table::render_limited(&frame, 2);
/// assert!(text.ends_with("… 1 more row\n"));
/// ```
pub fn render_limited(frame: &Frame, max_rows: usize) -> String {
    let rows = frame.fields.iter().map(Field::len).max().unwrap_or(0);
    let shown = rows.min(max_rows);

    let mut out = String::new();
    push_line(&mut out, format_args!("frame {:?}", escape(&frame.name)));
    if !frame.ref_id.is_empty() {
        push_line(&mut out, format_args!(" refId={}", escape(&frame.ref_id)));
    }
    push_line(&mut out, format_args!(" rows={rows}\n"));
    if frame.fields.is_empty() {
        out.push_str("(no fields)\n");
        return out;
    }

    let any_labels = frame.fields.iter().any(|f| !f.labels.is_empty());
    let columns: Vec<TextColumn> = frame
        .fields
        .iter()
        .map(|field| TextColumn::new(field, shown))
        .collect();

    let mut header = vec![columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>()];
    if any_labels {
        header.push(columns.iter().map(|c| c.labels.clone()).collect());
    }
    header.push(columns.iter().map(|c| c.type_name.clone()).collect());
    for line in &header {
        push_row(&mut out, &columns, line.iter().map(String::as_str), false);
    }
    let dashes: Vec<String> = columns.iter().map(|c| "-".repeat(c.width)).collect();
    push_row(&mut out, &columns, dashes.iter().map(String::as_str), false);
    for row in 0..shown {
        push_row(
            &mut out,
            &columns,
            columns.iter().map(|c| c.cells[row].as_str()),
            true,
        );
    }
    if rows > shown {
        let more = rows - shown;
        let s = if more == 1 { "" } else { "s" };
        push_line(&mut out, format_args!("… {more} more row{s}\n"));
    }
    out
}

/// One field's header and cells as text.
struct TextColumn {
    name: String,
    labels: String,
    type_name: String,
    cells: Vec<String>,
    right_align: bool,
    width: usize,
}

impl TextColumn {
    fn new(field: &Field, rows: usize) -> TextColumn {
        let name = escape(&field.name);
        let labels = field
            .labels
            .iter()
            .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
            .collect::<Vec<_>>()
            .join(", ");
        let field_type = field.field_type();
        let type_name = if field.is_nullable() {
            format!("{field_type}?")
        } else {
            field_type.to_string()
        };
        let enum_text = enum_texts(field);
        let cells: Vec<String> = (0..rows)
            .map(|row| {
                if field.is_null(row) {
                    "null".to_owned()
                } else {
                    cell(&field.values, row, enum_text.as_deref()).unwrap_or_default()
                }
            })
            .collect();
        let width = [&name, &labels, &type_name]
            .into_iter()
            .chain(cells.iter())
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0);
        TextColumn {
            name,
            labels,
            type_name,
            cells,
            right_align: field_type.is_numeric(),
            width,
        }
    }
}

/// `config.type.enum.text`, if the field has it.
fn enum_texts(field: &Field) -> Option<Vec<String>> {
    let texts = field
        .config
        .as_ref()?
        .get("type")?
        .get("enum")?
        .get("text")?;
    Some(
        texts
            .as_array()?
            .iter()
            .map(|t| t.as_str().unwrap_or_default().to_owned())
            .collect(),
    )
}

/// One cell as text; `None` past the end of the column.
fn cell(values: &Column, row: usize, enum_text: Option<&[String]>) -> Option<String> {
    Some(match values {
        Column::Time(v) => format_time(*v.get(row)?),
        Column::Int8(v) => v.get(row)?.to_string(),
        Column::Int16(v) => v.get(row)?.to_string(),
        Column::Int32(v) => v.get(row)?.to_string(),
        Column::Int64(v) => v.get(row)?.to_string(),
        Column::UInt8(v) => v.get(row)?.to_string(),
        Column::UInt16(v) => v.get(row)?.to_string(),
        Column::UInt32(v) => v.get(row)?.to_string(),
        Column::UInt64(v) => v.get(row)?.to_string(),
        Column::Float32(v) => format_float(*v.get(row)?),
        Column::Float64(v) => format_float(*v.get(row)?),
        Column::Bool(v) => v.get(row)?.to_string(),
        Column::String(v) | Column::Json(v) => escape(v.get(row)?),
        Column::Enum(v) => {
            let index = *v.get(row)?;
            match enum_text.and_then(|t| t.get(usize::from(index))) {
                Some(text) => format!("{} ({index})", escape(text)),
                None => index.to_string(),
            }
        }
    })
}

/// `NaN`, `+Inf`, `-Inf`; an exponent for magnitudes beyond 1e15 or below 1e-6; else the
/// shortest decimal that reads back as the same `T` (so `0.1f32` prints `0.1`).
fn format_float<T>(value: T) -> String
where
    T: Copy + Into<f64> + fmt::Display + fmt::LowerExp,
{
    let x: f64 = value.into();
    if x.is_nan() {
        "NaN".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else if x != 0.0 && !(1e-6..1e15).contains(&x.abs()) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// Nanoseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (rounded down to the ms).
pub fn format_time(ns: i64) -> String {
    let ms = ns.div_euclid(1_000_000);
    let secs = ms.div_euclid(1_000);
    let millis = ms.rem_euclid(1_000);
    let days = secs.div_euclid(86_400);
    let second_of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60,
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, working in 400-year eras that start on March 1st).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // [0, 399]
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let mp = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both fit: day is 1..=31 and month 1..=12.
    (year, month as u32, day as u32)
}

/// Escapes control characters so every cell stays on one line.
fn escape(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn push_row<'a>(
    out: &mut String,
    columns: &[TextColumn],
    cells: impl Iterator<Item = &'a str>,
    is_data: bool,
) {
    let mut line = String::new();
    for (i, (column, text)) in columns.iter().zip(cells).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = column.width.saturating_sub(text.chars().count());
        if is_data && column.right_align {
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str(text);
        } else {
            line.push_str(text);
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

fn push_line(out: &mut String, args: fmt::Arguments<'_>) {
    // Writing into a `String` cannot fail.
    let _ = out.write_fmt(args);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn civil_dates() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (1_700_000_000_123_456_789, "2023-11-14T22:13:20.123Z"),
            (951_782_400_000_000_000, "2000-02-29T00:00:00.000Z"),
            (1_709_164_800_000_000_000, "2024-02-29T00:00:00.000Z"),
            (4_102_444_800_000_000_000, "2100-01-01T00:00:00.000Z"),
            (i64::MAX, "2262-04-11T23:47:16.854Z"),
            (i64::MIN, "1677-09-21T00:12:43.145Z"),
        ];
        for (ns, want) in cases {
            assert_eq!(format_time(ns), want, "{ns}");
        }
    }

    #[test]
    fn renders_aligned() {
        let frame = Frame::new("cpu")
            .with_ref_id("A")
            .with_field(Field::new(
                "time",
                Column::Time(vec![1_700_000_000_000_000_000, 1_700_000_001_000_000_000]),
            ))
            .with_field(Field::new("value", vec![0.5, 0.75]).with_label("host", "a"))
            .with_field(Field::from_options(
                "note",
                vec![Some("x\ny".to_owned()), None],
            ))
            .with_field(
                Field::new("state", Column::Enum(vec![1, 7]))
                    .with_config(json!({"type": {"enum": {"text": ["ok", "bad"]}}})),
            );
        let want = "\
frame \"cpu\" refId=A rows=2
time                      value    note     state
                          host=a
time                      float64  string?  enum
------------------------  -------  -------  -------
2023-11-14T22:13:20.000Z      0.5  x\\ny     bad (1)
2023-11-14T22:13:21.000Z     0.75  null     7
";
        assert_eq!(render(&frame), want);
    }

    #[test]
    fn limited_and_empty() {
        let frame = Frame::new("n").with_field(Field::new("v", (0..10i64).collect::<Vec<_>>()));
        let text = render_limited(&frame, 3);
        assert_eq!(
            text,
            "frame \"n\" rows=10\nv\nint64\n-----\n    0\n    1\n    2\n… 7 more rows\n"
        );
        assert_eq!(
            render(&Frame::new("e")),
            "frame \"e\" rows=0\n(no fields)\n"
        );
        let no_rows = Frame::new("z").with_field(Field::new("t", Column::Time(vec![])));
        assert_eq!(render(&no_rows), "frame \"z\" rows=0\nt\ntime\n----\n");
    }

    #[test]
    fn floats() {
        let cases = [
            (1.5, "1.5"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (1e300, "1e300"),
            (1.25e-9, "1.25e-9"),
            (0.0, "0"),
            (-2.0, "-2"),
        ];
        for (x, want) in cases {
            assert_eq!(format_float(x), want);
        }
        assert_eq!(format_float(0.1f32), "0.1");
        assert_eq!(format_float(-2.5e-8f32), "-2.5e-8");
    }
}
