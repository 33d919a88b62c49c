//! Every model x depth builds and produces the right shapes; one D step lowers the D loss.

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use gan_studio::family::{DiscriminatorBatch, GeneratorBatch};
use gan_studio::model::{Depth, GanConfig, ModelKind, NormKind};
use gan_studio::sampling::{cycle_labels, normal_latents};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The families trained against a discriminator.
const MODELS: [ModelKind; 8] = [
    ModelKind::Dcgan,
    ModelKind::Cgan,
    ModelKind::Cdcgan,
    ModelKind::Acgan,
    ModelKind::TwoN,
    ModelKind::Infogan,
    ModelKind::Guided,
    ModelKind::TfDcgan,
];

#[test]
fn every_family_is_listed_and_tested() {
    let listed: Vec<ModelKind> = gan_studio::family::all()
        .map(|(kind, _)| kind)
        .filter(|kind| kind.family().adversarial())
        .collect();
    assert_eq!(listed, MODELS);
    let err = GanConfig::new(ModelKind::Pca)
        .init_discriminator(&Device::flex())
        .unwrap_err();
    assert!(err.to_string().contains("no discriminator"), "{err}");
    for (kind, family) in gan_studio::family::all() {
        assert_eq!(kind.name(), family.name());
        assert!(!family.about().is_empty());
    }
}
const DEPTHS: [Depth; 3] = [Depth::Shallow, Depth::Medium, Depth::Deep];

fn inputs(config: &GanConfig, n: usize, device: &Device) -> (Tensor<2>, Option<Tensor<1, Int>>) {
    let mut rng = StdRng::seed_from_u64(1);
    let z = normal_latents(&mut rng, n, config.latent_dim, device);
    let labels = config
        .model
        .is_conditional()
        .then(|| cycle_labels(n, config.num_classes, device));
    (z, labels)
}

#[test]
fn every_model_and_depth_has_the_right_shapes() {
    let device = Device::flex();
    for model in MODELS {
        for depth in DEPTHS {
            for g_norm in [NormKind::Batch, NormKind::Virtual, NormKind::None] {
                let config = GanConfig::new(model)
                    .with_depth(depth)
                    .with_generator_norm(g_norm);
                config.validate().unwrap();
                let (z, labels) = inputs(&config, 5, &device);
                let g = config.init_generator(&device);
                let images = g.forward(&config, z, labels.clone());
                assert_eq!(
                    images.dims(),
                    [5, 1, 28, 28],
                    "{model:?} {depth:?} {g_norm:?} generator"
                );
                let values = images.clone().into_data().try_to_vec::<f32>().unwrap();
                assert!(
                    values.iter().all(|v| (-1.0..=1.0).contains(v)),
                    "tanh output stays in [-1, 1]"
                );
                let d = config.init_discriminator(&device).unwrap();
                let width = match model {
                    ModelKind::Acgan => 11,
                    ModelKind::TwoN => 20,
                    ModelKind::Infogan => 13,
                    _ => 1,
                };
                assert_eq!(config.discriminator_outputs(), width);
                assert_eq!(
                    d.forward(images, labels).dims(),
                    [5, width],
                    "{model:?} {depth:?} discriminator"
                );
            }
        }
    }
}

#[test]
fn deeper_models_have_more_parameters() {
    use burn::module::Module;
    let device = Device::flex();
    for model in [ModelKind::Dcgan, ModelKind::Cgan, ModelKind::Cdcgan] {
        let counts: Vec<usize> = DEPTHS
            .iter()
            .map(|&depth| {
                GanConfig::new(model)
                    .with_depth(depth)
                    .init_generator(&device)
                    .num_params()
            })
            .collect();
        assert!(
            counts[0] < counts[1] && counts[1] < counts[2],
            "{model:?}: {counts:?}"
        );
    }
    // The yardsticks match the PyTorch script's parameter counts (bench/pytorch_bench.py);
    // burn also counts batch norm's running mean and variance, which PyTorch keeps as buffers.
    let running = |features: usize| 2 * features;
    let tf = GanConfig::new(ModelKind::TfDcgan);
    assert_eq!(
        tf.init_generator(&device).num_params(),
        2_305_472 + running(12544 + 128 + 64)
    );
    assert_eq!(
        tf.init_discriminator(&device).unwrap().num_params(),
        212_865
    );
    // DCGAN: no bias on the layers that feed a batch norm (the projection of z and up1 in G,
    // conv2 in D), as in the PyTorch script.
    let medium = GanConfig::new(ModelKind::Dcgan);
    assert_eq!(
        medium.init_generator(&device).num_params(),
        759_681 + running(128 + 64)
    );
    assert_eq!(
        medium.init_discriminator(&device).unwrap().num_params(),
        138_689 + running(128)
    );
    // Runs made before that keep their biases and still load.
    let legacy = GanConfig::new(ModelKind::Dcgan).with_bias_before_norm(true);
    assert_eq!(
        legacy.init_generator(&device).num_params(),
        766_017 + running(128 + 64)
    );
    assert_eq!(
        legacy.init_discriminator(&device).unwrap().num_params(),
        138_817 + running(128)
    );
    // Without a norm there is nothing to cancel a bias: it stays.
    let plain = GanConfig::new(ModelKind::Dcgan).with_discriminator_norm(NormKind::None);
    assert_eq!(
        plain.init_discriminator(&device).unwrap().num_params(),
        138_817 - 2 * 128
    );
}

#[test]
fn dcgan_batch_norm_scales_start_from_n_1_0_02() {
    let device = Device::flex();
    device.seed(5);
    let config = GanConfig::new(ModelKind::Cdcgan);
    let gan_studio::model::Generator::Conv(g) = config.init_generator(&device) else {
        panic!("cdcgan builds a conv generator");
    };
    let gamma: Vec<f32> = g
        .norm0
        .batch
        .as_ref()
        .expect("batch norm")
        .gamma
        .val()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let n = gamma.len() as f32;
    let mean = gamma.iter().sum::<f32>() / n;
    let std = (gamma.iter().map(|g| (g - mean).powi(2)).sum::<f32>() / n).sqrt();
    assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
    assert!((0.01..0.03).contains(&std), "std {std}");
}

/// D's loss of its family on a fixed real batch (labels 0, 1, ..) and detached fakes.
fn discriminator_loss(
    config: &GanConfig,
    d: &gan_studio::model::Discriminator,
    real: &Tensor<4>,
    fake: &Tensor<4>,
    labels: &Option<Tensor<1, Int>>,
    latents: &Tensor<2>,
) -> Tensor<1> {
    let family = config.model.family();
    let device = real.device();
    let shown = labels
        .clone()
        .filter(|_| family.discriminator_reads_labels());
    family
        .discriminator_loss(
            config,
            DiscriminatorBatch {
                real_view: None,
                real: d.forward(real.clone(), shown.clone()),
                real_labels: cycle_labels(real.dims()[0], config.num_classes, &device),
                fake: d.forward(fake.clone(), shown),
                fake_unwarped: None,
                fake_labels: labels.clone(),
                fake_latents: latents.clone(),
                wrong: None,
                real_target: 0.9,
                real_targets: None,
            },
        )
        .loss
}

#[test]
fn one_optimiser_step_lowers_each_familys_own_losses() {
    let device = Device::flex().autodiff();
    device.seed(3);
    for model in MODELS {
        let config = GanConfig::new(model)
            .with_depth(Depth::Shallow)
            .with_dropout(0.0);
        let family = model.family();
        let mut g = config.init_generator(&device);
        let mut d = config.init_discriminator(&device).unwrap();
        let (z, labels) = inputs(&config, 16, &device);
        let fake = g.forward(&config, z.clone(), labels.clone()).detach();
        // A fixed "real" batch: smooth blobs, unlike the generator's initial noise.
        let real = Tensor::<4>::ones([16, 1, 28, 28], &device).mul_scalar(0.5);
        let before = discriminator_loss(&config, &d, &real, &fake, &labels, &z);
        let before_value: f32 = before.clone().into_scalar();
        let grads = GradientsParams::from_grads(before.backward(), &d);
        let mut optim = AdamConfig::new().with_beta_1(0.5).init();
        d = optim.step(2e-4, d, grads);
        let after: f32 = discriminator_loss(&config, &d, &real, &fake, &labels, &z).into_scalar();
        assert!(
            after < before_value,
            "{model:?}: D loss {before_value} -> {after}"
        );

        // The generator's step, through a frozen D, lowers the generator's loss.
        let frozen = d.clone().no_grad();
        let shown = labels
            .clone()
            .filter(|_| family.discriminator_reads_labels());
        let g_loss = |g: &gan_studio::model::Generator| {
            let images = g.forward(&config, z.clone(), labels.clone());
            family.generator_loss(
                &config,
                GeneratorBatch {
                    fake: frozen.forward(images, shown.clone()),
                    fake_unwarped: None,
                    labels: labels.clone(),
                    latents: z.clone(),
                    guide_logits: None,
                },
            )
        };
        let before = g_loss(&g);
        let before_value: f32 = before.clone().into_scalar();
        let grads = GradientsParams::from_grads(before.backward(), &g);
        let mut optim = AdamConfig::new().with_beta_1(0.5).init();
        g = optim.step(2e-4, g, grads);
        let after: f32 = g_loss(&g).into_scalar();
        assert!(
            after < before_value,
            "{model:?}: G loss {before_value} -> {after}"
        );
    }
}

#[test]
fn invalid_options_are_rejected_with_their_name() {
    let err = GanConfig::new(ModelKind::Dcgan)
        .with_dropout(1.5)
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("--dropout"), "{err}");
    let err = GanConfig::new(ModelKind::Dcgan)
        .with_discriminator_norm(NormKind::Virtual)
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("virtual"), "{err}");
    let err = GanConfig::new(ModelKind::Dcgan)
        .with_latent_dim(0)
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("--latent-dim"), "{err}");
}

#[test]
fn infogan_builds_the_papers_networks_unless_its_hidden_width_is_zero() {
    use burn::module::Module;
    use gan_studio::model::{Discriminator, Generator};
    let device = Device::flex();
    let paper = GanConfig::new(ModelKind::Infogan);
    assert_eq!(paper.info_hidden, 1024);
    let g = paper.init_generator(&device);
    let d = paper.init_discriminator(&device).unwrap();
    assert!(matches!(g, Generator::Info(_)));
    assert!(matches!(d, Discriminator::Info(_)));
    // Medium (w = 64): [z (100), one-hot (10)] -> 1024 -> 128x7x7 -> 64x14x14 -> 1x28x28, no
    // bias before a batch norm; burn also counts each batch norm's running mean and variance.
    let running = |features: usize| 2 * features;
    let g_params =
        110 * 1024 + 2 * 1024 + 1024 * 6272 + 2 * 128 + 128 * 64 * 16 + 2 * 64 + (64 * 16 + 1);
    assert_eq!(g.num_params(), g_params + running(1024 + 128 + 64));
    // conv 64, conv 128 + BN, FC 1024 + BN; head 1; Q: FC 128 + BN, FC 10 + 2.
    let d_params = (16 * 64 + 64)
        + 64 * 128 * 16
        + 2 * 128
        + 6272 * 1024
        + 2 * 1024
        + (1024 + 1)
        + 1024 * 128
        + 2 * 128
        + (128 * 12 + 12);
    assert_eq!(d.num_params(), d_params + running(128 + 1024 + 128));
    // Width 0 keeps DCGAN's networks with a linear Q head, as runs from before the option.
    let old = paper.with_info_hidden(0);
    assert!(matches!(old.init_generator(&device), Generator::Conv(_)));
    assert!(matches!(
        old.init_discriminator(&device).unwrap(),
        Discriminator::Conv(_)
    ));
}
