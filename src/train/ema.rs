//! An exponential moving average of the generator's weights. GAN generators oscillate around
//! good solutions; the average of recent weights samples visibly better digits than the last
//! iterate (Yazıcı et al. 2019), at the cost of one axpy per parameter per step.

use std::collections::HashMap;
use std::sync::Mutex;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;

use crate::fused::blend::Deferred;
use crate::model::{GanConfig, Generator};

/// The averaged generator, kept on the plain (non-autodiff) device.
pub struct Ema {
    pub decay: f64,
    pub updates: usize,
    /// Behind a lock so that [`Ema::model`] can finish a deferred blend from a shared borrow.
    state: Mutex<Averaged>,
}

struct Averaged {
    model: Generator,
    /// The last update's blend, running in the gaps of the next step ([`Deferred`]).
    pending: Option<(Vec<String>, Deferred)>,
}

impl Averaged {
    /// Applies the pending blend, if any.
    fn settle(&mut self) {
        let Some((paths, blend)) = self.pending.take() else {
            return;
        };
        let mut replace = ByPath {
            path: Vec::new(),
            values: paths.into_iter().zip(blend.finish()).collect(),
            decay: None,
        };
        self.model = self.model.clone().map(&mut replace);
    }
}

impl Ema {
    /// Starts the average at a copy of `generator` on `device` (no autodiff). The copy is a
    /// fresh module with its own parameter ids: a copy by `valid()` or by loading the
    /// generator's record keeps the ids, and with them shares batch norm's running statistics
    /// with the live generator.
    pub fn new(config: &GanConfig, generator: &Generator, decay: f64, device: &Device) -> Self {
        let mut model = config.init_generator(device);
        blend_into(&mut model, generator, 0.0);
        Self::resumed(decay, 0, model)
    }

    /// An average read back from a checkpoint, `updates` updates in.
    pub fn resumed(decay: f64, updates: usize, model: Generator) -> Self {
        Self {
            decay,
            updates,
            state: Mutex::new(Averaged {
                model,
                pending: None,
            }),
        }
    }

    /// Blends the current weights in; running batch-norm statistics are averaged alike. On
    /// flex with the fused ops on, the blend runs in the gaps of the next training step:
    /// its values are ready whenever [`Ema::model`] is read, and the same as at once.
    pub fn update(&mut self, generator: &Generator) {
        self.updates += 1;
        let decay = warmed_up(self.decay, self.updates);
        let state = self
            .state
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.settle();
        let deferrable = state.model.devices().first().is_some_and(|device| {
            crate::fused::enabled()
                && crate::fused::on_flex(device)
                && !device.is_autodiff()
                && rayon::current_num_threads() > 1
        });
        if deferrable {
            state.pending = Some(defer_blend(&state.model, generator, decay));
        } else {
            blend_into(&mut state.model, generator, decay);
        }
    }

    /// The averaged generator, every update applied.
    pub fn model(&self) -> Generator {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.settle();
        state.model.clone()
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
    let mut collect = Collect::default();
    // `valid()` folds in pending running-statistics updates, which a visit alone would miss.
    current.valid().visit(&mut collect);
    let mut blend = ByPath {
        path: Vec::new(),
        values: collect.values,
        decay: Some(decay),
    };
    *average = average.clone().map(&mut blend);
}

/// The blend of [`blend_into`], offered to the kept-awake workers: the parameters' paths and
/// the pending blend of each, in the same order.
fn defer_blend(average: &Generator, current: &Generator, decay: f64) -> (Vec<String>, Deferred) {
    let (mut now, mut kept) = (Collect::default(), Collect::default());
    current.valid().visit(&mut now);
    average.visit(&mut kept);
    let mut paths: Vec<String> = kept.values.keys().cloned().collect();
    paths.retain(|path| now.values.contains_key(path));
    paths.sort();
    let pairs = paths
        .iter()
        .filter_map(|path| Some((kept.values.remove(path)?, now.values.remove(path)?)))
        .collect();
    (paths, Deferred::new(pairs, decay))
}

/// Current weights by module path, flattened, without autodiff.
#[derive(Default)]
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

/// New values for each parameter named by its path: blended in with `decay` when given (as
/// `average * decay + value * (1 - decay)`), else put in place as they are (a blend finished
/// elsewhere).
struct ByPath {
    path: Vec<String>,
    values: HashMap<String, Tensor<1>>,
    decay: Option<f64>,
}

impl ModuleMapper for ByPath {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(value) = self.values.remove(&self.path.join(".")) else {
            return param;
        };
        let decay = self.decay;
        param.map(|average| {
            let value: Tensor<D> = value.reshape(average.dims());
            match decay {
                Some(decay) => crate::fused::blend(average, value, decay),
                None => value,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use burn::prelude::*;

    use super::{Ema, blend_into};
    use crate::fused::awake::while_awake;
    use crate::model::{GanConfig, Generator, ModelKind};

    fn weights(generator: &Generator) -> Vec<Vec<f32>> {
        let mut collect = super::Collect::default();
        burn::module::Module::visit(generator, &mut collect);
        let mut named: Vec<_> = collect.values.into_iter().collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        named
            .into_iter()
            .map(|(_, t)| t.into_data().try_to_vec::<f32>().expect("f32"))
            .collect()
    }

    /// The average updated in the gaps of the next step holds what the blend at once gives,
    /// bit for bit, read between steps and after them.
    #[test]
    fn a_deferred_update_equals_the_blend_at_once() {
        let device = Device::flex();
        let config = GanConfig::new(ModelKind::Cdcgan);
        let generators: Vec<Generator> = (0..3).map(|_| config.init_generator(&device)).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a test pool");
        let mut deferred = Ema::new(&config, &generators[0], 0.9, &device);
        let mut at_once = config.init_generator(&device);
        blend_into(&mut at_once, &generators[0], 0.0);
        for (k, generator) in generators.iter().enumerate().skip(1) {
            pool.install(|| while_awake(|| deferred.update(generator)));
            assert!(
                deferred.state.lock().expect("lock").pending.is_some(),
                "on flex with two threads the blend waits"
            );
            blend_into(&mut at_once, generator, super::warmed_up(0.9, k));
            assert_eq!(weights(&deferred.model()), weights(&at_once), "update {k}");
        }
        // And it moved: the average is not the first generator any more.
        assert_ne!(weights(&deferred.model()), weights(&generators[0]));
    }
}
