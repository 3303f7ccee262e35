//! Atomic file writes for [`save_onnx`](super::save_onnx): the bytes go to a temporary file
//! in the target's directory, are flushed and `fsync`ed, and the file is renamed over the
//! target, so a reader sees the old file or the whole new one, never a part. On failure
//! the temporary file is removed and the old file is untouched.
//!
//! (Written with std alone so the `onnx` feature does not need the `safetensors` feature's
//! `tempfile`; `nn::persist::write_atomic` does the same for safetensors files.)

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `bytes` to `path` atomically (see the module documentation).
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path)?;
    let result = write_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    sync_dir(path);
    Ok(())
}

/// `dir/.name.tmp-PID-N` beside `path`, a name no other writer in this or another
/// process uses.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names a directory, not a file"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = format!(".{}.tmp-{}-{n}", name.to_string_lossy(), std::process::id());
    Ok(path.with_file_name(tmp))
}

/// Creates `tmp` (failing if it exists), writes `bytes` and `fsync`s it.
fn write_synced(tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file: File = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    file.write_all(bytes)?;
    file.flush()?;
    file.sync_all()
}

/// `fsync`s the directory of `path` so the rename itself survives a crash (Unix; best
/// effort: the file is already complete under its name).
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
