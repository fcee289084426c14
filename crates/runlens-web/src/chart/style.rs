//! A chart's look in the page's theme: colours of text, axes, grid and tool bar, the
//! layout of a metric chart, and the `Plotly.relayout` update that recolours a drawn
//! chart when the system's theme changes.

use plotly::Layout;
use plotly::common::{Anchor, Font, Label, Orientation};
use plotly::layout::{Axis, HoverMode, Legend, Margin};

use super::Theme;
use crate::format;

/// A chart's colours in a theme: text, axes and grid lines, tool bar icons.
pub(crate) struct Colours {
    /// Text and axis titles.
    pub text: &'static str,
    /// Axis lines, zero lines and grid lines.
    pub grid: &'static str,
    /// Tool bar icons.
    pub icons: &'static str,
    /// The tool bar's active icon.
    pub active: &'static str,
}

/// The colours of `theme`.
pub(crate) fn colours(theme: Theme) -> Colours {
    if theme.dark {
        Colours {
            text: "#d4d4d8",
            grid: "#3f3f46",
            icons: "#a1a1aa",
            active: "#6ea2f5",
        }
    } else {
        Colours {
            text: "#27272a",
            grid: "#e4e4e7",
            icons: "#71717a",
            active: "#2f6fd0",
        }
    }
}

/// The `Plotly.relayout` update giving a chart drawn in another theme the colours of
/// `theme` (text, axes, grid, tool bar): for the charts a theme switch does not draw
/// again (a run's page, narrative pages).
pub(crate) fn theme_relayout(theme: Theme) -> serde_json::Value {
    let c = colours(theme);
    let mut update = serde_json::json!({
        "font.color": c.text,
        "modebar.color": c.icons,
        "modebar.activecolor": c.active,
    });
    for axis in ["xaxis", "yaxis"] {
        for key in ["gridcolor", "zerolinecolor", "linecolor"] {
            update[format!("{axis}.{key}")] = c.grid.into();
        }
    }
    update
}

/// An axis in the page's colours.
pub(crate) fn axis_style(title: String, theme: Theme) -> Axis {
    let grid = colours(theme).grid;
    Axis::new()
        .title(title)
        .grid_color(grid)
        .zero_line_color(grid)
        .line_color(grid)
        .auto_margin(true)
}

/// The layout of a metric chart (x axis titled `x_title`), in the page's colours.
pub(crate) fn layout_for(
    metric_key: &str,
    x_title: &str,
    show_legend: bool,
    theme: Theme,
) -> Layout {
    let text = colours(theme).text;
    let legend = Legend::new().font(Font::new().size(11));
    let legend = if theme.narrow {
        legend
            .orientation(Orientation::Horizontal)
            .x(0.0)
            .y(-0.25)
            .y_anchor(Anchor::Top)
    } else {
        legend
    };
    Layout::new()
        .x_axis(axis_style(x_title.to_string(), theme))
        .y_axis(axis_style(
            format::plotly_text(&format::truncate(metric_key, 80)),
            theme,
        ))
        .show_legend(show_legend)
        .legend(legend)
        .hover_mode(HoverMode::Closest)
        .hover_label(Label::new().name_length(-1))
        .margin(Margin::new().left(60).right(20).top(36).bottom(50))
        .paper_background_color("rgba(0,0,0,0)")
        .plot_background_color("rgba(0,0,0,0)")
        .font(Font::new().color(text).size(12))
        .mode_bar(mode_bar(theme))
        .height(420)
}

/// The chart's tool bar in the page's colours. Plotly's default background is half the
/// paper's colour, and a transparent paper is black at zero opacity: a dark grey bar
/// (shown all the time where the device cannot hover, as on phones).
pub(crate) fn mode_bar(theme: Theme) -> plotly::layout::ModeBar {
    let c = colours(theme);
    plotly::layout::ModeBar::new()
        .background_color("rgba(0,0,0,0)")
        .color(c.icons)
        .active_color(c.active)
}

/// The layout of a chart over steps (the histogram and narrative charts use it).
pub(crate) fn layout(metric_key: &str, show_legend: bool, theme: Theme) -> Layout {
    layout_for(metric_key, "step", show_legend, theme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theme_relayout_gives_a_chart_the_colours_a_layout_of_that_theme_has() {
        for dark in [false, true] {
            let theme = Theme {
                dark,
                narrow: false,
            };
            let layout = serde_json::to_value(layout_for("loss", "step", true, theme)).unwrap();
            let update = theme_relayout(theme);
            let at = |path: &str| {
                path.split('.')
                    .fold(&layout, |value, key| &value[key])
                    .clone()
            };
            for (key, value) in update.as_object().unwrap() {
                assert_eq!(at(key), *value, "{key} in the {dark} theme");
            }
            assert_eq!(update.as_object().unwrap().len(), 9);
        }
        assert_ne!(
            theme_relayout(Theme {
                dark: true,
                narrow: false
            }),
            theme_relayout(Theme {
                dark: false,
                narrow: false
            })
        );
    }
}
