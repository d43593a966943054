//! `Content-Encoding` of responses: the client asks for `gzip, deflate` and decodes them here,
//! with pure-Rust `flate2` (miniz_oxide backend, which builds for wasm32-wasip2 without C).

use std::io::Read;

use super::{HttpError, Response};

/// What [`Request::send`](super::Request::send) sends as `Accept-Encoding` unless the module set
/// its own.
pub(super) const ACCEPT_ENCODING: &str = "gzip, deflate";

/// The most bytes a compressed body may decode to: a small body cannot make the module hold
/// more than this (the call's memory budget still applies below it).
pub const MAX_DECODED_BYTES: u64 = 256 << 20;

/// Decodes a `gzip` or `deflate` body in place and drops `Content-Encoding` and
/// `Content-Length`, which described the encoded body. Other encodings (`br`, `zstd`, which the
/// client never asks for) are left as they are, header included.
pub(super) fn decode(response: &mut Response) -> Result<(), HttpError> {
    let Some(encoding) = response
        .header("content-encoding")
        .map(str::to_ascii_lowercase)
    else {
        return Ok(());
    };
    let encoding = encoding.trim();
    let decoded = match encoding {
        "gzip" | "x-gzip" => read_limited(flate2::read::MultiGzDecoder::new(&response.body[..])),
        // HTTP's `deflate` is zlib-wrapped, but some servers send raw deflate: try both.
        "deflate" => read_limited(flate2::read::ZlibDecoder::new(&response.body[..]))
            .or_else(|_| read_limited(flate2::read::DeflateDecoder::new(&response.body[..]))),
        "identity" | "" => {
            strip_headers(response, false);
            return Ok(());
        }
        _ => return Ok(()),
    }
    .map_err(|reason| HttpError::Decode {
        url: response.url.clone(),
        encoding: encoding.to_owned(),
        reason,
    })?;
    response.body = decoded;
    strip_headers(response, true);
    Ok(())
}

fn strip_headers(response: &mut Response, length_too: bool) {
    response.headers.retain(|(name, _)| {
        let encoding = name.eq_ignore_ascii_case("content-encoding");
        let length = length_too && name.eq_ignore_ascii_case("content-length");
        !encoding && !length
    });
}

fn read_limited(reader: impl Read) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    reader
        .take(MAX_DECODED_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|err| err.to_string())?;
    if out.len() as u64 > MAX_DECODED_BYTES {
        return Err(format!(
            "it decodes to more than {} MiB",
            MAX_DECODED_BYTES >> 20
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn response(encoding: Option<&str>, body: Vec<u8>) -> Response {
        let mut headers = vec![("content-length".to_owned(), body.len().to_string())];
        if let Some(encoding) = encoding {
            headers.push(("Content-Encoding".to_owned(), encoding.to_owned()));
        }
        Response {
            status: 200,
            headers,
            body,
            url: "http://h/x".into(),
        }
    }

    fn compress(encoding: &str, text: &[u8]) -> Vec<u8> {
        let level = flate2::Compression::default();
        let mut out = Vec::new();
        match encoding {
            "gzip" => {
                let mut w = flate2::write::GzEncoder::new(&mut out, level);
                w.write_all(text).unwrap();
                w.finish().unwrap();
            }
            "zlib" => {
                let mut w = flate2::write::ZlibEncoder::new(&mut out, level);
                w.write_all(text).unwrap();
                w.finish().unwrap();
            }
            _ => {
                let mut w = flate2::write::DeflateEncoder::new(&mut out, level);
                w.write_all(text).unwrap();
                w.finish().unwrap();
            }
        }
        out
    }

    #[test]
    fn gzip_and_both_deflates_decode() {
        let text = br#"{"values":[1,2,3]}"#.repeat(100);
        for (header, format) in [
            ("gzip", "gzip"),
            ("x-gzip", "gzip"),
            ("GZIP", "gzip"),
            ("deflate", "zlib"),
            ("deflate", "raw"),
        ] {
            let mut r = response(Some(header), compress(format, &text));
            decode(&mut r).unwrap();
            assert_eq!(r.body, text, "{header} {format}");
            assert_eq!(r.header("content-encoding"), None);
            assert_eq!(r.header("content-length"), None);
        }
    }

    #[test]
    fn other_encodings_are_left_alone() {
        let mut r = response(Some("br"), b"xyz".to_vec());
        decode(&mut r).unwrap();
        assert_eq!(
            (r.body.as_slice(), r.header("content-encoding")),
            (&b"xyz"[..], Some("br"))
        );
        let mut plain = response(None, b"abc".to_vec());
        decode(&mut plain).unwrap();
        assert_eq!(
            (plain.body.as_slice(), plain.header("content-length")),
            (&b"abc"[..], Some("3"))
        );
        let mut identity = response(Some("identity"), b"abc".to_vec());
        decode(&mut identity).unwrap();
        assert_eq!(identity.header("content-encoding"), None);
    }

    #[test]
    fn corrupt_bodies_say_so() {
        let mut r = response(Some("gzip"), b"not gzip".to_vec());
        let err = decode(&mut r).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot decode the gzip response from http://h/x: "),
            "{err}"
        );
        assert_eq!(crate::Error::from(err).kind(), crate::ErrorKind::Downstream);
    }
}
