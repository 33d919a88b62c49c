pub mod architecture;
pub mod compare;
pub mod curves;
pub mod grid;
pub mod plot;
