//! An exponential moving average of the generator's weights. GAN generators oscillate around
//! good solutions; the average of recent weights samples visibly better digits than the last
//! iterate (Yazıcı et al. 2019), at the cost of one axpy per parameter per step.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;

use crate::model::{GanConfig, Generator};

/// The averaged generator, kept on the plain (non-autodiff) device.
pub struct Ema {
    pub decay: f64,
    pub updates: usize,
    pub model: Generator,
}

impl Ema {
    /// Starts the average at a copy of `generator` on `device` (no autodiff). The copy is a
    /// fresh module with its own parameter ids: a copy by `valid()` or by loading the
    /// generator's record keeps the ids, and with them shares batch norm's running statistics
    /// with the live generator.
    pub fn new(config: &GanConfig, generator: &Generator, decay: f64, device: &Device) -> Self {
        let mut model = config.init_generator(device);
        blend_into(&mut model, generator, 0.0);
        Self {
            decay,
            updates: 0,
            model,
        }
    }

    /// Blends the current weights in; running batch-norm statistics are averaged alike.
    pub fn update(&mut self, generator: &Generator) {
        self.updates += 1;
        let decay = warmed_up(self.decay, self.updates);
        blend_into(&mut self.model, generator, decay);
    }
}

/// The decay after `updates` updates: TensorFlow's warm-up, so that early on the average
/// follows the weights closely and the random initial weights do not linger in it.
pub(crate) fn warmed_up(decay: f64, updates: usize) -> f64 {
    let u = updates as f64;
    decay.min((1.0 + u) / (10.0 + u))
}

/// average <- decay * average + (1 - decay) * current, parameter by parameter, for any
/// module (CycleGAN averages its two generators with it).
pub(crate) fn blend_into<M: Module>(average: &mut M, current: &M, decay: f64) {
    let mut collect = Collect {
        path: Vec::new(),
        values: HashMap::new(),
    };
    // `valid()` folds in pending running-statistics updates, which a visit alone would miss.
    current.valid().visit(&mut collect);
    let mut blend = Blend {
        path: Vec::new(),
        values: collect.values,
        decay,
    };
    *average = average.clone().map(&mut blend);
}

/// Current weights by module path, flattened, without autodiff.
struct Collect {
    path: Vec<String>,
    values: HashMap<String, Tensor<1>>,
}

impl ModuleVisitor for Collect {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().detach().inner();
        let n = value.shape().num_elements();
        self.values.insert(self.path.join("."), value.reshape([n]));
    }
}

struct Blend {
    path: Vec<String>,
    values: HashMap<String, Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(current) = self.values.remove(&self.path.join(".")) else {
            return param;
        };
        let decay = self.decay;
        param.map(|average| {
            let current: Tensor<D> = current.reshape(average.dims());
            crate::fused::blend(average, current, decay)
        })
    }
}
