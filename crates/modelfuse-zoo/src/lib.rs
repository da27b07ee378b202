//! Tools that build the model zoos of modelfuse's bundled examples.
//!
//! The `embed` binary (feature `candle`) runs a BERT sentence encoder over a
//! column of texts and writes one embedding per text to a `.npy` file. The
//! pieces that need no neural network live here, so they are tested by a
//! plain `cargo test --workspace`, which never compiles candle:
//!
//! * [`read_column`]: one column of a CSV file with a header;
//! * [`mean_pool_normalized`]: sentence-transformers' pooling (the mean of the
//!   token states under the attention mask, then L2 normalisation);
//! * [`write_npy_f32`]: a `[rows, dim]` `f32` matrix to a NumPy `.npy` file;
//! * [`length_order`]: an order of texts by length, so batches pad little.
#![deny(missing_docs)]

use std::io;
use std::path::Path;

/// Reads the column `column` of the CSV file at `path` (which has a header
/// row), in file order.
///
/// # Errors
///
/// An I/O or CSV error, or [`io::ErrorKind::InvalidData`] when the header has
/// no column of that name (the message lists the columns found).
pub fn read_column(path: &Path, column: &str) -> io::Result<Vec<String>> {
    let mut reader = csv::Reader::from_path(path)?;
    let headers = reader.headers()?.clone();
    let Some(index) = headers.iter().position(|h| h == column) else {
        let found: Vec<&str> = headers.iter().collect();
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: expected a column '{column}', found {found:?}",
                path.display()
            ),
        ));
    };
    let mut values = Vec::new();
    for record in reader.records() {
        let record = record?;
        values.push(record.get(index).unwrap_or_default().to_string());
    }
    Ok(values)
}

/// Indices of `texts` ordered by byte length (stable: equal lengths keep
/// their order). Embedding texts in this order keeps the padding of each
/// batch small; the embeddings are written back in the original order.
pub fn length_order(texts: &[String]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| texts[i].len());
    order
}

/// Mean-pools token states under an attention mask and L2-normalises each
/// result: the sentence embedding of sentence-transformers' all-MiniLM-L6-v2
/// (`Pooling` with `pooling_mode_mean_tokens`, then `Normalize`).
///
/// `hidden` is `[batch, seq, dim]` row-major and `mask` is `[batch, seq]`
/// (1 for a real token, 0 for padding). Returns `[batch, dim]` row-major.
/// Sums run in `f64`. A row without any unmasked token pools to zeros (the
/// mean divides by at least 1e-9, as sentence-transformers clamps), and a
/// zero vector stays zero (the norm is clamped at 1e-12, as
/// `torch.nn.functional.normalize`).
///
/// # Panics
///
/// If the lengths of `hidden` and `mask` do not match the shape given.
pub fn mean_pool_normalized(
    hidden: &[f32],
    mask: &[u32],
    batch: usize,
    seq: usize,
    dim: usize,
) -> Vec<f32> {
    assert_eq!(hidden.len(), batch * seq * dim, "hidden states shape");
    assert_eq!(mask.len(), batch * seq, "attention mask shape");
    let mut out = Vec::with_capacity(batch * dim);
    let mut sum = vec![0f64; dim];
    for b in 0..batch {
        sum.iter_mut().for_each(|s| *s = 0.0);
        let mut count = 0f64;
        for t in 0..seq {
            let m = f64::from(mask[b * seq + t]);
            if m == 0.0 {
                continue;
            }
            count += m;
            let token = &hidden[(b * seq + t) * dim..(b * seq + t + 1) * dim];
            for (s, &h) in sum.iter_mut().zip(token) {
                *s += m * f64::from(h);
            }
        }
        let count = count.max(1e-9);
        let norm = sum
            .iter()
            .map(|s| (s / count) * (s / count))
            .sum::<f64>()
            .sqrt()
            .max(1e-12);
        out.extend(sum.iter().map(|s| (s / count / norm) as f32));
    }
    out
}

/// Writes a `[rows, dim]` row-major `f32` matrix to `path` as a NumPy `.npy`
/// file (little-endian `<f4`, C order).
///
/// # Errors
///
/// An I/O error, or [`io::ErrorKind::InvalidInput`] if `data.len()` is not
/// `rows * dim`.
pub fn write_npy_f32(path: &Path, rows: usize, dim: usize, data: Vec<f32>) -> io::Result<()> {
    use ndarray_npy::WriteNpyExt;
    let array = ndarray::Array2::from_shape_vec((rows, dim), data)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let file = io::BufWriter::new(std::fs::File::create(path)?);
    array
        .write_npy(file)
        .map_err(|e| io::Error::other(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_ignores_padding_and_normalises() {
        // Two sentences, three positions, dim 2. The second has one pad token
        // whose (large) state must not count.
        let hidden = [
            1.0, 0.0, 3.0, 0.0, 0.0, 4.0, // sentence 0: mean (4/3, 4/3)
            3.0, 4.0, 3.0, 4.0, 100.0, -100.0, // sentence 1: mean (3, 4)
        ];
        let mask = [1, 1, 1, 1, 1, 0];
        let out = mean_pool_normalized(&hidden, &mask, 2, 3, 2);
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let expected = [s, s, 0.6, 0.8];
        for (o, e) in out.iter().zip(expected) {
            assert!((o - e).abs() < 1e-6, "{out:?}");
        }
    }

    #[test]
    fn pooling_of_an_empty_mask_is_zero() {
        let out = mean_pool_normalized(&[5.0, 5.0], &[0], 1, 1, 2);
        assert_eq!(out, [0.0, 0.0]);
    }

    #[test]
    fn length_order_is_stable() {
        let texts: Vec<String> = ["ccc", "a", "bb", "x", ""].map(String::from).into();
        assert_eq!(length_order(&texts), [4, 1, 3, 2, 0]);
    }

    #[test]
    fn reads_a_quoted_column_and_writes_npy() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, "text,category\n\"hi, there\",a\nbye,b\n").unwrap();
        assert_eq!(read_column(&csv, "text").unwrap(), ["hi, there", "bye"]);
        let err = read_column(&csv, "sentence").unwrap_err();
        assert!(
            err.to_string().contains("expected a column 'sentence'"),
            "{err}"
        );

        let npy = dir.path().join("e.npy");
        write_npy_f32(&npy, 2, 3, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.5]).unwrap();
        let bytes = std::fs::read(&npy).unwrap();
        assert!(bytes.starts_with(b"\x93NUMPY"));
        let header = String::from_utf8_lossy(&bytes[10..bytes.len() - 24]);
        assert!(header.contains("'descr': '<f4'"), "{header}");
        assert!(header.contains("'shape': (2, 3)"), "{header}");
        assert_eq!(&bytes[bytes.len() - 4..], &5.5f32.to_le_bytes());
        assert!(write_npy_f32(&npy, 2, 2, vec![0.0; 3]).is_err());
    }
}
