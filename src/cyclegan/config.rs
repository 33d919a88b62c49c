//! CycleGAN's configuration: data that builds the four networks and drives training, saved as
//! `cyclegan.json` in the run (not `config.json`, so that tools reading latent-GAN runs never
//! mistake a translation run for one of theirs).

use burn::prelude::*;

use super::domain::DomainRecord;

/// Largest width and residual-block count accepted (damaged or edited files are refused
/// before anything of that size is allocated).
const MAX_WIDTH: usize = 256;
const MAX_BLOCKS: usize = 32;

/// The two generators' and two discriminators' shapes and the training recipe. Defaults follow
/// Zhu et al. (2017) and the authors' reference implementation (LSGAN loss, λ_cyc = 10,
/// identity 0.5·λ_cyc, a pool of 50 fakes, Adam(2e-4, 0.5), constant then linear decay),
/// scaled to 32x32 pictures on a 2-core CPU: base width 32 instead of 64, 6 residual blocks,
/// a PatchGAN of two stride-2 layers (patches of 34 pixels, about the paper's 70 of 256), and
/// batches of 4 instead of 1.
#[derive(Config, Debug, PartialEq)]
pub struct CycleGanConfig {
    /// Domain A as given (`--domain-a`) and what was read for it.
    pub domain_a: DomainRecord,
    pub domain_b: DomainRecord,
    /// The data folder the named sets were read from (`--data`), so that resuming and
    /// sampling read the same pictures; None: the default data folder.
    #[config(default = "None")]
    pub data_root: Option<std::path::PathBuf>,
    /// Picture side: 32 or 64.
    #[config(default = 32)]
    pub image_size: usize,
    /// Both domains share 3 channels (a grey domain beside a colour one is read as three equal
    /// channels) or, when both are grey, 1.
    #[config(default = 3)]
    pub channels: usize,
    /// Base width of both generators and discriminators (the paper's ngf = ndf = 64).
    #[config(default = 32)]
    pub width: usize,
    /// Residual blocks at a quarter of the side (the paper: 6 at 128, 9 at 256).
    #[config(default = 6)]
    pub residual_blocks: usize,
    /// Generators add what they compute to their input (`tanh(atanh(x) + head)`), so each
    /// starts as the identity and learns a change rather than a whole picture (not in the
    /// paper; for grey <-> colour, where the shapes must survive).
    #[config(default = false)]
    pub residual_output: bool,
    /// Stride-2 layers of the PatchGAN discriminators (the paper's n_layers, 3 at 256).
    #[config(default = 2)]
    pub discriminator_layers: usize,
    /// Weight of the cycle-consistency terms.
    #[config(default = 10.0)]
    pub lambda_cycle: f64,
    /// Weight of the identity terms relative to `lambda_cycle` (0 turns them off).
    #[config(default = 0.5)]
    pub lambda_identity: f64,
    /// Generated pictures kept per discriminator, half of each batch it sees drawn from them.
    #[config(default = 50)]
    pub pool_size: usize,
    /// Adam's learning rate for both generators, and for both discriminators.
    #[config(default = 2e-4)]
    pub lr_generators: f64,
    #[config(default = 2e-4)]
    pub lr_discriminators: f64,
    #[config(default = 0.5)]
    pub beta1: f32,
    #[config(default = 0.999)]
    pub beta2: f32,
    #[config(default = 4)]
    pub batch_size: usize,
    /// Training steps in all.
    #[config(default = 3600)]
    pub steps: usize,
    /// The last this many steps decay the learning rate linearly to zero (the paper: half).
    #[config(default = 1800)]
    pub decay_steps: usize,
    /// Mirror training pictures left-right half the time.
    #[config(default = true)]
    pub flip: bool,
    #[config(default = 42)]
    pub seed: u64,
    /// Decay of the generators' weight average that translations come from (None: the last
    /// weights, as in the paper; the average is this tool's default for every family).
    #[config(default = "Some(0.999)")]
    pub ema_decay: Option<f64>,
    #[config(default = 200)]
    pub sample_every: usize,
    #[config(default = 500)]
    pub checkpoint_every: usize,
    /// A loss above this (or NaN) stops the run as diverged.
    #[config(default = 100.0)]
    pub loss_limit: f32,
}

impl CycleGanConfig {
    /// Rejects impossible options with a message naming the option.
    pub fn validate(&self) -> anyhow::Result<()> {
        use anyhow::bail;
        if self.image_size != 32 && self.image_size != 64 {
            bail!(
                "--image-size must be 32 or 64 for CycleGAN, got {}",
                self.image_size
            );
        }
        if self.channels != 1 && self.channels != 3 {
            bail!(
                "pictures have {} channels; 1 or 3 are supported",
                self.channels
            );
        }
        if !(1..=MAX_WIDTH).contains(&self.width) {
            bail!("--width must be in 1..={MAX_WIDTH}, got {}", self.width);
        }
        if self.residual_blocks > MAX_BLOCKS {
            bail!(
                "--residual-blocks must be at most {MAX_BLOCKS}, got {}",
                self.residual_blocks
            );
        }
        // Each stride-2 layer halves the side; the two stride-1 layers after them need 4.
        let max_layers = (self.image_size / 4).ilog2() as usize;
        if !(1..=max_layers).contains(&self.discriminator_layers) {
            bail!(
                "--d-layers must be in 1..={max_layers} at {} pixels, got {}",
                self.image_size,
                self.discriminator_layers
            );
        }
        for (name, value) in [
            ("--lambda-cycle", self.lambda_cycle),
            ("--lambda-identity", self.lambda_identity),
        ] {
            if !(value.is_finite() && (0.0..=100.0).contains(&value)) {
                bail!("{name} must be in [0, 100], got {value}");
            }
        }
        for (name, lr) in [
            ("--lr-g", self.lr_generators),
            ("--lr-d", self.lr_discriminators),
        ] {
            if !(lr.is_finite() && lr > 0.0) {
                bail!("{name} must be a positive number, got {lr}");
            }
        }
        for (name, beta) in [("--beta1", self.beta1), ("--beta2", self.beta2)] {
            if !(0.0..1.0).contains(&beta) {
                bail!("{name} must be in [0, 1), got {beta}");
            }
        }
        if self.batch_size == 0 {
            bail!("--batch-size must be at least 1");
        }
        if self.steps == 0 {
            bail!("--steps must be at least 1");
        }
        if self.decay_steps > self.steps {
            bail!(
                "--decay-steps {} is more than --steps {}",
                self.decay_steps,
                self.steps
            );
        }
        if let Some(decay) = self.ema_decay
            && !(0.0..1.0).contains(&decay)
        {
            bail!("--ema-decay must be in [0, 1), got {decay}");
        }
        Ok(())
    }

    /// The share of the learning rates used at `step` (0-based): 1, then linearly down to zero
    /// over the last `decay_steps` steps (the reference implementation's `linear` policy).
    pub fn rate_factor_at(&self, step: usize) -> f64 {
        let constant = self.steps - self.decay_steps;
        let into_decay = step.saturating_sub(constant) as f64;
        1.0 - into_decay / (self.decay_steps as f64 + 1.0)
    }

    /// Reads a run's `cyclegan.json`, naming the file in errors.
    pub fn load_run(path: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the run's config {}", path.display()))?;
        let config: Self = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a CycleGAN run configuration", path.display()))?;
        config.validate().with_context(|| {
            format!(
                "{}: describes networks that cannot be built",
                path.display()
            )
        })?;
        Ok(config)
    }
}
