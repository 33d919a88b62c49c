//! Conditional DCGAN (Mirza & Osindero 2014 on DCGAN's networks): both networks read the label
//! (G one-hot beside z or as a feature map, D as a learned map joined as one more channel);
//! the original objective (the trait's defaults).

use super::{Family, FamilyOption, LABEL_INPUT};

pub struct Cdcgan;

impl Family for Cdcgan {
    fn name(&self) -> &'static str {
        "cdcgan"
    }
    fn about(&self) -> &'static str {
        "Conditional DCGAN: both networks read the label (Mirza & Osindero 2014 on DCGAN's \
         networks)"
    }
    fn conditional(&self) -> bool {
        true
    }
    fn discriminator_reads_labels(&self) -> bool {
        true
    }
    fn options(&self) -> &'static [FamilyOption] {
        &[LABEL_INPUT]
    }
}
