//! The losses the families are built from.

use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, log_softmax};

/// Binary cross-entropy on logits against a constant target `t` (1 real, 0 fake, 0.9 for a
/// smoothed real label): mean((1 - t) * x - log sigmoid(x)), which is
/// -(t log s(x) + (1 - t) log(1 - s(x))) rewritten with one stable log-sigmoid.
pub fn bce_with_logits(logits: Tensor<2>, target: f32) -> Tensor<1> {
    let log_s = log_sigmoid(logits.clone());
    (logits.mul_scalar(1.0 - target) - log_s).mean()
}

/// As [`bce_with_logits`] with a target per row: logits and targets both (B, 1).
pub fn bce_with_logit_targets(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let log_s = log_sigmoid(logits.clone());
    (logits * (targets.neg() + 1.0) - log_s).mean()
}

/// Cross-entropy of class logits (B, C) against labels (B): mean(-log softmax(x)[y]). It takes
/// logits, not probabilities: a softmax before it would squash the gradient (a bug of several
/// public ACGAN implementations).
pub fn cross_entropy_with_logits(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    let [b] = labels.dims();
    log_softmax(logits, 1)
        .gather(1, labels.reshape([b, 1]))
        .neg()
        .mean()
}

/// Cross-entropy against a target that puts `weight` on class `first` and the rest on class
/// `second` of each row: the smoothed "real, class y" target of the 2N-class discriminator.
pub fn cross_entropy_split(
    logits: Tensor<2>,
    first: Tensor<1, Int>,
    second: Tensor<1, Int>,
    weight: f32,
) -> Tensor<1> {
    let [b] = first.dims();
    let log_p = log_softmax(logits, 1);
    let on_first = log_p.clone().gather(1, first.reshape([b, 1]));
    if weight >= 1.0 {
        return on_first.neg().mean();
    }
    let on_second = log_p.gather(1, second.reshape([b, 1]));
    (on_first.mul_scalar(weight) + on_second.mul_scalar(1.0 - weight))
        .neg()
        .mean()
}

/// Share of rows whose highest score (B, C) is at their label (B), as a 1-element tensor.
pub fn accuracy(scores: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    let [b] = labels.dims();
    scores
        .detach()
        .argmax(1)
        .reshape([b])
        .equal(labels)
        .float()
        .mean()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_textbook_formula() {
        let device = Device::flex();
        let xs = [-3.0f32, -0.5, 0.0, 0.7, 4.0];
        for t in [0.0f32, 0.9, 1.0] {
            let logits = Tensor::<2>::from_floats([xs], &device).reshape([5, 1]);
            let got: f32 = bce_with_logits(logits, t).into_scalar();
            let want = xs
                .iter()
                .map(|&x| {
                    let s = 1.0 / (1.0 + (-x).exp());
                    -(t * s.ln() + (1.0 - t) * (1.0 - s).ln())
                })
                .sum::<f32>()
                / xs.len() as f32;
            assert!((got - want).abs() < 1e-5, "t={t}: {got} vs {want}");
        }
    }

    #[test]
    fn cross_entropy_matches_the_textbook_formula() {
        let device = Device::flex();
        let rows = [[2.0f32, -1.0, 0.5], [0.0, 0.0, 3.0]];
        let labels = [2i64, 0];
        let logits = Tensor::<2>::from_floats(rows, &device);
        let got: f32 =
            cross_entropy_with_logits(logits.clone(), Tensor::from_ints(labels, &device))
                .into_scalar();
        let nll = |row: &[f32; 3], y: usize| {
            let z: f32 = row.iter().map(|x| x.exp()).sum();
            -(row[y].exp() / z).ln()
        };
        let want = (nll(&rows[0], 2) + nll(&rows[1], 0)) / 2.0;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        // A split target of weight 1 is the plain cross-entropy; 0.9 mixes in the second class.
        let first = Tensor::<1, Int>::from_ints(labels, &device);
        let second = Tensor::<1, Int>::from_ints([1i64, 1], &device);
        let whole: f32 =
            cross_entropy_split(logits.clone(), first.clone(), second.clone(), 1.0).into_scalar();
        assert!((whole - want).abs() < 1e-5);
        let split: f32 = cross_entropy_split(logits.clone(), first, second, 0.9).into_scalar();
        let want_split = (0.9 * nll(&rows[0], 2)
            + 0.1 * nll(&rows[0], 1)
            + 0.9 * nll(&rows[1], 0)
            + 0.1 * nll(&rows[1], 1))
            / 2.0;
        assert!((split - want_split).abs() < 1e-5, "{split} vs {want_split}");
        let acc: f32 = accuracy(logits, Tensor::from_ints([1i64, 2], &device)).into_scalar();
        assert_eq!(acc, 0.5);
    }
}
