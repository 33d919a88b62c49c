//! The layout of a run on disk: `runs/<name>/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Paths inside one run folder.
#[derive(Clone, Debug)]
pub struct RunDir {
    pub root: PathBuf,
}

impl RunDir {
    /// `runs_dir/name`, refusing names that would escape the runs folder.
    pub fn new(runs_dir: &Path, name: &str) -> Result<Self> {
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            bail!("run name {name:?} must be a plain folder name");
        }
        Ok(Self {
            root: runs_dir.join(name),
        })
    }

    /// Opens a run given as a name under `runs_dir` or as a path to its folder.
    pub fn open(runs_dir: &Path, run: &str) -> Result<Self> {
        let as_path = PathBuf::from(run);
        let root = if as_path.join("config.json").is_file() {
            as_path
        } else {
            runs_dir.join(run)
        };
        if !root.join("config.json").is_file() {
            bail!(
                "no run at {}: config.json not found (train one with `gan-studio train --run NAME`)",
                root.display()
            );
        }
        Ok(Self { root })
    }

    pub fn create(&self) -> Result<()> {
        for dir in [self.root.clone(), self.checkpoints(), self.samples()] {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(())
    }

    pub fn config(&self) -> PathBuf {
        self.root.join("config.json")
    }
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }
    pub fn samples(&self) -> PathBuf {
        self.root.join("samples")
    }
    pub fn name(&self) -> String {
        self.root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}
