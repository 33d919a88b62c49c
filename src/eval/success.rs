//! Success rate: does the classifier read the label a conditional generator was asked for?

use serde::{Deserialize, Serialize};

/// Success of a set of conditional samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuccessReport {
    /// Share of all samples read as their requested label.
    pub success_rate: f64,
    /// Per requested class.
    pub per_class: Vec<f64>,
    /// `confusion[requested][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
}

/// Compares requested labels with the classifier's predictions.
pub fn success_rate(requested: &[u8], predicted: &[usize], classes: usize) -> SuccessReport {
    let mut confusion = vec![vec![0usize; classes]; classes];
    for (&r, &p) in requested.iter().zip(predicted) {
        if let (Some(row), true) = (confusion.get_mut(usize::from(r)), p < classes) {
            row[p] += 1;
        }
    }
    let per_class = confusion
        .iter()
        .enumerate()
        .map(|(c, row)| {
            let total: usize = row.iter().sum();
            if total == 0 {
                0.0
            } else {
                row[c] as f64 / total as f64
            }
        })
        .collect();
    let hits: usize = (0..classes).map(|c| confusion[c][c]).sum();
    SuccessReport {
        success_rate: hits as f64 / requested.len().max(1) as f64,
        per_class,
        confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hits_per_class() {
        let report = success_rate(&[0, 0, 1, 1], &[0, 1, 1, 1], 2);
        assert_eq!(report.success_rate, 0.75);
        assert_eq!(report.per_class, vec![0.5, 1.0]);
        assert_eq!(report.confusion, vec![vec![1, 1], vec![0, 2]]);
    }
}
