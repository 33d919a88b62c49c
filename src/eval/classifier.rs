//! The measuring instrument: a CNN trained on real images. Its softmax gives the inception score
//! and the success rate; its penultimate layer is the feature space of FID, precision/recall and
//! the embeddings. LeNet-5 (two 5x5 convolutions) reads digits at 99%; CIFAR-10 and
//! Fashion-MNIST need the deeper VGG-style trunk (`stages` > 0) to be read well enough that
//! their scores mean something.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::TensorData;
use burn::tensor::activation::{relu, softmax};
use burn::tensor::ops::PadMode;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::data::{DatasetKind, Split};
use crate::model::layers::{dropout, seed_dropout};
use crate::sampling::step_rng;
use crate::train::checkpoint::load_module;

#[derive(Config, Debug)]
pub struct ClassifierConfig {
    /// 0: LeNet-5's two 5x5 convolutions. n > 0: n VGG stages, each two 3x3 convolutions with
    /// batch norm and a 2x2 max-pool, of widths conv1, 2*conv1, 4*conv1, ...
    #[config(default = 0)]
    pub stages: usize,
    /// Width of the first convolution (of every convolution of the first stage).
    #[config(default = 32)]
    pub conv1: usize,
    #[config(default = 64)]
    pub conv2: usize,
    #[config(default = 120)]
    pub hidden: usize,
    /// Width of the penultimate layer: the feature space of FID and precision/recall.
    #[config(default = 84)]
    pub features: usize,
    #[config(default = 10)]
    pub classes: usize,
    /// Input channels (1 grey, 3 RGB) and side, from the data; classifiers saved before colour
    /// load as 1 and 28.
    #[config(default = 1)]
    pub channels: usize,
    #[config(default = 28)]
    pub image_size: usize,
    #[config(default = 0.25)]
    pub dropout: f64,
    #[config(default = 5)]
    pub epochs: usize,
    #[config(default = 128)]
    pub batch_size: usize,
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// The learning rate is multiplied by this after every epoch.
    #[config(default = 0.6)]
    pub lr_decay: f64,
    /// Shift training images by up to 2 pixels: a cheap way past 99% test accuracy.
    #[config(default = true)]
    pub augment: bool,
    #[config(default = 7)]
    pub seed: u64,
    /// Read each image and its mirror image and average the two readings (features, hence
    /// softmax): test-time augmentation for pictures whose classes do not depend on left and
    /// right (CIFAR-10; not digits). Off for classifiers saved before it existed.
    #[config(default = false)]
    pub mirror_average: bool,
    /// With N > 0, also read each image shifted N pixels left, right, up and down (the border
    /// filled with black, as the training shifts fill it) and average the five readings (ten
    /// with the mirror): the multi-view testing of the VGG and ResNet papers, for a
    /// classifier trained on shifted images. 0 (off) for classifiers saved before it existed.
    #[config(default = 0)]
    pub shift_average: usize,
    /// The set it learned to read, so that it is never asked to judge another's images
    /// (MNIST's and Fashion-MNIST's have the same shape, so nothing else would catch it);
    /// None for classifiers saved before it was recorded.
    pub dataset: Option<DatasetKind>,
}

/// Largest layer width accepted from a config.json (the default widths are 32 to 120).
const MAX_CLASSIFIER_WIDTH: usize = 1024;

impl ClassifierConfig {
    /// Rejects impossible options, and sizes no classifier of digits needs (a damaged or edited
    /// config.json), before any layer is allocated.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("conv1", self.conv1),
            ("conv2", self.conv2),
            ("hidden", self.hidden),
            ("features", self.features),
        ] {
            if !(1..=MAX_CLASSIFIER_WIDTH).contains(&value) {
                bail!("classifier {name} width {value} is not in 1..={MAX_CLASSIFIER_WIDTH}");
            }
        }
        if self.channels != 1 && self.channels != 3 {
            bail!(
                "classifier input has {} channels; 1 and 3 are supported",
                self.channels
            );
        }
        if self.stages > 4 {
            bail!("classifier stages {} is not in 0..=4", self.stages);
        }
        if self.stages > 0 && self.conv1 << (self.stages - 1) > MAX_CLASSIFIER_WIDTH {
            bail!(
                "classifier widths {} doubled over {} stages exceed {MAX_CLASSIFIER_WIDTH}",
                self.conv1,
                self.stages
            );
        }
        if !(20..=256).contains(&self.image_size) {
            bail!(
                "classifier image size {} is not in 20..=256",
                self.image_size
            );
        }
        if !(2..=256).contains(&self.classes) {
            bail!("classifier class count {} is not in 2..=256", self.classes);
        }
        if !(0.0..1.0).contains(&self.dropout) {
            bail!("classifier dropout must be in [0, 1), got {}", self.dropout);
        }
        if self.shift_average > 4 {
            bail!(
                "classifier shift average {} is not in 0..=4 pixels",
                self.shift_average
            );
        }
        if self.batch_size == 0 {
            bail!("classifier batch size must be at least 1");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            bail!(
                "classifier learning rate must be a positive number, got {}",
                self.learning_rate
            );
        }
        if !(self.lr_decay.is_finite() && self.lr_decay > 0.0) {
            bail!(
                "classifier learning-rate decay must be a positive number, got {}",
                self.lr_decay
            );
        }
        Ok(())
    }
}

/// One VGG stage: (B, c_in, s, s) -> conv3x3-BN-ReLU -> conv3x3-BN-ReLU -> (B, c, s, s), then
/// max-pool -> (B, c, s/2, s/2).
#[derive(Module, Debug)]
pub struct Stage {
    pub conv_a: Conv2d,
    pub norm_a: BatchNorm,
    pub conv_b: Conv2d,
    pub norm_b: BatchNorm,
}

impl Stage {
    fn new(inputs: usize, width: usize, device: &Device) -> Self {
        let conv = |i| {
            Conv2dConfig::new([i, width], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(false)
                .init(device)
        };
        Self {
            conv_a: conv(inputs),
            norm_a: BatchNormConfig::new(width).init(device),
            conv_b: conv(width),
            norm_b: BatchNormConfig::new(width).init(device),
        }
    }

    /// (B, c_in, s, s) -> (B, c, s, s), before the pool
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        // Batch norm and ReLU fused while training on the CPU (crate::fused).
        let x =
            crate::fused::batch_norm_act(&self.norm_a, crate::fused::conv2d(&self.conv_a, x), 0.0);
        crate::fused::batch_norm_act(&self.norm_b, crate::fused::conv2d(&self.conv_b, x), 0.0)
    }
}

/// LeNet shapes are written for MNIST (k = 1 channel, side 28, so q = 5); CIFAR-10 is k = 3,
/// side 32, q = 6: q = (side/2 - 4)/2. The VGG trunk halves the side per stage: q = side/2^n.
/// The fields are optional rather than an enum of trunks so that LeNet classifiers saved
/// before the VGG trunk existed load unchanged (records are keyed by field path).
#[derive(Module, Debug)]
pub struct Classifier {
    /// LeNet: (B, k, 28, 28) -> (B, c1, 28, 28), then max-pool -> (B, c1, 14, 14)
    pub conv1: Option<Conv2d>,
    /// LeNet: (B, c1, 14, 14) -> (B, c2, 10, 10), then max-pool -> (B, c2, 5, 5)
    pub conv2: Option<Conv2d>,
    /// VGG: (B, k, s, s) -> (B, c1, s/2, s/2) -> ... -> (B, c1*2^(n-1), q, q)
    pub stages: Vec<Stage>,
    pub pool: MaxPool2d,
    /// (B, c*q*q) -> (B, hidden)
    pub fc1: Linear,
    /// (B, hidden) -> (B, features): the penultimate layer
    pub fc2: Linear,
    /// (B, features) -> (B, classes)
    pub head: Linear,
    pub dropout: Dropout,
    /// `ClassifierConfig::mirror_average`: a reading, not a weight, so not saved with them.
    #[module(skip)]
    pub mirror_average: bool,
    /// `ClassifierConfig::shift_average`, likewise a reading.
    #[module(skip)]
    pub shift_average: usize,
    /// `ClassifierConfig::dataset`.
    #[module(skip)]
    pub dataset: Option<DatasetKind>,
}

impl ClassifierConfig {
    /// Reads a classifier's config.json. Options added later (colour: channels, image size;
    /// the VGG trunk) take their defaults, which are what older classifiers were built with.
    pub fn from_json(text: &str) -> Result<Self> {
        let stored: serde_json::Value = serde_json::from_str(text)?;
        let mut merged = serde_json::to_value(Self::new())?;
        crate::train::config::overlay(&mut merged, stored);
        Ok(serde_json::from_value(merged)?)
    }

    /// Side q and channel count of the last feature maps.
    fn trunk_output(&self) -> (usize, usize) {
        if self.stages == 0 {
            ((self.image_size / 2).saturating_sub(4) / 2, self.conv2)
        } else {
            (
                self.image_size >> self.stages,
                self.conv1 << (self.stages - 1),
            )
        }
    }

    pub fn init(&self, device: &Device) -> Classifier {
        crate::model::with_backend_rng(|| crate::model::materialise(self.build(device)))
    }

    fn build(&self, device: &Device) -> Classifier {
        let lenet = self.stages == 0;
        let stages = (0..self.stages)
            .map(|i| {
                let inputs = if i == 0 {
                    self.channels
                } else {
                    self.conv1 << (i - 1)
                };
                Stage::new(inputs, self.conv1 << i, device)
            })
            .collect();
        let (side, width) = self.trunk_output();
        Classifier {
            conv1: lenet.then(|| {
                Conv2dConfig::new([self.channels, self.conv1], [5, 5])
                    .with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2))
                    .init(device)
            }),
            conv2: lenet.then(|| Conv2dConfig::new([self.conv1, self.conv2], [5, 5]).init(device)),
            stages,
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc1: LinearConfig::new(width * side * side, self.hidden).init(device),
            fc2: LinearConfig::new(self.hidden, self.features).init(device),
            head: LinearConfig::new(self.features, self.classes).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            mirror_average: self.mirror_average,
            shift_average: self.shift_average,
            dataset: self.dataset,
        }
    }
}

impl Classifier {
    /// Refuses the images of a named set other than the one it learned to read. A picture
    /// folder is not compared with anything: a user may mean an MNIST judge for their own
    /// digits.
    pub fn check_reads(&self, kind: DatasetKind) -> Result<()> {
        match self.dataset {
            Some(learned)
                if learned != kind
                    && learned != DatasetKind::Folder
                    && kind != DatasetKind::Folder =>
            {
                bail!(
                    "the classifier learned to read {}, not {}: its scores of these images \
                     would mean nothing; judge them with one trained on {} (`gan-studio \
                     classifier train --dataset {}`, or the bundled assets/model/{}/classifier)",
                    learned.title(),
                    kind.title(),
                    kind.title(),
                    kind.folder_or_flag(),
                    kind.folder()
                )
            }
            _ => Ok(()),
        }
    }

    /// SHA-256 (hex) of its weights, in the order its layers are visited: the same weights
    /// give the same digest however they were loaded (a bundled copy, an unpacked folder), so
    /// an evaluation can say which judge it was scored by.
    pub fn weights_sha256(&self) -> String {
        use burn::module::{ModuleVisitor, Param};
        use sha2::{Digest, Sha256};
        struct Hash(Sha256);
        impl ModuleVisitor for Hash {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let values = param.val().into_data().convert::<f32>();
                for value in values.iter::<f32>() {
                    self.0.update(value.to_le_bytes());
                }
            }
        }
        let mut hash = Hash(Sha256::new());
        self.visit(&mut hash);
        hash.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Colour channels it reads: 1 or 3.
    /// Whether the classifier's layers fit pictures of `side` x `side`: its first dense layer
    /// reads the trunk's output, whose size the side fixes. None for a classifier with no trunk.
    fn reads_side(&self, side: usize) -> Option<bool> {
        let inputs = self.fc1.weight.dims()[0];
        let (width, out) = match (&self.conv2, self.stages.last()) {
            // LeNet: 5x5 padded conv, pool, 5x5 conv, pool.
            (Some(conv2), _) => (conv2.weight.dims()[0], (side / 2).saturating_sub(4) / 2),
            // VGG-style: each stage halves the side.
            (None, Some(stage)) => (stage.conv_b.weight.dims()[0], side >> self.stages.len()),
            (None, None) => return None,
        };
        Some(width * out * out == inputs)
    }

    /// An error unless the classifier reads pictures of `side` x `side` (which it would
    /// otherwise refuse deep inside its first dense layer).
    pub fn check_side(&self, side: usize) -> Result<()> {
        if self.reads_side(side) != Some(false) {
            return Ok(());
        }
        let built = [28, 32, 64]
            .into_iter()
            .chain(8..=256)
            .find(|&s| self.reads_side(s) == Some(true))
            .map_or_else(|| "other".to_owned(), |s| format!("{s}x{s}"));
        bail!(
            "the classifier reads {built} pictures; these are {side}x{side}: train one on them \
             (`gan-studio classifier train`)"
        )
    }

    pub fn input_channels(&self) -> usize {
        match (&self.conv1, self.stages.first()) {
            (Some(conv), _) => conv.weight.dims()[1],
            (None, Some(stage)) => stage.conv_a.weight.dims()[1],
            (None, None) => 1,
        }
    }

    /// images (B, k, s, s) -> penultimate features (B, F), after ReLU
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images;
        if let (Some(conv1), Some(conv2)) = (&self.conv1, &self.conv2) {
            // ReLU after the pool, on a quarter of the values: max and ReLU commute, so the
            // values and gradients are those of ReLU then pool.
            let pool = |x| crate::fused::max_pool2d(&self.pool, x);
            x = relu(pool(crate::fused::conv2d(conv1, x))); // (B, c1, 14, 14)
            x = relu(pool(crate::fused::conv2d(conv2, x))); // (B, c2, 5, 5)
        }
        for stage in &self.stages {
            x = crate::fused::max_pool2d(&self.pool, stage.forward(x)); // (B, c, s/2, s/2)
        }
        let x: Tensor<2> = x.flatten(1, 3); // (B, c*q*q)
        let x = dropout(&self.dropout, relu(crate::fused::linear(&self.fc1, x))); // (B, hidden)
        relu(crate::fused::linear(&self.fc2, x)) // (B, F)
    }

    /// What the instrument reads: penultimate features (B, F), averaged over the views it was
    /// made to read (`mirror_average`, `shift_average`).
    pub fn reading(&self, images: Tensor<4>) -> Tensor<2> {
        // One view's reading, averaged with its mirror image's if asked.
        let read = |view: Tensor<4>| {
            if self.mirror_average {
                let mirrored = view.clone().flip([3]); // (B, k, s, s), left and right swapped
                (self.features(view) + self.features(mirrored)).div_scalar(2.0)
            } else {
                self.features(view)
            }
        };
        let n = self.shift_average;
        if n == 0 {
            return read(images);
        }
        let [batch, channels, rows, cols] = images.dims();
        // Pad once with black ([-1, 1] scale) and cut the shifted windows from it, reading each
        // as it is cut so that one view at a time is held.
        let padded = images.clone().pad((n, n, n, n), PadMode::Constant(-1.0)); // (B, k, s+2n, s+2n)
        let mut sum = read(images);
        // Window corners: the picture moved right, left, down and up by n.
        for (top, left) in [(n, 0), (n, 2 * n), (0, n), (2 * n, n)] {
            let window = [0..batch, 0..channels, top..top + rows, left..left + cols];
            sum = sum + read(padded.clone().slice(window));
        }
        sum.div_scalar(5.0)
    }

    /// images (B, k, s, s) -> logits (B, classes)
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head
            .forward(dropout(&self.dropout, self.features(images)))
    }
}

/// What `classifier.json` records.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassifierReport {
    pub test_accuracy: f64,
    pub train_images: usize,
    pub epochs: usize,
    pub train_secs: f64,
    /// The classifier this one continued (`classifier train --from`), if any, and the
    /// epochs it had been trained for: the total training is those plus `epochs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continued_from: Option<Continued>,
}

/// Where a continued classifier started.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Continued {
    pub classifier: String,
    pub epochs: usize,
}

/// A classifier's config as saved beside its weights.
pub fn load_config(dir: &Path) -> Result<ClassifierConfig> {
    let config_path = dir.join("config.json");
    if !dir.is_dir() {
        bail!(
            "no classifier at {}: train one with `gan-studio classifier train --run NAME` \
             (with --dataset folder --data PATH for your own pictures), or name a folder \
             holding classifier.bpk such as assets/model/mnist/classifier",
            dir.display()
        );
    }
    let text = std::fs::read_to_string(&config_path)
        .map_err(|e| anyhow!("{}: not a classifier config: {e}", config_path.display()))?;
    let config = ClassifierConfig::from_json(&text)
        .map_err(|e| anyhow!("{}: not a classifier config: {e}", config_path.display()))?;
    config
        .validate()
        .with_context(|| format!("{}: not a usable classifier", config_path.display()))?;
    Ok(config)
}

/// Outputs of the classifier on a set of images, on the host.
#[derive(Clone, Debug)]
pub struct Readout {
    /// (n, classes) softmax rows.
    pub probabilities: Vec<f32>,
    /// (n, features) penultimate activations.
    pub features: Vec<f32>,
    pub classes: usize,
    pub feature_dim: usize,
}

impl Readout {
    pub fn len(&self) -> usize {
        self.probabilities.len() / self.classes.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.probabilities.is_empty()
    }

    /// The most likely class of each row.
    pub fn predictions(&self) -> Vec<usize> {
        self.probabilities
            .chunks(self.classes)
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold(
                        (0, f32::MIN),
                        |best, (i, &p)| if p > best.1 { (i, p) } else { best },
                    )
                    .0
            })
            .collect()
    }
}

/// Runs the classifier (inference mode) on host images in [-1, 1], (n, k, side, side), k the
/// classifier's input channels.
pub fn read_out(
    classifier: &Classifier,
    pixels: &[f32],
    side: usize,
    device: &Device,
) -> Result<Readout> {
    const CHUNK: usize = 1000;
    // Every command that reads pictures comes here: a judge of other sizes is an error.
    classifier.check_side(side)?;
    let channels = classifier.input_channels();
    let per = channels * side * side;
    let n = pixels.len() / per;
    let classifier = classifier.valid();
    let mut probabilities = Vec::with_capacity(n * 10);
    let mut features = Vec::new();
    let (mut classes, mut feature_dim) = (0, 0);
    for start in (0..n).step_by(CHUNK) {
        let end = (start + CHUNK).min(n);
        let images = Tensor::from_data(
            TensorData::new(
                pixels[start * per..end * per].to_vec(),
                [end - start, channels, side, side],
            ),
            device,
        );
        let f = classifier.reading(images);
        // The head is linear: the logits of the averaged features are the averaged logits.
        let logits = crate::fused::linear(&classifier.head, f.clone());
        classes = logits.dims()[1];
        feature_dim = f.dims()[1];
        let read = |t: Tensor<2>| {
            t.into_data()
                .try_to_vec::<f32>()
                .map_err(|e| anyhow!("cannot read classifier output: {e:?}"))
        };
        probabilities.extend(read(softmax(logits, 1))?);
        features.extend(read(f)?);
    }
    Ok(Readout {
        probabilities,
        features,
        classes,
        feature_dim,
    })
}

/// Share of `split` that the classifier labels correctly.
pub fn accuracy(classifier: &Classifier, split: &Split, device: &Device) -> Result<f64> {
    let pixels = split.batch_pixels(&(0..split.len()).collect::<Vec<_>>(), None);
    let readout = read_out(classifier, &pixels, split.rows, device)?;
    let correct = readout
        .predictions()
        .iter()
        .zip(&split.labels)
        .filter(|(p, l)| **p == usize::from(**l))
        .count();
    Ok(correct as f64 / split.len().max(1) as f64)
}

/// Trains a classifier on `train`; `on_epoch(epoch, mean_loss)` reports progress.
pub fn train(
    config: &ClassifierConfig,
    train: &Split,
    device: &Device,
    on_epoch: impl FnMut(usize, f32),
) -> Result<Classifier> {
    train_from(config, None, train, device, on_epoch)
}

/// As [`train`], continuing from `start` (a classifier built from `config`'s architecture)
/// rather than from fresh weights: a classifier trained further with a new learning-rate
/// schedule. Adam's moments start afresh.
pub fn train_from(
    config: &ClassifierConfig,
    start: Option<Classifier>,
    train: &Split,
    device: &Device,
    mut on_epoch: impl FnMut(usize, f32),
) -> Result<Classifier> {
    config.validate()?;
    if (train.channels, train.rows) != (config.channels, config.image_size) {
        bail!(
            "the classifier reads {}x{} images of {} channel(s), the data's are {}x{} of {}",
            config.image_size,
            config.image_size,
            config.channels,
            train.rows,
            train.cols,
            train.channels
        );
    }
    if train.len() < config.batch_size {
        bail!(
            "only {} training images, fewer than one batch of {}: choose a batch size of at \
             most {} (--batch-size)",
            train.len(),
            config.batch_size,
            train.len()
        );
    }
    let device = device.clone().autodiff();
    seed_dropout(config.seed);
    let mut model = match start {
        Some(model) => model.to_device(&device).train(),
        None => crate::model::init_seeded(&device, config.seed, || config.init(&device)),
    };
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    for epoch in 0..config.epochs {
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut step_rng(config.seed, epoch as u64, 0));
        let mut losses = Vec::new();
        let lr = config.learning_rate * config.lr_decay.powi(epoch as i32);
        let mut shift_rng = step_rng(config.seed, epoch as u64, 1);
        for chunk in order.chunks_exact(config.batch_size) {
            let augment: Option<&mut dyn rand::RngCore> = if config.augment {
                Some(&mut shift_rng)
            } else {
                None
            };
            let (images, labels) = train.batch(chunk, augment, &device);
            let loss = loss_fn.forward(model.forward(images), labels);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            losses.push(loss.detach());
            model = optim.step(lr, model, grads);
        }
        let mean: f32 = Tensor::cat(losses, 0).mean().into_scalar();
        if !mean.is_finite() {
            bail!(
                "classifier training diverged in epoch {} (loss {mean})",
                epoch + 1
            );
        }
        on_epoch(epoch + 1, mean);
    }
    // A continued classifier may be asked to read more views than its parent did.
    let mut model = model.valid();
    model.mirror_average = config.mirror_average;
    model.shift_average = config.shift_average;
    Ok(model)
}

/// The weights' file in a classifier's folder.
pub const WEIGHTS_FILE: &str = "classifier.bpk";

/// A classifier given as a folder holding `classifier.bpk`, else as a run name under `runs_dir`.
pub fn classifier_dir(runs_dir: &Path, name: &str) -> std::path::PathBuf {
    let path = std::path::PathBuf::from(name);
    if path.join(WEIGHTS_FILE).is_file() {
        path
    } else {
        runs_dir.join(name)
    }
}

/// Loads a classifier saved by `gan-studio classifier train` (a run folder holding
/// `config.json` and `classifier.bpk`).
pub fn load(dir: &Path, device: &Device) -> Result<Classifier> {
    load_weights(dir, &load_config(dir)?, device)
}

/// The weights in `dir` for a classifier of `config` (read by [`load_config`]).
pub fn load_weights(dir: &Path, config: &ClassifierConfig, device: &Device) -> Result<Classifier> {
    load_module(config.init(device), &dir.join(WEIGHTS_FILE))
        .with_context(|| format!("cannot load the classifier in {}", dir.display()))
}

/// Trains for a fixed number of steps on batches drawn with replacement: the regime of tiny
/// training sets (10 images per class), where epochs mean little. `start` fine-tunes an
/// existing classifier instead of a fresh one.
pub fn train_steps(
    config: &ClassifierConfig,
    train: &Split,
    steps: usize,
    start: Option<Classifier>,
    device: &Device,
) -> Result<Classifier> {
    train_steps_with(config, train, steps, start, device, &mut |_| {})
}

/// As [`train_steps`], calling `on_step(steps done)` after each step.
pub fn train_steps_with(
    config: &ClassifierConfig,
    train: &Split,
    steps: usize,
    start: Option<Classifier>,
    device: &Device,
    on_step: &mut dyn FnMut(usize),
) -> Result<Classifier> {
    use rand::Rng;
    if train.is_empty() {
        bail!("no training images");
    }
    let device = device.clone().autodiff();
    seed_dropout(config.seed);
    let mut model = match start {
        Some(model) => model.to_device(&device).train(),
        None => crate::model::init_seeded(&device, config.seed, || config.init(&device)),
    };
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut rng = step_rng(config.seed, 0, 2);
    let batch = config.batch_size.min(train.len());
    for done in 1..=steps {
        let indices: Vec<usize> = (0..batch)
            .map(|_| rng.random_range(0..train.len()))
            .collect();
        let augment: Option<&mut dyn rand::RngCore> =
            if config.augment { Some(&mut rng) } else { None };
        let (images, labels) = train.batch(&indices, augment, &device);
        let loss = loss_fn.forward(model.forward(images), labels);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(config.learning_rate, model, grads);
        on_step(done);
    }
    Ok(model.valid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weights_digest_names_the_weights_not_the_copy() {
        let device = Device::flex();
        let config = ClassifierConfig::new();
        let make = |seed| crate::model::init_seeded(&device, seed, || config.init(&device));
        let (a, again, b) = (make(1), make(1), make(2));
        let digest = a.weights_sha256();
        assert_eq!(digest.len(), 64);
        assert_eq!(digest, again.weights_sha256());
        assert_ne!(digest, b.weights_sha256());
        // A reading option is not a weight.
        let mirrored = Classifier {
            mirror_average: true,
            ..again
        };
        assert_eq!(digest, mirrored.weights_sha256());
    }

    #[test]
    fn a_classifier_knows_the_picture_side_it_reads() {
        let device = Device::flex();
        let lenet = ClassifierConfig::new().init(&device);
        assert!(lenet.check_side(28).is_ok());
        let vgg = |side| {
            ClassifierConfig::new()
                .with_stages(3)
                .with_conv1(8)
                .with_channels(3)
                .with_image_size(side)
                .init(&device)
        };
        assert!(vgg(32).check_side(32).is_ok() && vgg(64).check_side(64).is_ok());
        // Given other pictures, it says so instead of failing in its first dense layer.
        let error = vgg(32).check_side(64).unwrap_err().to_string();
        assert!(
            error.contains("reads 32x32 pictures; these are 64x64"),
            "{error}"
        );
        let error = lenet.check_side(32).unwrap_err().to_string();
        assert!(error.contains("reads 28x28 pictures"), "{error}");
    }

    #[test]
    fn the_vgg_trunk_reads_grey_28_and_colour_32() {
        let device = Device::flex();
        for (channels, side) in [(1, 28), (3, 32)] {
            let config = ClassifierConfig::new()
                .with_stages(3)
                .with_conv1(8)
                .with_channels(channels)
                .with_image_size(side);
            config.validate().unwrap();
            let model = config.init(&device);
            assert_eq!(model.input_channels(), channels);
            assert!(model.conv1.is_none() && model.stages.len() == 3);
            let images = Tensor::<4>::zeros([2, channels, side, side], &device);
            assert_eq!(model.features(images.clone()).dims(), [2, 84]);
            assert_eq!(model.forward(images).dims(), [2, 10]);
        }
    }

    #[test]
    fn a_mirror_averaging_classifier_reads_a_picture_and_its_mirror_alike() {
        use burn::tensor::Distribution;
        let device = Device::flex();
        let config = ClassifierConfig::new()
            .with_stages(2)
            .with_conv1(8)
            .with_channels(3)
            .with_image_size(32);
        let images = Tensor::<4>::random([3, 3, 32, 32], Distribution::Uniform(-1.0, 1.0), &device);
        let mirrored = images.clone().flip([3]);
        let gap = |a: Tensor<2>, b: Tensor<2>| -> f32 { (a - b).abs().max().into_scalar() };
        let plain = config.init(&device).valid();
        let plain_gap = gap(
            plain.reading(images.clone()),
            plain.reading(mirrored.clone()),
        );
        assert!(plain_gap > 1e-4, "{plain_gap}");
        // The same weights, made to average: the mean of the two plain readings, which is the
        // same for a picture and its mirror.
        let mut averaging = plain.clone();
        averaging.mirror_average = true;
        let mean =
            (plain.reading(images.clone()) + plain.reading(mirrored.clone())).div_scalar(2.0);
        assert!(gap(averaging.reading(images.clone()), mean) < 1e-5);
        assert!(gap(averaging.reading(images), averaging.reading(mirrored)) < 1e-5);
        // It is part of the config a classifier is saved with, and off unless asked for.
        assert!(!ClassifierConfig::new().mirror_average);
        assert!(
            config
                .with_mirror_average(true)
                .init(&device)
                .mirror_average
        );
    }

    #[test]
    fn a_shift_averaging_classifier_reads_the_mean_of_five_shifted_views() {
        let device = Device::flex();
        let (b, k, side) = (2, 3, 32);
        let config = ClassifierConfig::new()
            .with_stages(2)
            .with_conv1(8)
            .with_channels(k)
            .with_image_size(side);
        let pixels: Vec<f32> = (0..b * k * side * side)
            .map(|i| ((i * 7919) % 997) as f32 / 498.5 - 1.0)
            .collect();
        // The picture moved by (dy, dx) on the host, the uncovered border black (-1).
        let shifted = |dy: i64, dx: i64| -> Tensor<4> {
            let s = side as i64;
            let mut out = vec![-1.0; pixels.len()];
            for plane in 0..b * k {
                for y in 0..s {
                    for x in 0..s {
                        let (sy, sx) = (y - dy, x - dx);
                        if (0..s).contains(&sy) && (0..s).contains(&sx) {
                            out[plane * side * side + (y * s + x) as usize] =
                                pixels[plane * side * side + (sy * s + sx) as usize];
                        }
                    }
                }
            }
            Tensor::from_data(TensorData::new(out, [b, k, side, side]), &device)
        };
        let plain = config.init(&device).valid();
        let views = [(0, 0), (0, 1), (0, -1), (1, 0), (-1, 0)];
        let mean = views
            .iter()
            .map(|&(dy, dx)| plain.reading(shifted(dy, dx)))
            .reduce(|a, b| a + b)
            .unwrap()
            .div_scalar(views.len() as f64);
        let mut averaging = plain.clone();
        averaging.shift_average = 1;
        let gap: f32 = (averaging.reading(shifted(0, 0)) - mean.clone())
            .abs()
            .max()
            .into_scalar();
        assert!(gap < 1e-5, "{gap}");
        // Not the plain reading: the views count.
        let plain_gap: f32 = (plain.reading(shifted(0, 0)) - mean)
            .abs()
            .max()
            .into_scalar();
        assert!(plain_gap > 1e-4, "{plain_gap}");
        // With the mirror, ten views: still a reading of (B, F).
        averaging.mirror_average = true;
        assert_eq!(averaging.reading(shifted(0, 0)).dims(), [b, 84]);
        let far = ClassifierConfig::new().with_shift_average(5);
        assert!(far.validate().unwrap_err().to_string().contains("shift"));
    }

    #[test]
    fn a_lenet_config_from_before_the_vgg_trunk_builds_lenet() {
        let old = r#"{"conv1":32,"conv2":64,"hidden":120,"features":84,"classes":10,
            "dropout":0.25,"epochs":5,"batch_size":128,"learning_rate":0.001,"lr_decay":0.6,
            "augment":true,"seed":7}"#;
        let config = ClassifierConfig::from_json(old).unwrap();
        assert_eq!(config.stages, 0);
        let model = config.init(&Device::flex());
        assert!(model.conv1.is_some() && model.stages.is_empty());
    }

    #[test]
    fn too_many_stages_or_widths_are_refused() {
        let deep = ClassifierConfig::new().with_stages(5);
        assert!(deep.validate().unwrap_err().to_string().contains("stages"));
        let wide = ClassifierConfig::new().with_stages(4).with_conv1(256);
        assert!(wide.validate().unwrap_err().to_string().contains("exceed"));
    }
}
