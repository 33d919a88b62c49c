//! The built-in studies, written as the study files a user would write (assets/studies/ holds
//! them too, as examples to copy and edit).

use anyhow::{Result, bail};

use super::spec::Study;

/// Name, what it compares, and its study file.
pub const PRESETS: [(&str, &str, &str); 5] = [
    (
        "tricks",
        "one trick at a time on top of the default recipe: label smoothing, soft labels, \
         virtual batch norm, dropout, the G:D update ratio, no batch norm in D",
        include_str!("../../assets/studies/tricks.toml"),
    ),
    (
        "depth",
        "shallow, medium and deep networks at one budget",
        include_str!("../../assets/studies/depth.toml"),
    ),
    (
        "families",
        "every family at one budget: DCGAN, dense CGAN, cDCGAN, ACGAN, 2N-class GAN, InfoGAN, PCA",
        include_str!("../../assets/studies/families.toml"),
    ),
    (
        "pca-vs-gan",
        "the PCA baseline against a conditional DCGAN",
        include_str!("../../assets/studies/pca-vs-gan.toml"),
    ),
    (
        "retraining",
        "a classifier on 10 or 100 real images per class with generated ones mixed in at \
         ratios 0-2, from a generator that saw the full set or 1,000 images",
        include_str!("../../assets/studies/retraining.toml"),
    ),
];

pub fn preset(name: &str) -> Result<Study> {
    Study::parse(preset_text(name)?)
}

/// A built-in study's file.
pub fn preset_text(name: &str) -> Result<&'static str> {
    match PRESETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, _, text)) => Ok(text),
        None => bail!(
            "no preset named {name}; the presets are {}",
            PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
        ),
    }
}
