//! Writing a file so that it is either complete or not there at all.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Writes the file at `path` atomically: all of it, or nothing.
///
/// `write` receives a buffered writer to a temporary file in the same folder
/// as `path` (named `.<file name>.<random>.tmp`). When it returns `Ok`, the
/// temporary file is flushed, synced to disk and renamed over `path`, which
/// atomically replaces any existing file. Same folder, because a rename is
/// only atomic within one file system.
///
/// So a failed write never leaves a partial file at `path` and never touches
/// an existing one: if `write` fails, or anything before the rename does, the
/// temporary file is deleted and the old file is left as it was. Only a
/// process killed mid-write can leave a stray temporary file behind, never a
/// half-written `path`.
///
/// A new file gets the permissions of the file it replaces, or `0644` on
/// Unix (a temporary file is created `0600`, which would surprise people who
/// share outputs).
///
/// # Errors
///
/// [`ErrorKind::Io`](crate::ErrorKind::Io) naming `path` when the folder is
/// not writable, when `write` fails (its error is kept as the source), or
/// when the data cannot be synced or renamed.
///
/// # Example
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("report.txt");
/// modelfuse_io::write_atomic(&path, |out| out.write_all(b"all or nothing\n"))?;
/// assert_eq!(std::fs::read_to_string(&path)?, "all or nothing\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    write_inner(path, write).map_err(|e| e.or_path(path))
}

fn write_inner(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        Error::format("expected a path ending in a file name, found none".to_string())
    })?;
    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    let permissions = match fs::metadata(path) {
        Ok(meta) => Some(meta.permissions()),
        Err(_) => default_permissions(),
    };
    if let Some(p) = permissions {
        builder.permissions(p);
    }
    let temp = builder
        .tempfile_in(dir)
        .map_err(|e| Error::io("cannot create a temporary file beside it", e))?;

    let mut out = BufWriter::new(temp);
    write(&mut out).map_err(|e| Error::io("cannot write", e))?;
    let temp = out
        .into_inner()
        .map_err(|e| Error::io("cannot write", e.into_error()))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::io("cannot sync to disk", e))?;
    temp.persist(path)
        .map_err(|e| Error::io("cannot move the new file into place", e.error))?;
    sync_dir(dir);
    Ok(())
}

#[cfg(unix)]
fn default_permissions() -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<fs::Permissions> {
    None
}

/// Makes the rename itself durable. Best effort: some file systems cannot
/// sync a folder, and the file's own data is already safe by then.
fn sync_dir(dir: &Path) {
    // Only Unix lets a folder be opened and synced like a file.
    if cfg!(unix)
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn atomic_write_replaces_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        write_atomic(&path, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(leftovers(dir.path()), ["out.csv"]);
    }

    #[test]
    fn atomic_write_leaves_the_old_file_when_the_writer_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        let e = write_atomic(&path, |w| {
            w.write_all(b"half of the ")?;
            Err(std::io::Error::other("model crashed"))
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert_eq!(e.path(), Some(path.as_path()));
        assert_eq!(e.message(), "cannot write");
        let source = std::error::Error::source(&e).expect("the writer's error");
        assert_eq!(source.to_string(), "model crashed");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(
            leftovers(dir.path()),
            ["out.csv"],
            "the temporary file is removed"
        );
    }

    #[test]
    fn atomic_write_creates_nothing_when_the_writer_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.csv");
        write_atomic(&path, |_| Err(std::io::Error::other("no"))).unwrap_err();
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_gives_new_files_ordinary_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.csv");
        write_atomic(&path, |w| w.write_all(b"x")).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn atomic_write_into_a_missing_folder_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/folder/out.csv");
        let e = write_atomic(&path, |w| w.write_all(b"x")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert_eq!(e.message(), "cannot create a temporary file beside it");
    }
}
