//! [`Ids`]: the sample ids of one model's rows, as read from a file.

use std::borrow::Cow;

/// The sample ids of one [`ModelOutput`](super::ModelOutput)'s rows, in file
/// order.
///
/// A file without ids (an `.npy` array without an `.ids.txt` sidecar, say)
/// names its rows by their number: [`Ids::Rows`] says so without holding a
/// string per row, which is what lets
/// [`Predictions::from_outputs`](super::Predictions::from_outputs) align
/// models whose rows are all numbered alike without hashing, comparing or
/// sorting anything.
///
/// Two `Ids` are equal when they list the same ids in the same order, however
/// they are stored: `Ids::Rows(2) == Ids::from(vec!["0".to_string(), "1".into()])`.
#[derive(Clone, Debug)]
pub enum Ids {
    /// `n` rows whose ids are their row numbers, `"0"` to `"n-1"`, in order.
    Rows(usize),
    /// One id per row, as the file names them.
    Names(Vec<String>),
}

impl Ids {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Ids::Rows(n) => *n,
            Ids::Names(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of row `i`, or `None` past the last row.
    pub fn get(&self, i: usize) -> Option<Cow<'_, str>> {
        match self {
            Ids::Rows(n) => (i < *n).then(|| Cow::Owned(i.to_string())),
            Ids::Names(v) => v.get(i).map(|s| Cow::Borrowed(s.as_str())),
        }
    }

    /// The id of row `i`.
    ///
    /// # Panics
    ///
    /// When `i` is not below [`Ids::len`].
    pub fn id(&self, i: usize) -> Cow<'_, str> {
        self.get(i).unwrap_or_else(|| {
            panic!(
                "row {i} is out of range for {} ids (rows 0 to {})",
                self.len(),
                self.len().saturating_sub(1)
            )
        })
    }

    /// The ids, in row order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Cow<'_, str>> + ExactSizeIterator + '_ {
        (0..self.len()).map(|i| match self {
            Ids::Rows(_) => Cow::Owned(i.to_string()),
            Ids::Names(v) => Cow::Borrowed(v[i].as_str()),
        })
    }

    /// The stored names, or `None` for [`Ids::Rows`].
    pub fn as_names(&self) -> Option<&[String]> {
        match self {
            Ids::Rows(_) => None,
            Ids::Names(v) => Some(v),
        }
    }

    /// The ids as strings, one per row (row numbers are written out).
    pub fn into_names(self) -> Vec<String> {
        match self {
            Ids::Rows(n) => (0..n).map(|i| i.to_string()).collect(),
            Ids::Names(v) => v,
        }
    }

    /// Turns [`Ids::Rows`] into the equivalent [`Ids::Names`] in place, and
    /// returns the names.
    pub fn materialise(&mut self) -> &mut Vec<String> {
        if let Ids::Rows(n) = *self {
            *self = Ids::Names((0..n).map(|i| i.to_string()).collect());
        }
        match self {
            Ids::Names(v) => v,
            Ids::Rows(_) => unreachable!("just replaced"),
        }
    }
}

impl Default for Ids {
    fn default() -> Self {
        Ids::Rows(0)
    }
}

/// Collects a file's ids row by row into [`Ids`], holding no string while
/// every id is its row number (`0`, `1`, … as pandas writes its default
/// index): such a file's ids end as [`Ids::Rows`], which aligns without
/// hashing or comparing anything. At the first other id the row numbers so
/// far are written out and the ids kept as [`Ids::Names`], in file order as
/// always.
#[derive(Clone, Debug, Default)]
pub struct IdsBuilder {
    rows: usize,
    names: Option<Vec<String>>,
}

impl IdsBuilder {
    /// Adds the id of the next row.
    pub fn push(&mut self, id: &str) {
        match &mut self.names {
            Some(names) => names.push(id.to_string()),
            None if is_row_number(id, self.rows) => self.rows += 1,
            None => {
                let mut names: Vec<String> = (0..self.rows).map(|i| i.to_string()).collect();
                names.push(id.to_string());
                self.names = Some(names);
            }
        }
    }

    /// Adds an integer id of the next row (no text is made for row numbers).
    pub fn push_int(&mut self, id: i64) {
        match (&mut self.names, usize::try_from(id)) {
            (None, Ok(i)) if i == self.rows => self.rows += 1,
            _ => self.push(&id.to_string()),
        }
    }

    /// The number of ids added.
    pub fn len(&self) -> usize {
        self.names.as_ref().map_or(self.rows, Vec::len)
    }

    /// Whether no id was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids.
    pub fn finish(self) -> Ids {
        match self.names {
            Some(names) => Ids::Names(names),
            None => Ids::Rows(self.rows),
        }
    }
}

impl From<Vec<String>> for Ids {
    fn from(v: Vec<String>) -> Self {
        Ids::Names(v)
    }
}

impl From<Vec<&str>> for Ids {
    fn from(v: Vec<&str>) -> Self {
        Ids::Names(v.into_iter().map(String::from).collect())
    }
}

impl FromIterator<String> for Ids {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        Ids::Names(iter.into_iter().collect())
    }
}

impl From<Ids> for Vec<String> {
    fn from(ids: Ids) -> Self {
        ids.into_names()
    }
}

/// Whether `s` is how `i` is written in decimal, without allocating.
fn is_row_number(s: &str, i: usize) -> bool {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut x = i;
    loop {
        at -= 1;
        buf[at] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    s.as_bytes() == &buf[at..]
}

fn same_as_names<S: AsRef<str>>(ids: &Ids, names: &[S]) -> bool {
    match ids {
        Ids::Rows(n) => {
            *n == names.len()
                && names
                    .iter()
                    .enumerate()
                    .all(|(i, s)| is_row_number(s.as_ref(), i))
        }
        Ids::Names(v) => {
            v.len() == names.len() && v.iter().zip(names).all(|(a, b)| a == b.as_ref())
        }
    }
}

impl PartialEq for Ids {
    fn eq(&self, other: &Ids) -> bool {
        match (self, other) {
            (Ids::Rows(a), Ids::Rows(b)) => a == b,
            (Ids::Names(a), Ids::Names(b)) => a == b,
            (ids, Ids::Names(v)) | (Ids::Names(v), ids) => same_as_names(ids, v),
        }
    }
}

impl Eq for Ids {}

impl<S: AsRef<str>> PartialEq<[S]> for Ids {
    fn eq(&self, other: &[S]) -> bool {
        same_as_names(self, other)
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Ids {
    fn eq(&self, other: &[S; N]) -> bool {
        same_as_names(self, other)
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Ids {
    fn eq(&self, other: &Vec<S>) -> bool {
        same_as_names(self, other)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn ids_builder_keeps_row_numbers_as_rows() {
        let mut b = IdsBuilder::default();
        for i in 0..5 {
            b.push(&i.to_string());
        }
        assert_eq!(b.len(), 5);
        assert!(matches!(b.clone().finish(), Ids::Rows(5)));
        b.push_int(5);
        assert!(matches!(b.clone().finish(), Ids::Rows(6)));
        // The first id that is not its row number turns the list into names,
        // the same ids in the same order.
        b.push("07");
        b.push_int(8);
        let ids = b.finish();
        assert!(matches!(ids, Ids::Names(_)));
        assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "07", "8"]);
        for other in [
            "+0",
            "00",
            " 0",
            "0.0",
            "-0",
            "1",
            "",
            "99999999999999999999999",
        ] {
            let mut b = IdsBuilder::default();
            b.push(other);
            assert_eq!(
                b.finish().as_names(),
                Some(&[other.to_string()][..]),
                "{other}"
            );
        }
        let mut b = IdsBuilder::default();
        b.push_int(-1);
        assert_eq!(b.finish(), ["-1"]);
        assert!(IdsBuilder::default().is_empty());
    }

    use super::*;

    #[test]
    fn rows_are_their_numbers() {
        let rows = Ids::Rows(12);
        let names: Ids = (0..12).map(|i| i.to_string()).collect();
        assert_eq!(rows.len(), 12);
        assert!(!rows.is_empty());
        assert!(Ids::Rows(0).is_empty());
        assert_eq!(rows.id(11), "11");
        assert_eq!(rows.get(12), None);
        assert_eq!(names.get(3).as_deref(), Some("3"));
        assert!(rows.iter().eq(names.iter()));
        assert_eq!(rows, names);
        assert_eq!(names, rows);
        assert_ne!(Ids::Rows(11), names);
        assert_ne!(Ids::Rows(2), Ids::from(vec!["0", "01"]));
        assert_ne!(Ids::Rows(2), Ids::from(vec!["1", "0"]));
        assert_eq!(Ids::Rows(3), ["0", "1", "2"]);
        assert_eq!(rows.clone().into_names(), names.clone().into_names());
        let mut m = Ids::Rows(2);
        assert_eq!(m.materialise(), &["0", "1"]);
        assert!(matches!(m, Ids::Names(_)));
        assert!(is_row_number("18446744073709551615", usize::MAX));
    }
}
