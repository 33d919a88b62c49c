//! The GAN family: configuration, layers and the networks it builds.

pub mod config;
pub mod conv;
pub mod dense;
pub mod info;
pub mod layers;
pub mod networks;
pub mod pca;
pub mod summary;
pub mod tf_dcgan;

pub use config::{Depth, GanConfig, ModelKind, NormKind};
pub use networks::{Discriminator, Generator};

/// Runs `init` (module initialisation, or anything else that draws from the backend's random
/// generator) right after seeding it with `seed`, with no other such call in between. burn's
/// backends keep one generator for the whole process, so two threads initialising at once would
/// otherwise interleave their draws and neither would get the weights its seed promises.
pub fn init_seeded<T>(device: &burn::prelude::Device, seed: u64, init: impl FnOnce() -> T) -> T {
    with_backend_rng(|| {
        device.seed(seed);
        init()
    })
}

/// Runs `draw` while no other thread draws from the backend's random generator through this
/// function (every module initialisation of this crate goes through it). Re-entrant.
pub fn with_backend_rng<T>(draw: impl FnOnce() -> T) -> T {
    use std::cell::Cell;
    use std::sync::{Mutex, PoisonError};
    static LOCK: Mutex<()> = Mutex::new(());
    thread_local! {
        static HELD: Cell<bool> = const { Cell::new(false) };
    }
    if HELD.get() {
        return draw();
    }
    // A panic while holding the lock leaves nothing half-done that matters here.
    let _guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    struct Release;
    impl Drop for Release {
        fn drop(&mut self) {
            HELD.set(false);
        }
    }
    HELD.set(true);
    let _release = Release;
    draw()
}

/// Draws every parameter's initial value now. burn initialises parameters lazily, on first use,
/// so without this the random draws would happen later, outside [`with_backend_rng`].
pub fn materialise<M: burn::module::Module>(module: M) -> M {
    use burn::module::{ModuleVisitor, Param};
    use burn::prelude::{Bool, Int, Tensor};
    struct Touch;
    impl ModuleVisitor for Touch {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let _ = param.val();
        }
        fn visit_int<const D: usize>(&mut self, param: &Param<Tensor<D, Int>>) {
            let _ = param.val();
        }
        fn visit_bool<const D: usize>(&mut self, param: &Param<Tensor<D, Bool>>) {
            let _ = param.val();
        }
    }
    module.visit(&mut Touch);
    module
}
