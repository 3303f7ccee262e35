//! Atomic file replacement: a save either leaves the complete new file at the path or the
//! previous file untouched, never a half-written one.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes a file atomically: `write` fills a temporary file in the target's directory
/// (`.{name}.XXXXXX.tmp`), which is flushed, `fsync`ed and renamed over `path`; on unix
/// the directory is `fsync`ed too, so the rename survives a crash. If anything fails
/// (`write` returns an error, the disk is full, the directory is read-only), the previous
/// file at `path` stays as it was and the temporary file is removed. The directory's `fsync`
/// after the rename is best effort (the new file is in place either way).
///
/// A new file gets the permissions `File::create` would give it; a replaced file keeps its
/// own. A symbolic link at `path` is replaced by the new file (its target is untouched).
///
/// ```
/// use std::io::Write;
/// let dir = std::env::temp_dir().join(format!("nn-doc-atomic-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("notes.txt");
/// nn::persist::write_atomic(&path, |w| w.write_all(b"first")).unwrap();
/// // A failing writer leaves the previous content.
/// let err = nn::persist::write_atomic(&path, |w| {
///     w.write_all(b"half")?;
///     Err(std::io::Error::other("disk on fire"))
/// });
/// assert!(err.is_err());
/// assert_eq!(std::fs::read(&path).unwrap(), b"first");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write_atomic(path: impl AsRef<Path>, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let path = path.as_ref();
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    let replaced = fs::metadata(path).ok().map(|m| m.permissions());
    #[cfg(unix)]
    if replaced.is_none() {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666)); // less the umask, as `File::create`
    }
    // Dropped on any error below: the temporary file is deleted.
    let tmp = builder.tempfile_in(dir)?;
    if let Some(p) = replaced {
        // Set after creation: a mode given at creation would be narrowed by the umask.
        tmp.as_file().set_permissions(p)?;
    }
    {
        let mut w = BufWriter::new(tmp.as_file());
        write(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // Best effort: the file is in place whatever this gives (some network and FUSE file
    // systems refuse to sync a directory), so a failure here is not a failed save.
    #[cfg(unix)]
    let _ = fs::File::open(dir).and_then(|d| d.sync_all());
    Ok(())
}
