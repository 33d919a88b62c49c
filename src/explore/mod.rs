//! The latent-space explorer's compute side, free of UI code: which generator to explore,
//! how latents move (interpolation, principal directions) and the images they give.

pub mod bundle;
pub mod codes;
pub mod latent;
pub mod pca;
pub mod source;

pub use latent::{Interpolation, interpolate, principal_directions};
pub use source::{GeneratorSource, LoadedGenerator};
