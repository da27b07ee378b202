//! Writing one model's predictions (a fusion) as NumPy files that
//! [`read_predictions`](crate::read_predictions) — and `numpy.load` — read back.
//!
//! * `.npz`: one archive holding `scores` (`float32 [samples, classes]`) or, for
//!   regression, `values` (`float32 [samples]`), with `ids` and `classes` as
//!   Unicode string arrays (`<U…`). Deflate-compressed, as
//!   `numpy.savez_compressed` writes; entry times are fixed, so the bytes are
//!   deterministic. This is the self-contained form.
//! * `.npy`: the `scores` (or `values`) array alone, with the sidecars the reader
//!   looks for: `<stem>.ids.txt` and, for classification, `<stem>.classes.txt`.
//!   The sidecars are written first and the array last, each atomically.
//!
//! The hard `label` column of the CSV form is not stored: it is the argmax of
//! `scores` (ties to the first class), which `numpy.argmax` gives too.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use modelfuse::{Predictions, Task};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::error::{Error, Result};
use crate::write_atomic;

/// The `.npy` bytes (format 1.0, or 2.0 for a header over 64 KiB) of an array
/// with dtype `descr`, `shape` and little-endian `data`.
fn npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // The data starts at a multiple of 64 bytes; the header ends with '\n'.
    let (version, prefix) = if header.len() + 11 < 65_536 {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let pad = (64 - (prefix + header.len() + 1) % 64) % 64;
    header.extend(std::iter::repeat_n(' ', pad));
    header.push('\n');
    let mut out = Vec::with_capacity(prefix + header.len() + data.len());
    out.extend_from_slice(b"\x93NUMPY");
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn f32_array(values: &[f32], shape: &[usize]) -> Vec<u8> {
    let mut out = npy("<f4", shape, &[]);
    out.reserve_exact(values.len() * 4);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Writes [`f32_array`]'s bytes to `out` a block at a time, so a large
/// output is never held twice.
fn write_f32_array(out: &mut dyn Write, values: &[f32], shape: &[usize]) -> std::io::Result<()> {
    out.write_all(&npy("<f4", shape, &[]))?;
    let mut buf = Vec::with_capacity(1 << 18);
    for block in values.chunks(1 << 16) {
        buf.clear();
        for v in block {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        out.write_all(&buf)?;
    }
    Ok(())
}

/// A 1-D `<U{n}` array: each string as `n` UTF-32 code points, zero-padded.
fn string_array(items: &[String]) -> Vec<u8> {
    let width = items
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut data = Vec::with_capacity(items.len() * width * 4);
    for s in items {
        let n = s.chars().count();
        data.extend(s.chars().flat_map(|c| (c as u32).to_le_bytes()));
        data.extend(std::iter::repeat_n(0u8, (width - n) * 4));
    }
    npy(&format!("<U{width}"), &[items.len()], &data)
}

/// The main array of `fused`: its name in an `.npz` and its `.npy` bytes.
fn main_array(fused: &Predictions) -> (&'static str, Vec<u8>) {
    let n = fused.n_samples();
    match fused.task() {
        Task::Regression => ("values", f32_array(fused.model(0), &[n])),
        _ => ("scores", f32_array(fused.model(0), &[n, fused.n_outputs()])),
    }
}

/// The `.npz` archive of `fused` (one model).
pub(crate) fn encode_npz(fused: &Predictions) -> Result<Vec<u8>> {
    let (name, array) = main_array(fused);
    let mut entries = vec![(name, array), ("ids", string_array(fused.ids()))];
    if fused.task() != Task::Regression {
        entries.push(("classes", string_array(fused.classes())));
    }
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let zipped = |e: zip::result::ZipError| Error::format(format!("writing the .npz archive: {e}"));
    for (name, bytes) in entries {
        zip.start_file(format!("{name}.npy"), options)
            .map_err(zipped)?;
        zip.write_all(&bytes)
            .map_err(|e| Error::format(format!("writing the .npz archive: {e}")))?;
    }
    Ok(zip.finish().map_err(zipped)?.into_inner())
}

/// `<stem>.<what>.txt` beside `path`.
fn sidecar(path: &Path, what: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.{what}.txt"))
}

/// Writes `fused` as `path` (`.npy`) and its sidecars, each atomically; the
/// array is written last, so a reader never finds it without its sidecars.
pub(crate) fn write_npy(path: &Path, fused: &Predictions) -> Result<()> {
    let lines = |items: &[String]| {
        let mut text = String::with_capacity(items.iter().map(|s| s.len() + 1).sum());
        for s in items {
            text.push_str(s);
            text.push('\n');
        }
        text
    };
    for item in fused.ids().iter().chain(fused.classes()) {
        if item.contains(['\n', '\r']) {
            return Err(Error::format(format!(
                "expected ids and class names without line breaks for the .npy sidecars, \
                 found {item:?}; write .npz instead"
            )));
        }
    }
    let ids = sidecar(path, "ids");
    write_atomic(&ids, |out| out.write_all(lines(fused.ids()).as_bytes()))
        .map_err(|e| e.or_path(&ids))?;
    if fused.task() != Task::Regression {
        let classes = sidecar(path, "classes");
        write_atomic(&classes, |out| {
            out.write_all(lines(fused.classes()).as_bytes())
        })
        .map_err(|e| e.or_path(&classes))?;
    }
    let n = fused.n_samples();
    let shape = match fused.task() {
        Task::Regression => vec![n],
        _ => vec![n, fused.n_outputs()],
    };
    write_atomic(path, |out| write_f32_array(out, fused.model(0), &shape))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_headers_are_aligned_and_end_with_a_newline() {
        for shape in [&[3usize][..], &[2, 5], &[100_000, 77]] {
            let bytes = npy("<f4", shape, &[]);
            let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            assert_eq!((10 + len) % 64, 0);
            assert_eq!(bytes[10 + len - 1], b'\n');
            assert_eq!(bytes.len(), 10 + len);
        }
        let text = String::from_utf8(npy("<f4", &[3], &[])[10..].to_vec()).unwrap();
        assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
    }

    #[test]
    fn strings_are_fixed_width_utf32() {
        let bytes = string_array(&["ab".into(), "é".into()]);
        let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let data = &bytes[10 + len..];
        assert_eq!(data.len(), 2 * 2 * 4);
        assert_eq!(&data[..8], &[b'a', 0, 0, 0, b'b', 0, 0, 0]);
        assert_eq!(&data[8..12], &[0xe9, 0, 0, 0]);
        assert_eq!(&data[12..], &[0, 0, 0, 0]);
    }
}
