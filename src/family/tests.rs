//! The families' losses on hand-made discriminator outputs, against the formulas written out.

use burn::prelude::*;

use super::{DiscriminatorBatch, GeneratorBatch, of};
use crate::model::{GanConfig, ModelKind};

fn config() -> GanConfig {
    GanConfig::new(ModelKind::Dcgan)
}

fn log_softmax(row: &[f32]) -> Vec<f32> {
    let z: f32 = row.iter().map(|x| x.exp()).sum();
    row.iter().map(|x| x - z.ln()).collect()
}

fn softplus(x: f32) -> f32 {
    (1.0 + x.exp()).ln()
}

/// BCE on a logit x against target t: -(t log s(x) + (1 - t) log(1 - s(x))).
fn bce(x: f32, t: f32) -> f32 {
    t * softplus(-x) + (1.0 - t) * softplus(x)
}

fn batch(real: [[f32; 4]; 2], fake: [[f32; 4]; 2], real_target: f32) -> DiscriminatorBatch {
    let device = Device::flex();
    DiscriminatorBatch {
        real_view: None,
        real: Tensor::from_floats(real, &device),
        real_labels: Tensor::from_ints([0i64, 1], &device),
        fake: Tensor::from_floats(fake, &device),
        fake_unwarped: None,
        fake_labels: Some(Tensor::from_ints([1i64, 0], &device)),
        fake_latents: Tensor::zeros([2, 4], &device),
        wrong: None,
        real_target,
        real_targets: None,
    }
}

const REAL: [[f32; 4]; 2] = [[1.5, 2.0, -1.0, 0.3], [0.2, -0.5, 1.0, 0.0]];
const FAKE: [[f32; 4]; 2] = [[-0.7, 0.1, 0.4, 1.2], [-2.0, 0.9, -0.3, 0.5]];

#[test]
fn acgan_adds_class_cross_entropy_to_both_losses() {
    // Three classes: column 0 is the real/fake logit, columns 1..4 the class logits.
    // The paper's D also learns the class of generated images; the default only of real ones.
    let family = of(ModelKind::Acgan);
    let paper = config().with_acgan_class_loss_on_generated(true);
    let judged = family.discriminator_loss(&paper, batch(REAL, FAKE, 0.9));
    let got: f32 = judged.loss.into_scalar();
    let ce = |row: &[f32; 4], y: usize| -log_softmax(&row[1..])[y];
    let real_only = (bce(REAL[0][0], 0.9) + bce(REAL[1][0], 0.9)) / 2.0
        + (bce(FAKE[0][0], 0.0) + bce(FAKE[1][0], 0.0)) / 2.0
        + (ce(&REAL[0], 0) + ce(&REAL[1], 1)) / 2.0;
    let want = real_only + (ce(&FAKE[0], 1) + ce(&FAKE[1], 0)) / 2.0;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    let default: f32 = family
        .discriminator_loss(&config(), batch(REAL, FAKE, 0.9))
        .loss
        .into_scalar();
    assert!(
        (default - real_only).abs() < 1e-5,
        "{default} vs {real_only}"
    );
    // Real row 0 reads class 0 (2.0 highest), row 1 reads class 1 (1.0): both right. Fake row 0
    // reads class 2, asked 1; row 1 reads class 0, asked 0.
    let figures: Vec<f32> = judged
        .figures
        .into_iter()
        .map(|f| f.into_scalar())
        .collect();
    assert_eq!(figures, [1.0, 0.5]);

    let device = Device::flex();
    let labels = Tensor::<1, Int>::from_ints([1i64, 0], &device);
    let got: f32 = family
        .generator_loss(
            &config(),
            GeneratorBatch {
                fake: Tensor::from_floats(FAKE, &device),
                fake_unwarped: None,
                labels: Some(labels),
                latents: Tensor::zeros([2, 4], &device),
                guide_logits: None,
            },
        )
        .into_scalar();
    let want = (bce(FAKE[0][0], 1.0) + bce(FAKE[1][0], 1.0)) / 2.0
        + (ce(&FAKE[0], 1) + ce(&FAKE[1], 0)) / 2.0;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
}

#[test]
fn two_n_gan_classifies_real_and_generated_classes() {
    // Two classes: outputs 0, 1 are "real, class c", outputs 2, 3 "generated, class c".
    let family = of(ModelKind::TwoN);
    let judged = family.discriminator_loss(&config(), batch(REAL, FAKE, 0.9));
    let got: f32 = judged.loss.into_scalar();
    let lp = |row: &[f32; 4], k: usize| log_softmax(row)[k];
    let want = -(0.9 * lp(&REAL[0], 0) + 0.1 * lp(&REAL[0], 2)) / 2.0
        - (0.9 * lp(&REAL[1], 1) + 0.1 * lp(&REAL[1], 3)) / 2.0
        - (lp(&FAKE[0], 3) + lp(&FAKE[1], 2)) / 2.0;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    // P(real) is the mass on the first half.
    let p_real = |row: &[f32; 4]| lp(row, 0).exp() + lp(row, 1).exp();
    let score: f32 = judged.real_score.into_scalar();
    assert!((score - (p_real(&REAL[0]) + p_real(&REAL[1])) / 2.0).abs() < 1e-5);

    let device = Device::flex();
    let labels = Tensor::<1, Int>::from_ints([1i64, 0], &device);
    let got: f32 = family
        .generator_loss(
            &config(),
            GeneratorBatch {
                fake: Tensor::from_floats(FAKE, &device),
                fake_unwarped: None,
                labels: Some(labels),
                latents: Tensor::zeros([2, 4], &device),
                guide_logits: None,
            },
        )
        .into_scalar();
    let want = -(lp(&FAKE[0], 1) + lp(&FAKE[1], 0)) / 2.0;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
}

#[test]
fn the_binary_families_keep_the_original_objective() {
    let device = Device::flex();
    let real = [[0.3f32], [-1.0]];
    let fake = [[0.8f32], [-0.2]];
    let judged = of(ModelKind::Cdcgan).discriminator_loss(
        &config(),
        DiscriminatorBatch {
            real_view: None,
            real: Tensor::from_floats(real, &device),
            real_labels: Tensor::from_ints([0i64, 1], &device),
            fake: Tensor::from_floats(fake, &device),
            fake_unwarped: None,
            fake_labels: Some(Tensor::from_ints([1i64, 0], &device)),
            fake_latents: Tensor::zeros([2, 4], &device),
            wrong: None,
            real_target: 1.0,
            real_targets: None,
        },
    );
    let got: f32 = judged.loss.into_scalar();
    let want = (bce(0.3, 1.0) + bce(-1.0, 1.0)) / 2.0 + (bce(0.8, 0.0) + bce(-0.2, 0.0)) / 2.0;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    assert!(judged.figures.is_empty());
}

/// InfoGAN's prepared latent for one row `z` of 2 noise values and 1 continuous code, checked
/// against `want` within 1e-4.
fn assert_infogan_latent(config: &GanConfig, z: [f32; 3], want: [f32; 3]) {
    let config = config.clone().with_continuous_codes(1).with_latent_dim(3);
    let prepared: Vec<f32> = of(ModelKind::Infogan)
        .prepare_latent(&config, Tensor::from_floats([z], &Device::flex()))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    for (got, w) in prepared.iter().zip(want) {
        assert!((got - w).abs() < 1e-4, "{prepared:?}, want {want:?}");
    }
}

#[test]
fn infogan_uniform_noise_maps_every_latent_value_into_the_unit_interval() {
    let config = GanConfig::new(ModelKind::Infogan).with_info_uniform_noise(true);
    // erf(z / √2): 0 stays 0, ±1.959964 (the normal's 97.5% point) becomes ±0.95.
    assert_infogan_latent(&config, [0.0, 1.959_964, -1.959_964], [0.0, 0.95, -0.95]);
}

#[test]
fn infogan_noise_scale_shrinks_the_noise_and_leaves_the_codes_alone() {
    let config = GanConfig::new(ModelKind::Infogan).with_info_noise_scale(0.1);
    // Two noise values scaled by 0.1; the code still goes through erf(z / √2).
    assert_infogan_latent(&config, [2.0, -1.0, 1.959_964], [0.2, -0.1, 0.95]);
    let validated = |scale: f64| config.clone().with_info_noise_scale(scale).validate();
    assert!(validated(0.0).is_err());
    assert!(validated(f64::NAN).is_err());
    assert!(validated(0.5).is_ok());
}

#[test]
fn infogan_adds_the_information_terms_for_its_codes() {
    // Two categories and one continuous code: outputs are (source, 2 category logits, code).
    let device = Device::flex();
    let config = GanConfig::new(ModelKind::Infogan)
        .with_num_classes(2)
        .with_continuous_codes(1)
        .with_latent_dim(3)
        .with_info_categorical_weight(1.0)
        .with_info_continuous_weight(0.1);
    let family = of(ModelKind::Infogan);
    // The last latent value becomes the code erf(z / √2), uniform on (-1, 1) for z ~ N(0, 1).
    let z = [[0.3f32, -0.2, 0.0], [1.0, 0.5, 1.959_964]];
    let prepared: Vec<f32> = family
        .prepare_latent(&config, Tensor::from_floats(z, &device))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    assert_eq!(prepared[..2], [0.3, -0.2]);
    assert!(prepared[2].abs() < 1e-6);
    assert!((prepared[5] - 0.95).abs() < 1e-4, "{}", prepared[5]);
    let codes = [0.0f32, prepared[5]];

    let real = [[1.0f32, 0.0, 0.0, 0.0], [-0.5, 0.0, 0.0, 0.0]];
    let fake = [[-1.0f32, 2.0, -1.0, 0.4], [0.5, 0.3, 0.9, 0.8]];
    let judged = family.discriminator_loss(
        &config,
        DiscriminatorBatch {
            real_view: None,
            real: Tensor::from_floats(real, &device),
            real_labels: Tensor::from_ints([1i64, 0], &device),
            fake: Tensor::from_floats(fake, &device),
            fake_unwarped: None,
            fake_labels: Some(Tensor::from_ints([0i64, 0], &device)),
            fake_latents: Tensor::from_floats(z, &device),
            wrong: None,
            real_target: 1.0,
            real_targets: None,
        },
    );
    let ce = |row: &[f32; 4], y: usize| -log_softmax(&row[1..3])[y];
    let cross_entropy = (ce(&fake[0], 0) + ce(&fake[1], 0)) / 2.0;
    let nll = ((fake[0][3] - codes[0]).powi(2) + (fake[1][3] - codes[1]).powi(2)) / 4.0;
    let info = cross_entropy + 0.1 * nll;
    let want =
        (bce(1.0, 1.0) + bce(-0.5, 1.0)) / 2.0 + (bce(-1.0, 0.0) + bce(0.5, 0.0)) / 2.0 + info;
    let got: f32 = judged.loss.into_scalar();
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    let figures: Vec<f32> = judged
        .figures
        .into_iter()
        .map(|f| f.into_scalar())
        .collect();
    // Row 0 reads code 0 (asked 0), row 1 reads code 1 (asked 0).
    assert_eq!(figures[0], 0.5);
    let share = (1.0 - cross_entropy / 2f32.ln()).clamp(0.0, 1.0);
    assert!((figures[1] - share).abs() < 1e-5);

    let got: f32 = family
        .generator_loss(
            &config,
            GeneratorBatch {
                fake: Tensor::from_floats(fake, &device),
                fake_unwarped: None,
                labels: Some(Tensor::from_ints([0i64, 0], &device)),
                latents: Tensor::from_floats(z, &device),
                guide_logits: None,
            },
        )
        .into_scalar();
    let want = (bce(-1.0, 1.0) + bce(0.5, 1.0)) / 2.0 + info;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
}

/// InfoGAN's D loss with two categories and no continuous code, for real rows `real`
/// (source, 2 category logits) and the real-information weight `weight`.
fn infogan_loss_with_real(real: [[f32; 3]; 2], weight: f64) -> f32 {
    let device = Device::flex();
    let config = GanConfig::new(ModelKind::Infogan)
        .with_num_classes(2)
        .with_continuous_codes(0)
        .with_latent_dim(2)
        .with_info_real_weight(weight);
    let judged = of(ModelKind::Infogan).discriminator_loss(
        &config,
        DiscriminatorBatch {
            real_view: None,
            real: Tensor::from_floats(real, &device),
            real_labels: Tensor::from_ints([0i64, 1], &device),
            fake: Tensor::from_floats([[0.5f32, 1.0, -1.0], [-0.5, 0.2, 0.3]], &device),
            fake_unwarped: None,
            fake_labels: Some(Tensor::from_ints([0i64, 1], &device)),
            fake_latents: Tensor::from_floats([[0.1f32, 0.2], [0.3, 0.4]], &device),
            wrong: None,
            real_target: 1.0,
            real_targets: None,
        },
    );
    judged.loss.into_scalar()
}

#[test]
fn infogan_real_information_term_asks_for_confident_balanced_reads_of_real_images() {
    let ln2 = 2f32.ln();
    // The term adds weight * (ln C - I(x; c)) on top of the paper's loss.
    let added = |real: [[f32; 3]; 2]| {
        (infogan_loss_with_real(real, 0.5) - infogan_loss_with_real(real, 0.0)) / 0.5
    };
    // One category each, for sure: all ln 2 nats, nothing added.
    let confident_balanced = added([[1.0, 20.0, -20.0], [-1.0, -20.0, 20.0]]);
    assert!(confident_balanced.abs() < 1e-4, "{confident_balanced}");
    // Both images in one category, or each read as a coin toss: no information.
    let one_category = added([[1.0, 20.0, -20.0], [-1.0, 20.0, -20.0]]);
    assert!((one_category - ln2).abs() < 1e-4, "{one_category}");
    let unsure = added([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]]);
    assert!((unsure - ln2).abs() < 1e-4, "{unsure}");
    // p = (0.73, 0.27) and (0.27, 0.73): a balanced marginal, each read with H(0.73) nats.
    let p = 1.0 / (1.0 + (-1.0f32).exp());
    let entropy = -(p * p.ln() + (1.0 - p) * (1.0 - p).ln());
    let soft = added([[1.0, 0.5, -0.5], [-1.0, -0.5, 0.5]]);
    assert!((soft - entropy).abs() < 1e-4, "{soft} vs {entropy}");
    // Off by default; a negative weight is refused.
    assert_eq!(GanConfig::new(ModelKind::Infogan).info_real_weight, 0.0);
    let refused = GanConfig::new(ModelKind::Infogan).with_info_real_weight(-1.0);
    assert!(refused.validate().is_err());
}

/// InfoGAN's D loss with two categories and no continuous code, for two views of four real
/// images, each given as its category logits, and the pair weight `weight`.
fn infogan_loss_with_views(first: [[f32; 2]; 4], second: [[f32; 2]; 4], weight: f64) -> f32 {
    let device = Device::flex();
    let config = GanConfig::new(ModelKind::Infogan)
        .with_num_classes(2)
        .with_continuous_codes(0)
        .with_latent_dim(2)
        .with_info_pair_weight(weight);
    let family = of(ModelKind::Infogan);
    assert_eq!(family.second_real_view(&config), weight > 0.0);
    let outputs = |view: [[f32; 2]; 4]| {
        let rows: Vec<f32> = view.iter().flat_map(|[a, b]| [0.5, *a, *b]).collect();
        Tensor::<2>::from_data(TensorData::new(rows, [4, 3]), &device)
    };
    let fake = [
        [0.5f32, 1.0, -1.0],
        [-0.5, 0.2, 0.3],
        [0.1, 0.0, 0.4],
        [0.2, -0.3, 0.1],
    ];
    let judged = family.discriminator_loss(
        &config,
        DiscriminatorBatch {
            real: outputs(first),
            real_labels: Tensor::from_ints([0i64, 1, 0, 1], &device),
            real_view: (weight > 0.0).then(|| outputs(second)),
            fake: Tensor::from_floats(fake, &device),
            fake_unwarped: None,
            fake_labels: Some(Tensor::from_ints([0i64, 1, 1, 0], &device)),
            fake_latents: Tensor::from_floats(
                [[0.1f32, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]],
                &device,
            ),
            wrong: None,
            real_target: 1.0,
            real_targets: None,
        },
    );
    judged.loss.into_scalar()
}

#[test]
fn infogan_pair_term_asks_both_views_of_a_real_image_for_the_same_category() {
    let ln2 = 2f32.ln();
    // The term adds weight * (ln C - I(c; c')) on top of the paper's loss.
    let added = |first: [[f32; 2]; 4], second: [[f32; 2]; 4]| {
        (infogan_loss_with_views(first, second, 0.5) - infogan_loss_with_views(first, first, 0.0))
            / 0.5
    };
    let (zero, one) = ([20.0f32, -20.0], [-20.0f32, 20.0]);
    // Both views of every image in the same category, the categories used evenly: all ln 2
    // nats shared, nothing added.
    let agree = added([zero, one, zero, one], [zero, one, zero, one]);
    assert!(agree.abs() < 1e-4, "{agree}");
    // Each view confident, but the second view's category has nothing to do with the first's:
    // no information. Confident views are not enough (RIM's term would add nothing here).
    let independent = added([zero, zero, one, one], [zero, one, zero, one]);
    assert!((independent - ln2).abs() < 1e-4, "{independent}");
    // Every image in one category: no information either.
    let one_category = added([zero; 4], [zero; 4]);
    assert!((one_category - ln2).abs() < 1e-4, "{one_category}");
    // Three images agree, one does not: the joint (1/2, 0; 1/4, 1/4) becomes
    // (1/2, 1/8; 1/8, 1/4) once symmetrised, with marginals (5/8, 3/8).
    let mostly = added([zero, one, zero, one], [zero, one, zero, zero]);
    let (joint, marginal) = ([[0.5f32, 0.125], [0.125, 0.25]], [0.625f32, 0.375]);
    let information: f32 = (0..2)
        .flat_map(|i| (0..2).map(move |j| (i, j)))
        .map(|(i, j)| joint[i][j] * (joint[i][j] / (marginal[i] * marginal[j])).ln())
        .sum();
    assert!((mostly - (ln2 - information)).abs() < 1e-4, "{mostly}");
    // Off by default; a negative weight is refused.
    assert_eq!(GanConfig::new(ModelKind::Infogan).info_pair_weight, 0.0);
    let refused = GanConfig::new(ModelKind::Infogan).with_info_pair_weight(-1.0);
    assert!(refused.validate().is_err());
    // Pairing with neighbours: off by default, and a bounded count.
    assert_eq!(GanConfig::new(ModelKind::Infogan).info_pair_neighbours, 0);
    let too_many = GanConfig::new(ModelKind::Infogan).with_info_pair_neighbours(65);
    assert!(too_many.validate().is_err());
}

#[test]
fn infogan_noise_reconstruction_adds_q_outputs_and_their_squared_error() {
    // Two categories, no continuous code, two noise values scaled by 0.5 and reconstructed.
    let device = Device::flex();
    let plain = GanConfig::new(ModelKind::Infogan)
        .with_num_classes(2)
        .with_continuous_codes(0)
        .with_latent_dim(2)
        .with_info_noise_scale(0.5);
    let config = plain.clone().with_info_noise_weight(2.0);
    let family = of(ModelKind::Infogan);
    assert_eq!(family.discriminator_outputs(&plain), 3);
    assert_eq!(family.discriminator_outputs(&config), 5);
    // The default network: 1 + 10 categories + 2 codes + 62 noise estimates.
    let default = GanConfig::new(ModelKind::Infogan)
        .with_latent_dim(64)
        .with_info_noise_weight(1.0);
    assert_eq!(default.info_q_outputs(), 10 + 2 + 62);
    let images = Tensor::zeros([3, 1, 28, 28], &device);
    let outputs = family
        .discriminator(&default, &device)
        .expect("InfoGAN has a discriminator")
        .forward(images, None);
    assert_eq!(outputs.dims(), [3, 1 + 10 + 2 + 62]);

    let z = [[1.0f32, -2.0], [0.4, 0.0]];
    // (source, 2 category logits, 2 noise estimates); the estimates' targets are 0.5 z.
    let fake = [[0.5f32, 1.0, -1.0, 0.3, -1.0], [-0.5, 0.2, 0.3, 0.0, 0.1]];
    let loss = |config: &GanConfig, columns: usize| -> f32 {
        let rows: Vec<f32> = fake.iter().flat_map(|r| r[..columns].to_vec()).collect();
        let judged = family.discriminator_loss(
            config,
            DiscriminatorBatch {
                real_view: None,
                real: Tensor::from_floats([[1.0f32, 0.0, 0.0, 0.0, 0.0]; 2], &device)
                    .narrow(1, 0, columns),
                real_labels: Tensor::from_ints([0i64, 1], &device),
                fake: Tensor::from_data(TensorData::new(rows, [2, columns]), &device),
                fake_unwarped: None,
                fake_labels: Some(Tensor::from_ints([0i64, 1], &device)),
                fake_latents: Tensor::from_floats(z, &device),
                wrong: None,
                real_target: 1.0,
                real_targets: None,
            },
        );
        judged.loss.into_scalar()
    };
    let squared: f32 = fake
        .iter()
        .zip(z)
        .map(|(row, z)| (row[3] - 0.5 * z[0]).powi(2) + (row[4] - 0.5 * z[1]).powi(2))
        .sum();
    let want = loss(&plain, 3) + 2.0 * squared / 2.0;
    let got = loss(&config, 5);
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
}

#[test]
fn soft_real_labels_give_each_real_image_its_own_target() {
    // The CIFAR-10 slides' trick: targets drawn from [0.7, 1.2], here 0.7 and 1.2 exactly.
    let device = Device::flex();
    let real = [[0.3f32], [-1.0]];
    let fake = [[0.8f32], [-0.2]];
    let judged = of(ModelKind::Cdcgan).discriminator_loss(
        &config(),
        DiscriminatorBatch {
            real_view: None,
            real: Tensor::from_floats(real, &device),
            real_labels: Tensor::from_ints([0i64, 1], &device),
            fake: Tensor::from_floats(fake, &device),
            fake_unwarped: None,
            fake_labels: Some(Tensor::from_ints([1i64, 0], &device)),
            fake_latents: Tensor::zeros([2, 4], &device),
            wrong: None,
            real_target: 0.7,
            real_targets: Some(Tensor::from_floats([[0.7f32], [1.2]], &device)),
        },
    );
    let got: f32 = judged.loss.into_scalar();
    let want = (bce(0.3, 0.7) + bce(-1.0, 1.2)) / 2.0 + (bce(0.8, 0.0) + bce(-0.2, 0.0)) / 2.0;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
}

#[test]
fn the_guided_family_adds_the_classifiers_cross_entropy_to_gs_loss() {
    let device = Device::flex();
    let family = of(ModelKind::Guided);
    let config = GanConfig::new(ModelKind::Guided).with_guide_weight(0.5);
    // D's logits on two samples, and the guide's 4-class logits on them; asked for 1 and 0.
    let fake = [[0.3f32], [-1.2]];
    let guide = [[0.2f32, 1.5, -0.3, 0.0], [2.0, 0.1, 0.4, -1.0]];
    let batch = |guide_logits: Option<Tensor<2>>| GeneratorBatch {
        fake: Tensor::from_floats(fake, &device),
        fake_unwarped: None,
        labels: Some(Tensor::from_ints([1i64, 0], &device)),
        latents: Tensor::zeros([2, 4], &device),
        guide_logits,
    };
    let got: f32 = family
        .generator_loss(&config, batch(Some(Tensor::from_floats(guide, &device))))
        .into_scalar();
    let adversarial = (bce(fake[0][0], 1.0) + bce(fake[1][0], 1.0)) / 2.0;
    let ce = (-log_softmax(&guide[0])[1] - log_softmax(&guide[1])[0]) / 2.0;
    let want = adversarial + 0.5 * ce;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    // Without the guide's logits it is the conditional DCGAN's loss.
    let plain: f32 = family.generator_loss(&config, batch(None)).into_scalar();
    assert!((plain - adversarial).abs() < 1e-5);
}

/// InfoGAN's losses with two categories and one continuous code (its latent value 0, so the
/// code is 0), D's outputs on the warped fakes having continuous estimates 1 and -1, and on
/// the unwarped ones (other source and category logits, estimates 0) when given.
fn infogan_losses_reading_codes(unwarped: bool) -> (f32, f32) {
    let device = Device::flex();
    let config = GanConfig::new(ModelKind::Infogan)
        .with_num_classes(2)
        .with_continuous_codes(1)
        .with_latent_dim(2)
        .with_info_codes_unwarped(unwarped);
    let family = of(ModelKind::Infogan);
    assert_eq!(family.discriminator_outputs(&config), 4);
    let warped =
        || Tensor::<2>::from_floats([[0.5f32, 1.0, -1.0, 1.0], [-0.5, 0.2, 0.3, -1.0]], &device);
    let plain = || {
        unwarped.then(|| {
            Tensor::<2>::from_floats([[3.0f32, -2.0, 2.0, 0.0], [1.0, 0.7, -0.7, 0.0]], &device)
        })
    };
    let latents = || Tensor::<2>::from_floats([[0.4f32, 0.0], [-0.2, 0.0]], &device);
    let labels = || Some(Tensor::<1, Int>::from_ints([0i64, 1], &device));
    let d = family.discriminator_loss(
        &config,
        DiscriminatorBatch {
            real: Tensor::from_floats([[0.3f32, 0.1, 0.2, 0.0], [0.2, 0.4, -0.1, 0.5]], &device),
            real_labels: Tensor::from_ints([0i64, 1], &device),
            real_view: None,
            fake: warped(),
            fake_unwarped: plain(),
            fake_labels: labels(),
            fake_latents: latents(),
            wrong: None,
            real_target: 1.0,
            real_targets: None,
        },
    );
    let g = family.generator_loss(
        &config,
        GeneratorBatch {
            fake: warped(),
            fake_unwarped: plain(),
            labels: labels(),
            latents: latents(),
            guide_logits: None,
        },
    );
    (d.loss.into_scalar(), g.into_scalar())
}

#[test]
fn infogan_can_read_its_continuous_codes_from_the_unwarped_fakes() {
    let (d_through, g_through) = infogan_losses_reading_codes(false);
    let (d_unwarped, g_unwarped) = infogan_losses_reading_codes(true);
    // Through the warp the estimates miss by 1 each: λ_cont (0.1) * (1 + 1) / (2 * 2) = 0.05.
    // Unwarped they are exact, and only the continuous term is taken from that reading: the
    // source and category logits of the unwarped fakes change nothing.
    assert!(
        (d_through - d_unwarped - 0.05).abs() < 1e-5,
        "{d_through} {d_unwarped}"
    );
    assert!(
        (g_through - g_unwarped - 0.05).abs() < 1e-5,
        "{g_through} {g_unwarped}"
    );
    let family = of(ModelKind::Infogan);
    let config = GanConfig::new(ModelKind::Infogan);
    assert!(
        !family.reads_unwarped_fakes(&config),
        "off unless asked for"
    );
    assert!(family.reads_unwarped_fakes(&config.clone().with_info_codes_unwarped(true)));
    assert!(
        !family.reads_unwarped_fakes(
            &config
                .with_info_codes_unwarped(true)
                .with_continuous_codes(0)
        )
    );
    assert!(!of(ModelKind::Acgan).reads_unwarped_fakes(&GanConfig::new(ModelKind::Acgan)));
}
