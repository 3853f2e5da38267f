//! Output files that never destroy data: every subcommand writes through this module.
//!
//! * [`check_paths`] refuses an output that is the same file as an input or as another
//!   output (compared by device and inode, so links and `./a` versus `a` are caught), before
//!   anything is opened.
//! * [`Output::create`] writes a regular file to a temporary file in the target's
//!   directory; [`commit`] flushes and fsyncs every output of the run, then renames each
//!   over its target and fsyncs the directory. A run that fails before [`commit`] drops
//!   its outputs, which deletes the temporary files: every earlier output is left byte for
//!   byte as it was.
//! * A target that exists and is not a regular file (`/dev/null`, `/dev/full`, a FIFO) is
//!   written in place: it cannot be renamed over, and it holds nothing to lose.
//!
//! Write errors name the output's path.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::Failure;

/// What makes two paths the same file.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    /// An existing file: device and inode.
    Inode(u64, u64),
    /// A file that does not exist yet: its canonical directory and name.
    Name(PathBuf),
}

/// The identity of `p`, or `None` for an existing file that is not a regular file (a
/// device or FIFO can be named twice harmlessly) or an input that does not exist (opening
/// it reports that).
fn identity(p: &Path) -> Option<Identity> {
    match fs::metadata(p) {
        Ok(m) if m.is_file() => Some(Identity::Inode(m.dev(), m.ino())),
        Ok(_) => None,
        Err(_) => {
            let name = p.file_name()?;
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            Some(Identity::Name(dir.join(name)))
        }
    }
}

/// Refuses (bad input, exit 2) any output that is the same file as an input or another
/// output. Call it before reading or opening anything.
pub(crate) fn check_paths(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    let ins: Vec<_> =
        inputs.iter().filter_map(|(flag, p)| fs::metadata(p).ok().and(identity(p)).map(|id| (*flag, *p, id))).collect();
    let mut outs: Vec<(&str, &Path, Identity)> = Vec::new();
    for &(flag, p) in outputs {
        let Some(id) = identity(p) else { continue };
        if let Some((f2, p2, _)) = ins.iter().chain(outs.iter()).find(|(_, _, other)| *other == id) {
            return Err(Failure::Input(format!(
                "{flag} {} is the same file as {f2} {}: refusing to overwrite it (nothing was written)",
                p.display(),
                p2.display()
            )));
        }
        outs.push((flag, p, id));
    }
    Ok(())
}

/// The file an [`Output`] writes to.
#[derive(Debug)]
enum Sink {
    /// A temporary file renamed over the target on commit.
    Temp(tempfile::NamedTempFile),
    /// The target itself (not a regular file).
    Direct(File),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Temp(f) => f.write(buf),
            Sink::Direct(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Temp(f) => f.flush(),
            Sink::Direct(f) => f.flush(),
        }
    }
}

/// One output file of a run, buffered; it replaces its target only through [`commit`].
#[derive(Debug)]
pub(crate) struct Output {
    path: PathBuf,
    inner: BufWriter<Sink>,
}

impl Output {
    /// Starts writing `path`: a temporary file beside it (with the target's permissions when
    /// it exists), or the target itself when it exists and is not a regular file.
    ///
    /// A failure is exit 1 naming the path.
    pub(crate) fn create(path: &Path) -> Result<Output, Failure> {
        let fail = |e: io::Error| Failure::Other(format!("{}: {e}", path.display()));
        // A symbolic link is written through: the file it points to is replaced, the link
        // stays.
        let resolved = match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).ok(),
            _ => None,
        };
        let path = resolved.as_deref().unwrap_or(path);
        let sink = match fs::metadata(path) {
            Ok(m) if !m.is_file() => Sink::Direct(File::create(path).map_err(fail)?),
            existing => {
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                let mode = existing.map_or(0o666, |m| m.permissions().mode() & 0o7777);
                let tmp = tempfile::Builder::new()
                    .prefix(".invsync-")
                    .suffix(".tmp")
                    .permissions(fs::Permissions::from_mode(mode))
                    .tempfile_in(dir)
                    .map_err(fail)?;
                Sink::Temp(tmp)
            }
        };
        Ok(Output { path: path.to_path_buf(), inner: BufWriter::with_capacity(1 << 16, sink) })
    }

    fn with_path(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("{}: {e}", self.path.display()))
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).map_err(|e| self.with_path(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf).map_err(|e| self.with_path(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(|e| self.with_path(e))
    }
}

/// Finishes a run's outputs: flushes and fsyncs every one first, then renames each over
/// its target and fsyncs its directory. Nothing is renamed unless every output was
/// written in full.
pub(crate) fn commit(outputs: Vec<Output>) -> Result<(), Failure> {
    let mut done = Vec::with_capacity(outputs.len());
    for o in outputs {
        let path = o.path;
        let fail = |e: io::Error| Failure::Other(format!("{}: {e}", path.display()));
        let sink = o.inner.into_inner().map_err(|e| fail(e.into_error()))?;
        match &sink {
            Sink::Temp(f) => f.as_file().sync_all().map_err(fail)?,
            // A device may not support fsync (`/dev/null`); what it accepted is written.
            Sink::Direct(_) => {}
        }
        done.push((path, sink));
    }
    for (path, sink) in done {
        if let Sink::Temp(f) = sink {
            f.persist(&path).map_err(|e| Failure::Other(format!("{}: {}", path.display(), e.error)))?;
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| Failure::Other(format!("{}: {e}", dir.display())))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_found_by_inode_and_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        fs::write(&a, "x").unwrap();
        let link = dir.path().join("link.csv");
        fs::hard_link(&a, &link).unwrap();
        let new = dir.path().join("new.csv");
        assert!(check_paths(&[("--in", &a)], &[("--out", &link)]).is_err());
        assert!(check_paths(&[("--in", &a)], &[("--out", &new), ("--json", &dir.path().join("./new.csv"))]).is_err());
        assert!(check_paths(&[("--in", &a)], &[("--out", &new)]).is_ok());
        assert!(
            check_paths(&[("--in", &a)], &[("--out", Path::new("/dev/null")), ("--json", Path::new("/dev/null"))])
                .is_ok()
        );
    }

    #[test]
    fn an_output_dropped_before_commit_leaves_the_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        fs::write(&a, "old").unwrap();
        let mut o = Output::create(&a).unwrap();
        o.write_all(b"new").unwrap();
        drop(o);
        assert_eq!(fs::read_to_string(&a).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is removed");
        let mut o = Output::create(&a).unwrap();
        o.write_all(b"new").unwrap();
        commit(vec![o]).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "new");
        // Through a symbolic link: the link stays, its target is replaced.
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&a, &link).unwrap();
        let mut o = Output::create(&link).unwrap();
        o.write_all(b"newer").unwrap();
        commit(vec![o]).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(&a).unwrap(), "newer");
    }
}
