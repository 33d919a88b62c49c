//! What one training step reports, and the per-layer gradient norms behind it.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// The L2 norm of one layer's gradient (all its parameters together).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerNorm {
    pub layer: String,
    pub norm: f32,
}

/// One line of `metrics.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    pub step: usize,
    pub epoch: usize,
    pub d_loss: f32,
    pub g_loss: f32,
    /// Mean D(x) on real images: 1 means D is sure they are real.
    pub d_real: f32,
    /// Mean D(G(z)) on generated images, before the generator update.
    pub d_fake: f32,
    /// The family's own figures (e.g. ACGAN's class-head accuracy), by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub figures: std::collections::BTreeMap<String, f32>,
    pub grad_norms_g: Vec<LayerNorm>,
    pub grad_norms_d: Vec<LayerNorm>,
    pub elapsed_secs: f64,
}

#[cfg(test)]
impl StepMetrics {
    /// A step whose losses are 1 and D's outputs 0.5, with no gradient norms: for tests.
    pub(crate) fn flat(step: usize) -> Self {
        Self {
            step,
            epoch: 0,
            d_loss: 1.0,
            g_loss: 1.0,
            d_real: 0.5,
            d_fake: 0.5,
            figures: Default::default(),
            grad_norms_g: Vec::new(),
            grad_norms_d: Vec::new(),
            elapsed_secs: 0.0,
        }
    }
}

/// The steps logged in a run's `metrics.jsonl`, in order. Lines that do not parse (a line cut
/// off by a crash) are skipped: the log is a record for people, not state training needs.
pub fn read_log(path: &std::path::Path) -> anyhow::Result<Vec<StepMetrics>> {
    read_lines(path)
}

/// [`read_log`] for any kind of step (a CycleGAN run logs its own): each line one `T`, lines
/// that do not parse skipped, a missing file read as no steps.
pub fn read_lines<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> anyhow::Result<Vec<T>> {
    use anyhow::Context;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    Ok(text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect())
}

/// Squared gradient sums per layer, still on the device, so one read fetches all of them.
pub struct PendingNorms {
    pub layers: Vec<String>,
    pub squares: Vec<Tensor<1>>,
}

impl PendingNorms {
    /// Groups the gradients of `module`'s parameters by the layer that owns them.
    pub fn collect<M: Module>(module: &M, grads: &GradientsParams) -> Self {
        let mut visitor = NormVisitor {
            grads,
            path: Vec::new(),
            layers: Vec::new(),
            squares: Vec::new(),
        };
        module.visit(&mut visitor);
        Self {
            layers: visitor.layers,
            squares: visitor.squares,
        }
    }

    /// Turns the read-back squared sums into norms.
    pub fn finish(layers: Vec<String>, squares: &[f32]) -> Vec<LayerNorm> {
        layers
            .into_iter()
            .zip(squares)
            .map(|(layer, sq)| LayerNorm {
                layer,
                norm: sq.sqrt(),
            })
            .collect()
    }
}

struct NormVisitor<'a> {
    grads: &'a GradientsParams,
    path: Vec<String>,
    layers: Vec<String>,
    squares: Vec<Tensor<1>>,
}

impl ModuleVisitor for NormVisitor<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(grad) = self.grads.get::<D>(param.id) else {
            return;
        };
        // The last path element is the parameter (weight, bias, ...); the layer owns it.
        let owner = &self.path[..self.path.len().saturating_sub(1)];
        let layer = owner
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(".");
        let square = crate::fused::square_sum(grad);
        match self.layers.iter().position(|l| *l == layer) {
            Some(i) => self.squares[i] = self.squares[i].clone() + square,
            None => {
                self.layers.push(layer);
                self.squares.push(square);
            }
        }
    }
}
