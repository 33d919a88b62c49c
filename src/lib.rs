//! GAN Studio: train GANs on digits, clothes, CIFAR-10 or your own pictures, explore them, measure
//! them, export figures.
//!
//! The library holds everything; the binary's subcommands and the studio GUI are thin faces over it.

pub mod bench;
pub mod cli;
pub mod cyclegan;
pub mod data;
pub mod device;
pub mod disk_cache;
pub mod eval;
pub mod explore;
pub mod export;
pub mod family;
pub mod fsutil;
pub mod fused;
pub mod interop;
pub mod model;
pub mod sampling;
pub mod studio;
pub mod study;
pub mod threads;
pub mod train;
