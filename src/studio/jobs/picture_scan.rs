//! Reads a picture folder as soon as it is chosen, so the Training tab can say what it holds
//! (pictures, classes, size, skipped files) and draw the networks for its pictures before the
//! user presses Start, instead of finding a wrong folder only then.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use super::{Outcome, Waker};
use crate::data::DatasetKind;

/// What a picture folder holds, as training would read it.
#[derive(Clone, Debug)]
pub struct FolderSummary {
    /// 1 (grey) or 3 (colour).
    pub channels: usize,
    /// The square side pictures are brought to: 32 or 64.
    pub side: usize,
    pub class_names: Vec<String>,
    pub train: usize,
    pub test: usize,
    /// Skipped files, a held-out test split.
    pub notes: Vec<String>,
}

impl FolderSummary {
    /// "90 training and 10 test pictures, colour 32x32, 2 classes: cat, dog".
    pub fn describe(&self) -> String {
        const SHOWN: usize = 8;
        let mut names = self.class_names[..self.class_names.len().min(SHOWN)].join(", ");
        if self.class_names.len() > SHOWN {
            names.push_str(&format!(", ... ({} more)", self.class_names.len() - SHOWN));
        }
        format!(
            "{} training and {} test pictures, {} {}x{}, {} classes: {names}",
            self.train,
            self.test,
            if self.channels == 3 { "colour" } else { "grey" },
            self.side,
            self.side,
            self.class_names.len()
        )
    }
}

/// Reads the pictures at `path` (a folder or tarball) on a thread of its own.
pub fn spawn(path: PathBuf, waker: Waker) -> Receiver<Outcome<FolderSummary>> {
    super::spawn_once("picture-scan", waker, move || {
        let set = super::open_dataset(&path, DatasetKind::Folder)?;
        Ok(FolderSummary {
            channels: set.train.channels,
            side: set.train.rows,
            class_names: set.class_names,
            train: set.train.len(),
            test: set.test.len(),
            notes: set.notes,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_names_the_pictures_and_a_few_classes() {
        let summary = FolderSummary {
            channels: 3,
            side: 32,
            class_names: (0..10).map(|c| format!("c{c}")).collect(),
            train: 900,
            test: 100,
            notes: Vec::new(),
        };
        assert_eq!(
            summary.describe(),
            "900 training and 100 test pictures, colour 32x32, 10 classes: c0, c1, c2, c3, \
             c4, c5, c6, c7, ... (2 more)"
        );
    }
}
