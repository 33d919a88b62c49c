pub mod architecture;
pub mod grid;
pub mod plot;
