//! Sparkline and bar chart of an alert's own metric, drawn with eighth
//! blocks, that show missing points (NaN) as gaps instead of zeros.
//!
//! ratatui's `Sparkline` takes `u64` and has no notion of a gap, and an
//! alert's metric is often missing for a scrape or two; drawing that as a
//! zero would look like a drop. These widgets only draw numbers; they must
//! not know about alerts or themes (styles are passed in).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

/// Eighth blocks, index = filled eighths (0 = empty).
const BLOCKS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
/// Drawn at the bottom of a column with no data.
const GAP: &str = "·";

/// What one column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Left of the oldest point: no data was ever there.
    Pad,
    /// A missing point (NaN or infinite).
    Gap,
    /// A value, as a level in `1..=levels` (the minimum still shows a
    /// sliver, so a low value never looks like missing data).
    Level(u32),
}

/// `data` fitted to `width` cells: as is when it fits, otherwise split into
/// `width` consecutive buckets, each showing its largest finite value (NaN
/// when it has none). The chart always spans the same time window whatever
/// the terminal width, and a spike inside a bucket is never averaged away.
#[must_use]
pub fn fit(data: &[f64], width: usize) -> Vec<f64> {
    if data.len() <= width || width == 0 {
        return data.to_vec();
    }
    (0..width)
        .map(|i| {
            let from = i * data.len() / width;
            let to = ((i + 1) * data.len() / width).max(from + 1);
            data[from..to]
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .reduce(f64::max)
                .unwrap_or(f64::NAN)
        })
        .collect()
}

/// `data` fitted to `width` cells (see [`fit`]), right-aligned.
#[must_use]
pub fn scale(data: &[f64], width: usize, levels: u32, extra: Option<f64>) -> Vec<Column> {
    let fitted = fit(data, width);
    let tail = &fitted[..];
    let (lo, hi) = bounds(tail, extra);
    let mut out = vec![Column::Pad; width.saturating_sub(tail.len())];
    for &v in tail {
        out.push(if v.is_finite() { Column::Level(level(v, lo, hi, levels)) } else { Column::Gap });
    }
    out
}

/// The row (from the bottom, in `0..rows`) whose band holds `threshold`
/// in a chart of the last `width` points of `data`.
#[must_use]
pub fn threshold_row(data: &[f64], width: usize, threshold: Option<f64>, rows: u32) -> Option<u32> {
    let t = threshold.filter(|t| t.is_finite())?;
    let fitted = fit(data, width);
    let tail = &fitted[..];
    let (lo, hi) = bounds(tail, Some(t));
    let l = level(t, lo, hi, rows.saturating_mul(8));
    Some((l.saturating_sub(1) / 8).min(rows.saturating_sub(1)))
}

/// Min and max of the finite values (and `extra`, e.g. a threshold).
#[must_use]
pub fn bounds(data: &[f64], extra: Option<f64>) -> (f64, f64) {
    data.iter()
        .copied()
        .chain(extra)
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// Maps `v` into `1..=levels`; a flat series sits in the middle.
#[must_use]
pub fn level(v: f64, lo: f64, hi: f64, levels: u32) -> u32 {
    let levels = levels.max(1);
    if hi <= lo || hi.is_nan() || lo.is_nan() || !v.is_finite() {
        return levels.div_ceil(2);
    }
    let frac = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    // Truncation is intended: a level is a whole number of eighths.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let l = 1 + (frac * f64::from(levels - 1)).round() as u32;
    l.clamp(1, levels)
}

/// One row of eighth blocks, newest point at the right.
pub struct Sparkline<'a> {
    pub data: &'a [f64],
    pub style: Style,
    pub gap_style: Style,
    /// Indices into `data` the anomaly detectors flagged; their cells are
    /// drawn in `mark_style`.
    pub marks: &'a [usize],
    pub mark_style: Style,
}

/// The cell (of `width`, right-aligned as [`scale`] draws) that shows
/// `data[i]` when `len` points are fitted to `width` cells.
#[must_use]
pub fn cell_of(i: usize, len: usize, width: usize) -> Option<usize> {
    if i >= len || width == 0 {
        return None;
    }
    if len <= width {
        return Some(width - len + i);
    }
    (0..width).find(|j| {
        let from = j * len / width;
        let to = ((j + 1) * len / width).max(from + 1);
        (from..to).contains(&i)
    })
}

impl Widget for Sparkline<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let width = usize::from(area.width);
        let cols = scale(self.data, width, 8, None);
        let marked: Vec<usize> =
            self.marks.iter().filter_map(|&i| cell_of(i, self.data.len(), width)).collect();
        for (c, (x, lv)) in (area.x..area.right()).zip(cols).enumerate() {
            let (sym, mut style) = match lv {
                Column::Level(l) => (BLOCKS[l.min(8) as usize], self.style),
                Column::Pad => (" ", self.style),
                Column::Gap => (GAP, self.gap_style),
            };
            if marked.contains(&c) {
                style = self.mark_style;
            }
            buf[(x, area.y)].set_symbol(sym).set_style(style);
        }
    }
}

/// A multi-row bar chart with an optional threshold line.
pub struct BarChart<'a> {
    pub data: &'a [f64],
    pub threshold: Option<f64>,
    pub style: Style,
    pub gap_style: Style,
    pub threshold_style: Style,
}

impl Widget for BarChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let rows = u32::from(area.height);
        let levels = rows.saturating_mul(8);
        let cols = scale(self.data, usize::from(area.width), levels, self.threshold);
        let threshold_row = threshold_row(self.data, usize::from(area.width), self.threshold, rows);
        for (x, lv) in (area.x..area.right()).zip(cols) {
            for r in 0..rows {
                let Ok(dy) = u16::try_from(r) else { break };
                let y = area.bottom() - 1 - dy;
                let cell = &mut buf[(x, y)];
                match lv {
                    Column::Level(l) => {
                        let filled = l.saturating_sub(r * 8).min(8);
                        if filled > 0 {
                            cell.set_symbol(BLOCKS[filled as usize]).set_style(self.style);
                        } else if threshold_row == Some(r) {
                            cell.set_symbol("╌").set_style(self.threshold_style);
                        }
                    }
                    Column::Pad | Column::Gap => {
                        if threshold_row == Some(r) {
                            cell.set_symbol("╌").set_style(self.threshold_style);
                        } else if r == 0 && lv == Column::Gap {
                            cell.set_symbol(GAP).set_style(self.gap_style);
                        }
                    }
                }
            }
        }
    }
}

/// A compact number for axis labels: `0.82`, `12.5`, `1.2k`, `3.4M`.
#[must_use]
pub fn compact(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else if a == 0.0 {
        "0".into()
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(w: impl Widget, width: u16, height: u16) -> Vec<String> {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        w.render(area, &mut buf);
        (0..height)
            .map(|y| (0..width).map(|x| buf[(x, y)].symbol().to_string()).collect())
            .collect()
    }

    fn spark(data: &[f64], width: u16) -> String {
        draw(
            Sparkline {
                data,
                style: Style::default(),
                gap_style: Style::default(),
                marks: &[],
                mark_style: Style::default(),
            },
            width,
            1,
        )
        .remove(0)
    }

    #[test]
    fn sparkline_scales_and_shows_gaps() {
        assert_eq!(spark(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 8), "▁▂▃▄▅▆▇█");
        assert_eq!(spark(&[1.0, f64::NAN, 3.0], 3), "▁·█");
        // Right-aligned when short; bucketed (max per cell) when long.
        assert_eq!(spark(&[1.0, 2.0], 4), "  ▁█");
        assert_eq!(spark(&[9.0, 9.0, 1.0, 2.0], 2), "█▁");
        // Flat and all-NaN series do not divide by zero.
        assert_eq!(spark(&[5.0, 5.0], 2), "▄▄");
        assert_eq!(spark(&[f64::NAN, f64::INFINITY], 2), "··");
        assert_eq!(spark(&[], 3), "   ");
    }

    #[test]
    fn chart_fills_columns_and_draws_threshold() {
        let style = Style::default();
        let rows = draw(
            BarChart {
                data: &[0.0, 10.0, f64::NAN],
                threshold: Some(5.0),
                style,
                gap_style: style,
                threshold_style: style,
            },
            3,
            2,
        );
        assert_eq!(rows[0], "╌█╌");
        assert_eq!(rows[1], "▁█·");
    }

    #[test]
    fn anomaly_marks_land_on_the_cell_that_shows_the_point() {
        // Short series: right-aligned, one point per cell.
        assert_eq!(cell_of(0, 2, 4), Some(2));
        assert_eq!(cell_of(1, 2, 4), Some(3));
        // Long series: the bucket holding the point.
        assert_eq!(cell_of(10, 60, 6), Some(1));
        assert_eq!(cell_of(59, 60, 6), Some(5));
        assert_eq!(cell_of(60, 60, 6), None);
        let red = Style::default().fg(ratatui::style::Color::Red);
        let area = Rect::new(0, 0, 6, 1);
        let mut buf = Buffer::empty(area);
        let data = vec![1.0; 60];
        Sparkline {
            data: &data,
            style: Style::default(),
            gap_style: Style::default(),
            marks: &[10],
            mark_style: red,
        }
        .render(area, &mut buf);
        let marked: Vec<u16> =
            (0..6).filter(|&x| buf[(x, 0)].fg == ratatui::style::Color::Red).collect();
        assert_eq!(marked, vec![1]);
    }

    #[test]
    fn long_series_are_bucketed_not_truncated() {
        // A step late in a long series stays visible in a narrow sparkline,
        // and a lone spike in the quiet part survives bucketing.
        let mut data = vec![1.0; 60];
        data[10] = 9.0;
        for v in data.iter_mut().skip(48) {
            *v = 10.0;
        }
        let f = fit(&data, 6);
        assert_eq!(f.len(), 6);
        assert_eq!(f[1], 9.0, "spike kept: {f:?}");
        assert_eq!(f[5], 10.0);
        assert_eq!(f[3], 1.0);
        assert_eq!(fit(&[1.0, 2.0], 6), vec![1.0, 2.0]);
        assert!(fit(&[f64::NAN; 12], 3).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn widgets_survive_degenerate_areas() {
        let data = [1.0, 2.0];
        let style = Style::default();
        draw(
            Sparkline { data: &data, style, gap_style: style, marks: &[], mark_style: style },
            0,
            0,
        );
        draw(
            BarChart {
                data: &data,
                threshold: None,
                style,
                gap_style: style,
                threshold_style: style,
            },
            1,
            1,
        );
        draw(
            BarChart {
                data: &data,
                threshold: Some(f64::NAN),
                style,
                gap_style: style,
                threshold_style: style,
            },
            5,
            40,
        );
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(0.8234), "0.823");
        assert_eq!(compact(12.49), "12.5");
        assert_eq!(compact(12_345.0), "12.3k");
        assert_eq!(compact(f64::NAN), "-");
    }
}
