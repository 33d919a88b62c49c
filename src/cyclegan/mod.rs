//! CycleGAN (Zhu et al. 2017): translation between two unpaired sets of pictures.
//!
//! It is a family of its own rather than a [`crate::family::Family`]: those map latents (and
//! labels) to pictures with one generator and one discriminator, while CycleGAN maps pictures
//! to pictures with two of each. It shares with them the run folder, its lock, atomic
//! checkpoints, the metrics log and the NaN stop; its runs hold `cyclegan.json`.

pub mod config;
pub mod domain;
pub mod eval;
pub mod networks;
pub mod pool;
pub mod run;
pub mod trainer;

pub use config::CycleGanConfig;
pub use domain::{Domain, DomainRecord, load_pair};
pub use networks::{Direction, Discriminators, Generators};
pub use trainer::{CycleEvent, CycleStepMetrics, CycleTrainer};
