//! Training a GAN: configuration, the loop, metrics, checkpoints and the run folder.

pub mod checkpoint;
pub mod config;
pub mod ema;
pub mod fit;
pub mod guide;
pub mod lock;
pub mod loss;
pub mod metrics;
pub mod pairing_cache;
pub mod run_dir;
pub mod trained;
pub mod trainer;
pub mod warp;

pub use config::TrainConfig;
pub use metrics::StepMetrics;
pub use run_dir::RunDir;
pub use trained::{TrainedRun, open_trained_run};
pub use trainer::{RunOutcome, TrainEvent, Trainer, process_cpu_ms};
