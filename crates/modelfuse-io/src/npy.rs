//! NumPy `.npy` and `.npz` prediction files, with their text sidecars.
//!
//! # `.npy`
//!
//! One array, read by its rank and dtype:
//!
//! | array | read as |
//! |---|---|
//! | 2-D floats `[samples, classes]` | scores |
//! | 1-D floats `[samples]` | regression values |
//! | 1-D integers `[samples]` | hard labels: class indices |
//! | 1-D strings (`<U…`, `S…`) `[samples]` | hard labels: class names |
//!
//! Floats may be `float32` or `float64` (stored as `f32`), integers any
//! signed or unsigned width, either byte order, C or Fortran layout.
//!
//! Sidecar text files in the same folder, one entry per line (UTF-8, blank
//! lines at the end ignored):
//!
//! * `<stem>.ids.txt`: the sample ids, one per row; without it the ids are
//!   the row numbers `0..n-1`;
//! * `<stem>.classes.txt`, else `classes.txt`: the class names, one per
//!   column of scores (or per class index of integer labels); without them
//!   the classes are `0..k-1`.
//!
//! # `.npz`
//!
//! An archive (as `numpy.savez` or `savez_compressed` write) holding exactly
//! one of `scores` (2-D floats), `labels` (1-D integers or strings) or
//! `values` (1-D floats or integers), and optionally `ids` (1-D integers or
//! strings) and `classes` (1-D strings or integers). Missing `ids` or
//! `classes` arrays fall back to the sidecars, as for `.npy`. Any other array
//! is an error, so a misnamed one (`probs`, `logits`) is not silently
//! skipped.
//!
//! # Corrupt files
//!
//! A header's claimed shape is checked against the bytes actually present
//! before anything is allocated for it, so a small corrupt file cannot ask
//! for terabytes. Inside an `.npz`, an entry may not claim to expand to more
//! than deflate can produce from its compressed size.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use modelfuse::{Content, Ids, ModelOutput};
use ndarray_npy::npy::header::Header;
use zip::{CompressionMethod, ZipArchive};

use crate::error::{Error, Result};
use crate::rows::no_data_rows;

const MAGIC: &[u8] = b"\x93NUMPY";

/// Deflate's best case is about 1032 output bytes per input byte; an entry
/// claiming more is corrupt or hostile.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// A decoded array: its shape and its elements in row-major order.
#[derive(Debug)]
pub(crate) struct Array {
    shape: Vec<usize>,
    /// The dtype as written in the header (`<f4`), for messages.
    descr: String,
    data: Data,
}

#[derive(Debug)]
enum Data {
    Float(Vec<f32>),
    Int(Vec<i64>),
    Text(Vec<String>),
}

impl Array {
    fn what(&self) -> String {
        let kind = match self.data {
            Data::Float(_) => "floats",
            Data::Int(_) => "integers",
            Data::Text(_) => "strings",
        };
        format!(
            "a {}-D array of {kind} (dtype '{}', shape {})",
            self.shape.len(),
            self.descr,
            shape_text(&self.shape)
        )
    }
}

/// The element type named by a dtype string such as `<f4` or `<U12`.
#[derive(Clone, Copy, Debug)]
struct Dtype {
    big_endian: bool,
    kind: u8,
    /// Bytes per element.
    size: usize,
}

impl Dtype {
    fn parse(descr: &str) -> Result<Dtype> {
        let unsupported = || {
            Error::format(format!(
                "expected a float, integer or string dtype, found '{descr}'"
            ))
        };
        let bytes = descr.as_bytes();
        let (order, rest) = match bytes.first() {
            Some(b'<' | b'>' | b'|' | b'=') => (bytes[0], &bytes[1..]),
            _ => (b'|', bytes),
        };
        let (&kind, digits) = rest.split_first().ok_or_else(unsupported)?;
        let count: usize = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(unsupported)?;
        let size = match (kind, count) {
            (b'f', 4 | 8) | (b'i' | b'u', 1 | 2 | 4 | 8) | (b'S', _) => count,
            // Unicode strings count UTF-32 code units.
            (b'U', _) => count.checked_mul(4).ok_or_else(unsupported)?,
            _ => return Err(unsupported()),
        };
        Ok(Dtype {
            big_endian: order == b'>' || (order == b'=' && cfg!(target_endian = "big")),
            kind,
            size,
        })
    }

    /// Decodes `n` elements from exactly `n * self.size` bytes.
    fn decode(&self, bytes: &[u8]) -> Result<Data> {
        let chunks = bytes.chunks_exact(self.size.max(1));
        let be = self.big_endian;
        Ok(match (self.kind, self.size) {
            (b'f', _) => Data::Float(chunks.map(|c| self.float(c)).collect()),
            (b'i' | b'u', _) => Data::Int(
                chunks
                    .map(|c| integer(c, be, self.kind == b'i'))
                    .collect::<Result<_>>()?,
            ),
            (b'U', _) => Data::Text(chunks.map(|c| utf32(c, be)).collect::<Result<_>>()?),
            _ => Data::Text(chunks.map(bytes_text).collect::<Result<_>>()?),
        })
    }

    fn is_float(&self) -> bool {
        self.kind == b'f'
    }

    /// One float element (`f4` or `f8`, read as `f32`) from its bytes.
    fn float(&self, c: &[u8]) -> f32 {
        let be = self.big_endian;
        if self.size == 4 {
            let b = [c[0], c[1], c[2], c[3]];
            if be {
                f32::from_be_bytes(b)
            } else {
                f32::from_le_bytes(b)
            }
        } else {
            let b = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
            let x = if be {
                f64::from_be_bytes(b)
            } else {
                f64::from_le_bytes(b)
            };
            x as f32
        }
    }

    /// Decodes `n` float elements as they are read from `r`, a block at a
    /// time, so the encoded bytes are never held whole.
    fn read_floats(&self, r: &mut impl Read, n: usize) -> Result<Vec<f32>> {
        const BLOCK: usize = 1 << 16;
        let mut out = Vec::with_capacity(n);
        let mut buf = vec![0u8; BLOCK.min(n) * self.size];
        while out.len() < n {
            let m = (n - out.len()).min(BLOCK);
            let bytes = &mut buf[..m * self.size];
            r.read_exact(bytes)
                .map_err(|e| Error::io("cannot read the array data", e))?;
            // One loop per layout, so each compiles to straight loads (and
            // byte swaps) instead of a branch per element.
            match (self.size, self.big_endian) {
                (4, false) => out.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().expect("four bytes"))),
                ),
                (4, true) => out.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|c| f32::from_be_bytes(c.try_into().expect("four bytes"))),
                ),
                _ => out.extend(bytes.chunks_exact(self.size).map(|c| self.float(c))),
            }
        }
        Ok(out)
    }
}

/// One integer of 1 to 8 bytes, as an `i64`.
fn integer(c: &[u8], big_endian: bool, signed: bool) -> Result<i64> {
    let mut b = [0u8; 8];
    let n = c.len();
    if big_endian {
        for (k, &x) in c.iter().rev().enumerate() {
            b[k] = x;
        }
    } else {
        b[..n].copy_from_slice(c);
    }
    // Sign-extend from the top bit of the stored width.
    if signed && b[n - 1] & 0x80 != 0 {
        b[n..].fill(0xff);
    }
    let v = u64::from_le_bytes(b);
    if signed {
        Ok(v as i64)
    } else {
        i64::try_from(v)
            .map_err(|_| Error::parse(format!("expected an integer below 2^63, found {v}")))
    }
}

/// A fixed-width numpy unicode string: UTF-32 code units, NUL-padded.
fn utf32(c: &[u8], big_endian: bool) -> Result<String> {
    let mut s = String::with_capacity(c.len() / 4);
    for unit in c.chunks_exact(4) {
        let b = [unit[0], unit[1], unit[2], unit[3]];
        let u = if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        };
        if u == 0 {
            break;
        }
        let ch = char::from_u32(u).ok_or_else(|| {
            Error::parse(format!("expected UTF-32 text, found the code unit 0x{u:x}"))
        })?;
        s.push(ch);
    }
    Ok(s)
}

/// A fixed-width numpy bytes string, NUL-padded, which we require to be
/// UTF-8.
fn bytes_text(c: &[u8]) -> Result<String> {
    let end = c.iter().position(|&b| b == 0).unwrap_or(c.len());
    String::from_utf8(c[..end].to_vec())
        .map_err(|_| Error::parse("expected UTF-8 text in a bytes array, found other bytes"))
}

/// Parses a whole `.npy` file held in memory.
pub(crate) fn parse(bytes: &[u8]) -> Result<Array> {
    parse_from(&mut &bytes[..], bytes.len() as u64)
}

/// Parses an `.npy` stream of `total` bytes: the header is read and checked
/// against `total` first, then the data (floats decoded as they are read, so
/// a file is not held twice in memory).
fn parse_from(r: &mut impl Read, total: u64) -> Result<Array> {
    let read = |r: &mut dyn Read, buf: &mut [u8]| {
        r.read_exact(buf)
            .map_err(|e| Error::io("cannot read the .npy file", e))
    };
    let mut prefix = [0u8; 12];
    let prefix = &mut prefix[..total.min(12) as usize];
    read(r, prefix)?;
    if !prefix.starts_with(MAGIC) || total < 10 {
        return Err(Error::parse(
            "expected a NumPy .npy file (starting with \\x93NUMPY), found other bytes",
        ));
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let (len_bytes, header_len) = match major {
        1 => (2, u16::from_le_bytes([prefix[8], prefix[9]]) as usize),
        2 | 3 if total >= 12 => (
            4,
            u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]) as usize,
        ),
        2 | 3 => {
            return Err(Error::parse(
                "expected a complete .npy header, found a truncated one",
            ));
        }
        _ => {
            return Err(Error::parse(format!(
                "expected .npy format version 1, 2 or 3, found {major}.{minor}"
            )));
        }
    };
    // The header parser allocates the claimed header length up front, so
    // check the claim against the bytes we really have first.
    let data_start = 8 + len_bytes + header_len;
    if data_start as u64 > total {
        return Err(Error::parse(format!(
            "expected a header of {header_len} bytes, found {total} bytes in the whole file"
        )));
    }
    let mut head = vec![0u8; data_start];
    let have = prefix.len().min(data_start);
    head[..have].copy_from_slice(&prefix[..have]);
    read(r, &mut head[have..])?;
    // Only a (corrupt) version 1 header under two bytes ends inside the
    // prefix; the prefix's last bytes are then the data's first.
    let mut data = (&prefix[have..]).chain(r);
    parse_header_and_data(&head, &mut data, total - data_start as u64)
}

/// The rest of [`parse_from`]: `head` is the whole header, `r` holds the
/// `data_len` bytes of data.
fn parse_header_and_data(head: &[u8], r: &mut impl Read, data_len: u64) -> Result<Array> {
    let header = Header::from_reader(&mut &head[..])
        .map_err(|e| Error::parse_from("cannot parse the .npy header", e))?;
    let descr = header.type_descriptor.as_string().ok_or_else(|| {
        Error::format(format!(
            "expected a simple dtype such as '<f4', found the structured dtype {}",
            header.type_descriptor
        ))
    })?;
    let dtype = Dtype::parse(descr)?;
    let shape = header.shape.clone();
    // The claimed size must match the bytes present exactly; this is what
    // keeps a corrupt header from driving the allocations below.
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let need = count.and_then(|n| n.checked_mul(dtype.size));
    if need.map(|n| n as u64) != Some(data_len) {
        let need = need.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string());
        return Err(Error::parse(format!(
            "expected {need} bytes of data for shape {} and dtype '{descr}', found {data_len}",
            shape_text(&shape),
        )));
    }
    let n = count.expect("checked with need");
    let mut data = if dtype.is_float() {
        Data::Float(dtype.read_floats(r, n)?)
    } else {
        let mut bytes = vec![0u8; data_len as usize];
        r.read_exact(&mut bytes)
            .map_err(|e| Error::io("cannot read the array data", e))?;
        dtype.decode(&bytes)?
    };
    if header.layout.is_fortran() && shape.len() == 2 {
        let (rows, cols) = (shape[0], shape[1]);
        data = match data {
            Data::Float(v) => Data::Float(to_row_major(v, rows, cols)),
            Data::Int(v) => Data::Int(to_row_major(v, rows, cols)),
            Data::Text(v) => Data::Text(to_row_major(v, rows, cols)),
        };
    }
    Ok(Array {
        shape,
        descr: descr.clone(),
        data,
    })
}

/// Reorders a column-major `rows × cols` block to row-major.
fn to_row_major<T: Clone>(v: Vec<T>, rows: usize, cols: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(v.len());
    for r in 0..rows {
        for c in 0..cols {
            out.push(v[c * rows + r].clone());
        }
    }
    out
}

/// A shape as numpy prints it: `(3,)`, `(3, 2)`.
fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What the main array of a file is expected to hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `.npy`: decided by rank and dtype.
    Any,
    Scores,
    Labels,
    Values,
}

/// Names given to the rows or columns, and where they came from.
struct Names {
    names: Vec<String>,
    /// The sidecar they were read from; `None` for an `.npz` array.
    sidecar: Option<PathBuf>,
}

impl Names {
    /// Errors about the names point at the sidecar when there is one.
    fn locate(&self, e: Error) -> Error {
        match &self.sidecar {
            Some(path) => e.or_path(path),
            None => e,
        }
    }
}

/// Reads an `.npy` prediction file and its sidecars.
pub(crate) fn read_npy(path: &Path, name: String) -> Result<ModelOutput> {
    let file = File::open(path).map_err(|e| Error::io("cannot open", e))?;
    let total = file
        .metadata()
        .map_err(|e| Error::io("cannot open", e))?
        .len();
    let array = parse_from(&mut std::io::BufReader::new(file), total)?;
    let ids = sidecar_ids(path)?;
    let classes = sidecar_classes(path)?;
    build(name, Role::Any, array, ids, classes, path)
}

/// Reads an `.npz` prediction file (and sidecars for what it lacks).
pub(crate) fn read_npz(path: &Path, name: String) -> Result<ModelOutput> {
    let file = File::open(path).map_err(|e| Error::io("cannot open", e))?;
    let mut zip = ZipArchive::new(file)
        .map_err(|e| Error::parse_from("cannot read the file as .npz (zip)", e))?;
    // numpy names entries `<array>.npy`; accept the bare name too.
    let mut entries: BTreeMap<String, String> = BTreeMap::new();
    let mut unknown = Vec::new();
    for entry in zip.file_names() {
        let array = entry.strip_suffix(".npy").unwrap_or(entry);
        match array {
            "scores" | "labels" | "values" | "ids" | "classes" => {
                entries.insert(array.to_string(), entry.to_string());
            }
            _ => unknown.push(format!("'{array}'")),
        }
    }
    if !unknown.is_empty() {
        unknown.sort();
        return Err(Error::format(format!(
            "expected arrays named scores, labels or values (and optionally ids and classes), \
             found {}",
            unknown.join(", ")
        )));
    }
    let mains: Vec<&str> = ["scores", "labels", "values"]
        .into_iter()
        .filter(|a| entries.contains_key(*a))
        .collect();
    let (main, role) = match mains.as_slice() {
        ["scores"] => ("scores", Role::Scores),
        ["labels"] => ("labels", Role::Labels),
        ["values"] => ("values", Role::Values),
        _ => {
            return Err(Error::format(format!(
                "expected exactly one of the arrays scores, labels or values, found {}",
                if mains.is_empty() {
                    "none".to_string()
                } else {
                    mains.join(", ")
                }
            )));
        }
    };
    let array = read_entry(&mut zip, main, &entries[main])?;
    let ids = match entries.get("ids") {
        Some(entry) => Some(Names {
            names: name_array(read_entry(&mut zip, "ids", entry)?, "ids")?,
            sidecar: None,
        }),
        None => sidecar_ids(path)?,
    };
    let classes = match entries.get("classes") {
        Some(entry) => Some(Names {
            names: name_array(read_entry(&mut zip, "classes", entry)?, "classes")?,
            sidecar: None,
        }),
        None => sidecar_classes(path)?,
    };
    build(name, role, array, ids, classes, path)
}

/// Reads and parses one array of an archive, bounding what it may allocate.
fn read_entry(zip: &mut ZipArchive<File>, array: &str, entry: &str) -> Result<Array> {
    let prefix = |e: Error| prefixed(e, array);
    let mut file = zip
        .by_name(entry)
        .map_err(|e| prefix(Error::parse_from("cannot open the entry", e)))?;
    let claimed = file.size();
    let compressed = file.compressed_size();
    let limit = match file.compression() {
        CompressionMethod::Stored => compressed,
        _ => compressed
            .saturating_mul(MAX_DEFLATE_RATIO)
            .saturating_add(1024),
    };
    if claimed > limit {
        return Err(prefix(Error::parse(format!(
            "expected at most {limit} bytes from {compressed} compressed bytes, found a claim of \
             {claimed}"
        ))));
    }
    let mut bytes = Vec::new();
    (&mut file)
        .take(claimed)
        .read_to_end(&mut bytes)
        .map_err(|e| prefix(Error::parse_from("cannot decompress", e)))?;
    if bytes.len() as u64 != claimed {
        return Err(prefix(Error::parse(format!(
            "expected {claimed} bytes, found {}",
            bytes.len()
        ))));
    }
    parse(&bytes).map_err(prefix)
}

/// Prefixes an error message with the `.npz` array it concerns.
fn prefixed(e: Error, array: &str) -> Error {
    e.prefixed(&format!("array '{array}'"))
}

/// A 1-D array of integers or strings as names (ids or classes).
fn name_array(array: Array, what: &str) -> Result<Vec<String>> {
    let err = |a: &Array| {
        prefixed(
            Error::format(format!(
                "expected a 1-D array of integers or strings, found {}",
                a.what()
            )),
            what,
        )
    };
    if array.shape.len() != 1 {
        return Err(err(&array));
    }
    match array.data {
        Data::Int(v) => Ok(v.iter().map(|i| i.to_string()).collect()),
        Data::Text(v) => Ok(v.into_iter().map(|s| s.trim().to_string()).collect()),
        Data::Float(_) => Err(err(&array)),
    }
}

/// Turns the main array into a [`ModelOutput`], naming rows and columns.
fn build(
    name: String,
    role: Role,
    array: Array,
    ids: Option<Names>,
    classes: Option<Names>,
    path: &Path,
) -> Result<ModelOutput> {
    let file = path
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let expected = match role {
        Role::Any => {
            "a 2-D array of floats [samples, classes] (scores), or a 1-D array [samples] of \
             floats (regression), integers or strings (labels)"
        }
        Role::Scores => "a 2-D array of floats [samples, classes]",
        Role::Labels => "a 1-D array of integers or strings [samples]",
        Role::Values => "a 1-D array of floats or integers [samples]",
    };
    let wrong = |a: &Array| {
        let e = Error::format(format!("expected {expected}, found {}", a.what()));
        match role {
            Role::Scores => prefixed(e, "scores"),
            Role::Labels => prefixed(e, "labels"),
            Role::Values => prefixed(e, "values"),
            Role::Any => e,
        }
    };
    let n = array.shape.first().copied().unwrap_or(0);
    let Array { shape, descr, data } = array;
    let content = match (role, shape.len(), data) {
        (Role::Any | Role::Scores, 2, Data::Float(values)) => {
            let k = shape[1];
            let columns = match classes {
                Some(c) if c.names.len() != k => {
                    return Err(c.locate(Error::shape(format!(
                        "expected {k} class names (the columns of {file}), found {}",
                        c.names.len()
                    ))));
                }
                Some(c) => c.names,
                None => (0..k).map(|j| j.to_string()).collect(),
            };
            Content::Scores { columns, values }
        }
        (Role::Any | Role::Values, 1, Data::Float(values)) => Content::Values(values),
        // Integer regression targets are common (counts, ratings); f32 holds
        // them exactly up to 2^24.
        (Role::Values, 1, Data::Int(v)) => Content::Values(v.iter().map(|&x| x as f32).collect()),
        (Role::Any | Role::Labels, 1, Data::Int(v)) => {
            Content::Labels(int_labels(&v, classes.as_ref())?)
        }
        (Role::Any | Role::Labels, 1, Data::Text(v)) => {
            Content::Labels(v.into_iter().map(|s| s.trim().to_string()).collect())
        }
        (_, _, data) => return Err(wrong(&Array { shape, descr, data })),
    };
    if n == 0 {
        return Err(no_data_rows());
    }
    let ids = match ids {
        Some(ids) if ids.names.len() != n => {
            let e = Error::shape(format!(
                "expected {n} ids (one per row of {file}), found {}",
                ids.names.len()
            ));
            return Err(match ids.sidecar {
                Some(_) => ids.locate(e),
                None => prefixed(e, "ids"),
            });
        }
        Some(ids) => Ids::Names(ids.names),
        // Rows are named by their number, "0" to "n-1": no string per row.
        None => Ids::Rows(n),
    };
    Ok(ModelOutput { name, ids, content })
}

/// Integer labels as class names: looked up in `classes` when given,
/// otherwise the integer itself.
fn int_labels(v: &[i64], classes: Option<&Names>) -> Result<Vec<String>> {
    let Some(classes) = classes else {
        return Ok(v.iter().map(|i| i.to_string()).collect());
    };
    let k = classes.names.len();
    v.iter()
        .enumerate()
        .map(|(r, &i)| {
            usize::try_from(i)
                .ok()
                .and_then(|j| classes.names.get(j).cloned())
                .ok_or_else(|| {
                    Error::format(format!(
                        "expected a class index from 0 to {} (there are {k} class names), found {i}",
                        k.saturating_sub(1)
                    ))
                    .at_row(r as u64 + 1)
                })
        })
        .collect()
}

/// `<stem>.ids.txt` beside `path`, if present.
fn sidecar_ids(path: &Path) -> Result<Option<Names>> {
    let Some(stem) = path.file_stem() else {
        return Ok(None);
    };
    let sidecar = path.with_file_name(format!("{}.ids.txt", stem.to_string_lossy()));
    read_sidecar(&sidecar, "an id", false)
}

/// `<stem>.classes.txt` beside `path`, else `classes.txt`, if present.
fn sidecar_classes(path: &Path) -> Result<Option<Names>> {
    let Some(stem) = path.file_stem() else {
        return Ok(None);
    };
    let own = path.with_file_name(format!("{}.classes.txt", stem.to_string_lossy()));
    match read_sidecar(&own, "a class name", true)? {
        Some(names) => Ok(Some(names)),
        None => read_sidecar(&path.with_file_name("classes.txt"), "a class name", true),
    }
}

/// Reads a one-entry-per-line text file; `None` when it does not exist.
fn read_sidecar(path: &Path, what: &str, unique: bool) -> Result<Option<Names>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot open", e).or_path(path)),
    };
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut names: Vec<String> = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    // Trailing blank lines are an editor's doing, not missing entries.
    let used = lines.len()
        - lines
            .iter()
            .rev()
            .take_while(|l| l.trim_ascii().is_empty())
            .count();
    for (i, line) in lines[..used].iter().enumerate() {
        let at = |e: Error| e.at_line(i as u64 + 1).or_path(path);
        let line = std::str::from_utf8(line)
            .map_err(|_| at(Error::parse("expected UTF-8 text, found other bytes")))?
            .trim();
        if line.is_empty() {
            return Err(at(Error::parse(format!(
                "expected {what}, found an empty line"
            ))));
        }
        if unique && let Some(before) = first_line.insert(line.to_string(), i + 1) {
            return Err(at(Error::format(format!(
                "expected unique class names, found '{line}' again (first on line {before})"
            ))));
        }
        names.push(line.to_string());
    }
    Ok(Some(Names {
        names,
        sidecar: Some(path.to_path_buf()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, read_predictions};
    use ndarray::{Array1, Array2, ShapeBuilder, array};
    use ndarray_npy::{NpzWriter, WriteNpyExt};
    use std::io::Write;

    fn save<T: WriteNpyExt>(path: &Path, a: &T) {
        a.write_npy(File::create(path).unwrap()).unwrap();
    }

    /// The message with the temporary folder replaced by `dir`.
    fn shown(e: &Error, dir: &Path) -> String {
        e.to_string().replace(&dir.display().to_string(), "dir")
    }

    /// A `.npy` file from a raw header dictionary and data bytes.
    fn raw_npy(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut header = dict.to_string();
        while !(10 + header.len() + 1).is_multiple_of(64) {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn npy_reads_scores_with_sidecars() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bert.npy");
        save(&path, &array![[0.1f32, 0.9], [0.8, 0.2], [0.5, 0.5]]);
        let out = read_predictions(&path).unwrap();
        assert_eq!(out.name, "bert");
        assert_eq!(out.ids, ["0", "1", "2"]);
        // Numbered rows, without a string per row.
        assert!(matches!(out.ids, Ids::Rows(3)), "{:?}", out.ids);
        assert_eq!(
            out.content,
            Content::Scores {
                columns: vec!["0".into(), "1".into()],
                values: vec![0.1, 0.9, 0.8, 0.2, 0.5, 0.5],
            }
        );
        fs::write(dir.path().join("bert.ids.txt"), "a\nb\nc\n\n").unwrap();
        fs::write(dir.path().join("classes.txt"), "neg\r\npos\r\n").unwrap();
        let out = read_predictions(&path).unwrap();
        assert_eq!(out.ids, ["a", "b", "c"]);
        let Content::Scores { columns, .. } = &out.content else {
            panic!()
        };
        assert_eq!(columns, &["neg", "pos"]);
        // A model's own classes file wins over the folder's.
        fs::write(dir.path().join("bert.classes.txt"), "no\nyes\n").unwrap();
        let Content::Scores { columns, .. } = read_predictions(&path).unwrap().content else {
            panic!()
        };
        assert_eq!(columns, ["no", "yes"]);
    }

    #[test]
    fn npy_reads_f64_fortran_big_endian_and_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npy");
        let f = Array2::from_shape_vec((2, 3).f(), vec![1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]).unwrap();
        save(&path, &f);
        let Content::Scores { values, .. } = read_predictions(&path).unwrap().content else {
            panic!()
        };
        assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);

        let mut data = Vec::new();
        for x in [1.5f32, -2.0] {
            data.extend_from_slice(&x.to_be_bytes());
        }
        fs::write(
            &path,
            raw_npy(
                "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                &data,
            ),
        )
        .unwrap();
        assert_eq!(
            read_predictions(&path).unwrap().content,
            Content::Values(vec![1.5, -2.0])
        );

        save(&path, &Array1::from(vec![2i16, 0, -1]));
        assert_eq!(
            read_predictions(&path).unwrap().content,
            Content::Labels(vec!["2".into(), "0".into(), "-1".into()])
        );
        fs::write(dir.path().join("classes.txt"), "a\nb\nc\n").unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npy: row 3: expected a class index from 0 to 2 (there are 3 class names), found -1");
        save(&path, &Array1::from(vec![2u8, 0]));
        assert_eq!(
            read_predictions(&path).unwrap().content,
            Content::Labels(vec!["c".into(), "a".into()])
        );
    }

    #[test]
    fn npy_reads_unicode_string_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npy");
        let mut data = Vec::new();
        for s in ["cat", "dög"] {
            let mut units: Vec<u32> = s.chars().map(|c| c as u32).collect();
            units.resize(3, 0);
            units
                .iter()
                .for_each(|u| data.extend_from_slice(&u.to_le_bytes()));
        }
        fs::write(
            &path,
            raw_npy(
                "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",
                &data,
            ),
        )
        .unwrap();
        assert_eq!(
            read_predictions(&path).unwrap().content,
            Content::Labels(vec!["cat".into(), "dög".into()])
        );
    }

    #[test]
    fn npy_rejects_wrong_rank_and_dtype() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npy");
        save(&path, &ndarray::Array3::<f32>::zeros((2, 3, 4)));
        let e = read_predictions(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format);
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npy: expected a 2-D array of floats [samples, classes] (scores), or a 1-D array [samples] of floats (regression), integers or strings (labels), found a 3-D array of floats (dtype '<f4', shape (2, 3, 4))");
        save(&path, &Array2::<i64>::zeros((2, 2)));
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npy: expected a 2-D array of floats [samples, classes] (scores), or a 1-D array [samples] of floats (regression), integers or strings (labels), found a 2-D array of integers (dtype '<i8', shape (2, 2))");
        save(&path, &Array1::from(vec![true, false]));
        let e = read_predictions(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format);
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npy: expected a float, integer or string dtype, found '|b1'");
    }

    #[test]
    fn npy_floats_read_from_a_file_a_block_at_a_time_equal_the_in_memory_parse() {
        // More elements than one read block (2^16), in both float widths
        // and byte orders, and a file cut short inside the second block.
        let dir = tempfile::tempdir().unwrap();
        let (rows, cols) = (30_001usize, 3usize);
        let values: Vec<f64> = (0..rows * cols).map(|i| (i as f64 * 0.37).sin()).collect();
        for (descr, bytes) in [
            (
                "<f4",
                values
                    .iter()
                    .flat_map(|&x| (x as f32).to_le_bytes())
                    .collect::<Vec<u8>>(),
            ),
            (
                ">f4",
                values
                    .iter()
                    .flat_map(|&x| (x as f32).to_be_bytes())
                    .collect(),
            ),
            (
                "<f8",
                values.iter().flat_map(|&x| x.to_le_bytes()).collect(),
            ),
        ] {
            let dict = format!(
                "{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}"
            );
            let file = raw_npy(&dict, &bytes);
            let path = dir.path().join("m.npy");
            fs::write(&path, &file).unwrap();
            let out = read_npy(&path, "m".into()).unwrap();
            let Content::Scores { values: got, .. } = out.content else {
                panic!("{descr}: expected scores");
            };
            let Data::Float(want) = parse(&file).unwrap().data else {
                panic!("{descr}: expected floats");
            };
            assert_eq!(got, want, "{descr}");
            assert_eq!(
                got[rows * cols - 1],
                values[rows * cols - 1] as f32,
                "{descr}"
            );
            // Cut short: the same message as the in-memory parse.
            fs::write(&path, &file[..file.len() - 5]).unwrap();
            let e = read_npy(&path, "m".into()).unwrap_err();
            let in_memory = parse(&file[..file.len() - 5]).unwrap_err();
            assert_eq!(e.to_string(), in_memory.to_string(), "{descr}");
            assert!(
                e.to_string().contains("bytes of data for shape (30001, 3)"),
                "{e}"
            );
        }
    }

    #[test]
    fn npy_rejects_a_huge_claimed_shape_before_allocating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npy");
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }";
        fs::write(&path, raw_npy(dict, &[0; 48])).unwrap();
        let e = read_predictions(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npy: expected 4000000000000 bytes of data for shape (1000000, 1000000) and dtype '<f4', found 48");
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }";
        fs::write(&path, raw_npy(dict, &[])).unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npy: expected more than 2^64 bytes of data for shape (4294967296, 4294967296, 4294967296) and dtype '<f8', found 0");
        // A version-2 header claiming 4 GB of header in a 12-byte file.
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[2, 0, 0xff, 0xff, 0xff, 0xff]);
        fs::write(&path, bytes).unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npy: expected a header of 4294967295 bytes, found 12 bytes in the whole file");
    }

    #[test]
    fn npy_sidecar_counts_must_match() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npy");
        save(&path, &array![[0.5f32, 0.5], [0.5, 0.5]]);
        fs::write(dir.path().join("m.ids.txt"), "a\n").unwrap();
        let e = read_predictions(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.ids.txt: expected 2 ids (one per row of m.npy), found 1");
        fs::write(dir.path().join("m.ids.txt"), "a\n\nb\n").unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.ids.txt: line 2: expected an id, found an empty line");
        fs::write(dir.path().join("m.ids.txt"), "a\nb\n").unwrap();
        fs::write(dir.path().join("classes.txt"), "x\ny\nz\n").unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/classes.txt: expected 2 class names (the columns of m.npy), found 3");
        fs::write(dir.path().join("classes.txt"), "x\nx\n").unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/classes.txt: line 2: expected unique class names, found 'x' again (first on line 1)");
    }

    #[test]
    fn npz_reads_scores_with_ids_and_compression() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roberta.npz");
        let mut npz = NpzWriter::new_compressed(File::create(&path).unwrap());
        npz.add_array("scores", &array![[0.25f64, 0.75], [1.0, 0.0]])
            .unwrap();
        npz.add_array("ids", &array![10i64, 20]).unwrap();
        npz.finish().unwrap();
        fs::write(dir.path().join("classes.txt"), "neg\npos\n").unwrap();
        let out = read_predictions(&path).unwrap();
        assert_eq!(out.name, "roberta");
        assert_eq!(out.ids, ["10", "20"]);
        assert_eq!(
            out.content,
            Content::Scores {
                columns: vec!["neg".into(), "pos".into()],
                values: vec![0.25, 0.75, 1.0, 0.0],
            }
        );
    }

    #[test]
    fn npz_reads_labels_and_values_with_sidecar_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npz");
        let mut npz = NpzWriter::new(File::create(&path).unwrap());
        npz.add_array("values", &array![3i32, 4]).unwrap();
        npz.finish().unwrap();
        fs::write(dir.path().join("m.ids.txt"), "x\ny").unwrap();
        let out = read_predictions(&path).unwrap();
        assert_eq!(out.ids, ["x", "y"]);
        assert_eq!(out.content, Content::Values(vec![3.0, 4.0]));

        let mut npz = NpzWriter::new(File::create(&path).unwrap());
        npz.add_array("labels", &array![1u8, 0]).unwrap();
        npz.add_array("ids", &array![5u8]).unwrap();
        npz.finish().unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npz: array 'ids': expected 2 ids (one per row of m.npz), found 1");
    }

    #[test]
    fn npz_rejects_unknown_and_ambiguous_arrays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npz");
        let mut npz = NpzWriter::new(File::create(&path).unwrap());
        npz.add_array("probs", &array![[1.0f32]]).unwrap();
        npz.finish().unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npz: expected arrays named scores, labels or values (and optionally ids and classes), found 'probs'");
        let mut npz = NpzWriter::new(File::create(&path).unwrap());
        npz.add_array("scores", &array![[1.0f32]]).unwrap();
        npz.add_array("values", &array![1.0f32]).unwrap();
        npz.finish().unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npz: expected exactly one of the arrays scores, labels or values, found scores, values");
        let mut npz = NpzWriter::new(File::create(&path).unwrap());
        npz.add_array("scores", &array![1.0f32]).unwrap();
        npz.finish().unwrap();
        let e = read_predictions(&path).unwrap_err();
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npz: array 'scores': expected a 2-D array of floats [samples, classes], found a 1-D array of floats (dtype '<f4', shape (1,))");
    }

    #[test]
    fn npz_rejects_an_entry_claiming_more_than_deflate_can_give() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npz");
        // A stored entry whose local and central headers claim a 4 GB size.
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        let opts =
            zip::write::SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        zip.start_file("scores.npy", opts).unwrap();
        zip.write_all(b"\x93NUMPY").unwrap();
        zip.finish().unwrap();
        let mut bytes = fs::read(&path).unwrap();
        // Patch the uncompressed size in the central directory entry
        // (signature PK\x01\x02, size at offset 24).
        let cd = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        bytes[cd + 24..cd + 28].copy_from_slice(&u32::MAX.to_le_bytes());
        fs::write(&path, bytes).unwrap();
        let e = read_predictions(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        insta::assert_snapshot!(shown(&e, dir.path()), @"dir/m.npz: array 'scores': expected at most 6 bytes from 6 compressed bytes, found a claim of 4294967295");
    }

    #[test]
    fn npy_integer_decoding_sign_extends() {
        assert_eq!(integer(&[0xff], false, true).unwrap(), -1);
        assert_eq!(integer(&[0xff], false, false).unwrap(), 255);
        assert_eq!(integer(&[0xff, 0xfe], true, true).unwrap(), -2);
        assert_eq!(integer(&[0x00, 0x01], true, false).unwrap(), 1);
        assert!(integer(&[0xff; 8], false, false).is_err());
    }
}
