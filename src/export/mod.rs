pub mod grid;
pub mod plot;
