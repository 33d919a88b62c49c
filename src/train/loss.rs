//! The GAN loss.

use burn::prelude::*;
use burn::tensor::activation::log_sigmoid;

/// Binary cross-entropy on logits against a constant target `t` (1 real, 0 fake, 0.9 for a
/// smoothed real label): mean((1 - t) * x - log sigmoid(x)), which is
/// -(t log s(x) + (1 - t) log(1 - s(x))) rewritten with one stable log-sigmoid.
pub fn bce_with_logits(logits: Tensor<2>, target: f32) -> Tensor<1> {
    let log_s = log_sigmoid(logits.clone());
    (logits.mul_scalar(1.0 - target) - log_s).mean()
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
}
