//! The GAN family: configuration, layers and the networks it builds.

pub mod config;
pub mod conv;
pub mod dense;
pub mod layers;
pub mod networks;
pub mod tf_dcgan;

pub use config::{Depth, GanConfig, ModelKind, NormKind};
pub use networks::{Discriminator, Generator};
