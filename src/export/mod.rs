pub mod architecture;
pub mod compare;
pub mod grid;
pub mod plot;
