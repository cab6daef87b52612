//! Small widgets quell draws itself because ratatui's do not fit: charts
//! with gaps for missing data. Widgets take plain numbers and styles; they
//! must not know about the app state or themes.

pub mod spark;

pub use spark::{BarChart, Sparkline};
