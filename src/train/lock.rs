//! One writer per run: a trainer holds an exclusive lock on `<run>/.lock` while it runs, so a
//! second process (CLI or studio) training or resuming the same run is refused instead of
//! interleaving checkpoints and metrics lines.
//!
//! The lock is the operating system's advisory file lock (`File::try_lock`), which the kernel
//! drops when the process ends, however it ends: a trainer killed with SIGKILL leaves nothing
//! stuck. The file stays (removing lock files races with the next taker); it only records who
//! holds it, for the message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};

use anyhow::{Context, Result, bail};

use super::RunDir;

const LOCK_FILE: &str = ".lock";

/// Held while a trainer writes to its run; released on drop or when the process ends.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the run's lock, creating the run folder if needed; refuses when another trainer
    /// (in this or any process) holds it, naming its process.
    pub fn acquire(run: &RunDir) -> Result<Self> {
        std::fs::create_dir_all(&run.root)
            .with_context(|| format!("cannot create {}", run.root.display()))?;
        let path = run.root.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the run's lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                bail!(
                    "run {} is being trained by another process{}; wait for it to finish or \
                     stop it, then continue the run",
                    run.root.display(),
                    if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" ({holder})")
                    }
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        // Who holds it, for the message another taker shows. Failing to say so is harmless.
        let _ = file.set_len(0);
        let _ = file.seek(SeekFrom::Start(0));
        let _ = write!(file, "pid {}", std::process::id());
        let _ = file.flush();
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::new(dir.path(), "r").unwrap();
        let first = RunLock::acquire(&run).unwrap();
        let refused = RunLock::acquire(&run).unwrap_err().to_string();
        assert!(refused.contains("another process"), "{refused}");
        assert!(
            refused.contains(&format!("pid {}", std::process::id())),
            "{refused}"
        );
        drop(first);
        RunLock::acquire(&run).expect("free once the first is dropped");
    }
}
