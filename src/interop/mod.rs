//! Using what was trained elsewhere: weights in PyTorch's names and layouts, and synthetic
//! data sets on disk.

pub mod generated;
pub mod safetensors;
