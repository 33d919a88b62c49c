//! Reusable pieces of the studio's UI.

pub mod digits;
pub mod export;
pub mod notices;

pub use digits::DigitGrid;
pub use export::{ExportDialog, ExportSettings, PlotExport};
pub use notices::Notices;
