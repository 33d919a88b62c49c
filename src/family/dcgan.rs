//! DCGAN (Radford et al. 2016): unconditional convolutional networks, the original objective
//! (the trait's defaults).

use super::Family;

pub struct Dcgan;

impl Family for Dcgan {
    fn name(&self) -> &'static str {
        "dcgan"
    }
    fn about(&self) -> &'static str {
        "Unconditional deep convolutional GAN (Radford et al. 2016)"
    }
    fn conditional(&self) -> bool {
        false
    }
}
