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
//! * A run killed outright (SIGKILL, out of memory) runs no destructor, so the temporary
//!   file must not need one. On Linux it is unnamed (`O_TMPFILE`: the kernel frees it when
//!   the last descriptor closes, whatever ends the process) and gets a name only in
//!   [`commit`], by `linkat` to `.invsync-PID-TARGET.N.tmp` immediately renamed over the
//!   target. Where the file system has no unnamed files, a named temporary of that form is
//!   used. Either way, [`Output::create`] first removes the temporaries of its own target
//!   whose writer (the PID in the name) is no longer running: what a kill between link and
//!   rename, or during a named temporary's life, left behind. (PIDs are those of this PID
//!   namespace: a writer in another container sharing the directory is not seen.)
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
    /// An unnamed file in the target's directory (Linux `O_TMPFILE`), named and renamed
    /// over the target on commit.
    Unnamed(File),
    /// A named temporary file renamed over the target on commit.
    Temp(tempfile::NamedTempFile),
    /// The target itself (not a regular file).
    Direct(File),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Unnamed(f) | Sink::Direct(f) => f.write(buf),
            Sink::Temp(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Unnamed(f) | Sink::Direct(f) => f.flush(),
            Sink::Temp(f) => f.flush(),
        }
    }
}

/// The prefix of this process's temporary files for the target named `name`:
/// `.invsync-PID-NAME.` (the name cut to 100 bytes, so the whole stays a valid file name).
fn temp_prefix(pid: u32, name: &str) -> String {
    let mut end = name.len().min(100);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!(".invsync-{pid}-{}.", &name[..end])
}

/// Whether process `pid` is running (in this PID namespace). `true` when that cannot be
/// told (no `/proc`): a temporary file is only removed when its writer is known gone.
fn running(pid: u32) -> bool {
    !Path::new("/proc/self").exists() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the temporary files left in `dir` for the target named `name` by runs that are
/// no longer running (killed between naming and renaming, or while writing a named
/// temporary). Returns how many were removed. Best effort: an unreadable directory, or a
/// file another run removed first, is not an error (the target is written regardless).
fn sweep(dir: &Path, name: &str) -> usize {
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file.strip_prefix(".invsync-") else { continue };
        let Some((pid, _)) = rest.split_once('-') else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if file.starts_with(&temp_prefix(pid, name))
            && file.ends_with(".tmp")
            && !running(pid)
            && fs::remove_file(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// An unnamed file in `dir` with permissions `mode` (Linux `O_TMPFILE`); `None` where the
/// file system or kernel has none (the caller falls back to a named temporary).
#[cfg(target_os = "linux")]
fn unnamed(dir: &Path, mode: u32) -> Option<File> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    let fd = openat(CWD, dir, OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC, Mode::from_raw_mode(mode)).ok()?;
    // The mode is filtered by the umask, as for the named temporary.
    Some(File::from(fd))
}

#[cfg(not(target_os = "linux"))]
fn unnamed(_dir: &Path, _mode: u32) -> Option<File> {
    None
}

/// Gives the unnamed `file` a temporary name in `dir` beside `target` and renames it over
/// the target.
#[cfg(target_os = "linux")]
fn link_and_rename(file: &File, dir: &Path, target: &Path) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, linkat};
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let prefix = temp_prefix(std::process::id(), name);
    let fd_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(file));
    for n in 0u32.. {
        let tmp = dir.join(format!("{prefix}{n}.tmp"));
        match linkat(CWD, fd_path.as_str(), CWD, &tmp, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => {
                return fs::rename(&tmp, target).inspect_err(|_| {
                    let _ = fs::remove_file(&tmp);
                });
            }
            Err(e) if e == rustix::io::Errno::EXIST && n < 1000 => {}
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the loop returns")
}

#[cfg(not(target_os = "linux"))]
fn link_and_rename(_file: &File, _dir: &Path, _target: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "unnamed files are Linux only"))
}

/// The directory a path's file is in (`.` for a bare name).
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
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
                let dir = dir_of(path);
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
                sweep(dir, name);
                let mode = existing.map_or(0o666, |m| m.permissions().mode() & 0o7777);
                match unnamed(dir, mode) {
                    Some(f) => Sink::Unnamed(f),
                    None => Sink::Temp(
                        tempfile::Builder::new()
                            .prefix(&temp_prefix(std::process::id(), name))
                            .suffix(".tmp")
                            .permissions(fs::Permissions::from_mode(mode))
                            .tempfile_in(dir)
                            .map_err(fail)?,
                    ),
                }
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
            Sink::Unnamed(f) => f.sync_all().map_err(fail)?,
            Sink::Temp(f) => f.as_file().sync_all().map_err(fail)?,
            // A device may not support fsync (`/dev/null`); what it accepted is written.
            Sink::Direct(_) => {}
        }
        done.push((path, sink));
    }
    for (path, sink) in done {
        let dir = dir_of(&path);
        match sink {
            Sink::Unnamed(f) => {
                link_and_rename(&f, dir, &path).map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
            }
            Sink::Temp(f) => {
                f.persist(&path).map_err(|e| Failure::Other(format!("{}: {}", path.display(), e.error)))?;
            }
            Sink::Direct(_) => continue,
        }
        sync_dir(dir).map_err(|e| Failure::Other(format!("{}: {e}", dir.display())))?;
    }
    Ok(())
}

/// Fsyncs a directory (so a rename in it survives a power cut).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(test)]
    tests::DIR_SYNCS.with(|n| n.set(n.get() + 1));
    File::open(dir).and_then(|d| d.sync_all())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// Directory fsyncs by [`sync_dir`] on this thread.
        pub(super) static DIR_SYNCS: Cell<usize> = const { Cell::new(0) };
    }

    /// Every rename over a target is followed by an fsync of its directory (before: seen
    /// only with strace), and a failed run syncs nothing.
    #[test]
    fn every_committed_output_syncs_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.json"));
        fs::write(&a, "old").unwrap();
        DIR_SYNCS.with(|n| n.set(0));
        let outs: Vec<Output> = [&a, &b]
            .iter()
            .map(|p| {
                let mut o = Output::create(p).unwrap();
                o.write_all(b"new").unwrap();
                o
            })
            .collect();
        drop(outs);
        assert_eq!(DIR_SYNCS.with(Cell::get), 0);
        let outs: Vec<Output> = [&a, &b]
            .iter()
            .map(|p| {
                let mut o = Output::create(p).unwrap();
                o.write_all(b"new").unwrap();
                o
            })
            .collect();
        commit(outs).unwrap();
        assert_eq!(DIR_SYNCS.with(Cell::get), 2);
        assert_eq!(fs::read_to_string(&b).unwrap(), "new");
        // A device is written in place: no rename, no directory to sync.
        let o = Output::create(Path::new("/dev/null")).unwrap();
        commit(vec![o]).unwrap();
        assert_eq!(DIR_SYNCS.with(Cell::get), 2);
    }

    /// While a run writes, its output has no name in the directory (Linux: `O_TMPFILE`), so
    /// a killed run leaves nothing there; committed, it keeps the replaced target's mode.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_output_being_written_has_no_name() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        fs::write(&a, "old").unwrap();
        fs::set_permissions(&a, fs::Permissions::from_mode(0o640)).unwrap();
        let mut o = Output::create(&a).unwrap();
        assert!(matches!(o.inner.get_ref(), Sink::Unnamed(_)), "{:?}", o.inner.get_ref());
        o.write_all(b"new").unwrap();
        o.flush().unwrap();
        let names = || -> Vec<_> { fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect() };
        assert_eq!(names(), ["a.csv"]);
        commit(vec![o]).unwrap();
        assert_eq!(names(), ["a.csv"]);
        assert_eq!(fs::read_to_string(&a).unwrap(), "new");
        assert_eq!(fs::metadata(&a).unwrap().permissions().mode() & 0o777, 0o640);
    }

    /// Temporaries of this target whose writer is gone are removed when the target is next
    /// written; a running writer's, and another target's, are left alone.
    #[test]
    fn stale_temporaries_of_the_target_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        // A process that has exited: its PID is free (reuse within this test is unlikely,
        // and would only keep the file).
        let gone = std::process::Command::new("true").spawn().unwrap();
        let gone_pid = gone.id();
        let mut gone = gone;
        gone.wait().unwrap();
        let me = std::process::id();
        let stale = dir.path().join(format!("{}7.tmp", temp_prefix(gone_pid, "a.csv")));
        let live = dir.path().join(format!("{}8.tmp", temp_prefix(me, "a.csv")));
        let other = dir.path().join(format!("{}9.tmp", temp_prefix(gone_pid, "b.csv")));
        for p in [&stale, &live, &other] {
            fs::write(p, "partial").unwrap();
        }
        let mut o = Output::create(&a).unwrap();
        o.write_all(b"new").unwrap();
        commit(vec![o]).unwrap();
        assert!(!stale.exists(), "the dead writer's temporary is removed");
        assert!(live.exists() && other.exists());
        assert_eq!(sweep(dir.path(), "a.csv"), 0);
        assert_eq!(temp_prefix(1, &"é".repeat(80)).len(), ".invsync-1-.".len() + 100);
    }

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
