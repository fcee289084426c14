//! Builds the app's elements inside `main#rl-app` (controls bar, chart, runs table), fills
//! `#rl-warnings`, and marks the page ready.

use runlens_core::bundle::RunTable;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement, HtmlOptionElement, HtmlSelectElement};

use crate::state::{ChartControls, HparamsUi, Ui};
use crate::{Error, dom, format};
use runlens_core::group::GroupKey;

/// Fills `mount` with the controls, chart and table; `metric` is the metric selected first.
pub fn build(
    document: &Document,
    mount: &Element,
    table: &RunTable,
    group_options: &[GroupKey],
    metric: Option<usize>,
) -> Result<Ui, Error> {
    dom::clear(mount);
    // Everything of the runs explorer, hidden as one while a narrative page is shown.
    let explorer = dom::element(document, "div", "rl-explorer")?;
    explorer.set_id("rl-explorer");

    let controls = dom::element(document, "div", "rl-controls")?;
    controls.set_attribute("role", "search")?;

    let (filter_field, filter) = field(document, "Filter", "rl-filter", "input")?;
    let filter: HtmlInputElement = filter
        .dyn_into()
        .map_err(|_| Error::new("filter input has an unexpected type"))?;
    filter.set_type("search");
    filter.set_placeholder("e.g. lr < 1e-3 and status == finished");
    filter.set_attribute("autocomplete", "off")?;
    filter.set_attribute("spellcheck", "false")?;
    filter.set_attribute("aria-describedby", "rl-filter-error")?;
    filter_field.set_class_name("rl-field rl-field-filter");
    controls.append_child(&filter_field)?;

    let (search_field, search) = field(document, "Search", "rl-search", "input")?;
    let search: HtmlInputElement = search
        .dyn_into()
        .map_err(|_| Error::new("search input has an unexpected type"))?;
    search.set_type("search");
    search.set_placeholder("names, ids, tags");
    search.set_attribute("autocomplete", "off")?;
    search.set_attribute("spellcheck", "false")?;
    controls.append_child(&search_field)?;

    let (group_field, group) = field(document, "Group by", "rl-group", "select")?;
    let group: HtmlSelectElement = group
        .dyn_into()
        .map_err(|_| Error::new("group select has an unexpected type"))?;
    add_option(document, &group, "", "no grouping")?;
    for key in group_options {
        add_option(document, &group, &key.spec(), &key.label())?;
    }
    group.set_disabled(group_options.is_empty());
    controls.append_child(&group_field)?;

    // Shown once the runs are grouped: a second key, and folding small groups.
    let (group2_field, group2) = field(document, "Then by", "rl-group2", "select")?;
    let group2: HtmlSelectElement = group2
        .dyn_into()
        .map_err(|_| Error::new("group select has an unexpected type"))?;
    add_option(document, &group2, "", "—")?;
    for key in group_options {
        add_option(document, &group2, &key.spec(), &key.label())?;
    }
    dom::set_hidden(&group2_field, true);
    controls.append_child(&group2_field)?;
    let (fold_field, fold) = checkbox(document, "rl-fold", "Fold small groups")?;
    fold_field.set_attribute(
        "title",
        "Keep the nine largest groups and put the others together",
    )?;
    dom::set_hidden(&fold_field, true);
    controls.append_child(&fold_field)?;

    let (metric_field, metric_select) = field(document, "Metric", "rl-metric", "select")?;
    let metric_select: HtmlSelectElement = metric_select
        .dyn_into()
        .map_err(|_| Error::new("metric select has an unexpected type"))?;
    for column in &table.metrics {
        add_option(document, &metric_select, &column.key, &column.key)?;
    }
    match metric {
        Some(index) => metric_select.set_selected_index(index as i32),
        None => {
            add_option(document, &metric_select, "", "no metrics")?;
            metric_select.set_disabled(true);
        }
    }
    controls.append_child(&metric_field)?;

    let (charts_field, charts_input) = field(document, "More charts", "rl-charts", "input")?;
    let charts_input: HtmlInputElement = charts_input
        .dyn_into()
        .map_err(|_| Error::new("charts input has an unexpected type"))?;
    charts_input.set_type("search");
    charts_input.set_placeholder("metric keys, e.g. ^val/ or acc|loss");
    charts_input.set_attribute("autocomplete", "off")?;
    charts_input.set_attribute("spellcheck", "false")?;
    charts_input.set_attribute("aria-describedby", "rl-charts-error")?;
    charts_input.set_disabled(metric.is_none());
    controls.append_child(&charts_field)?;

    let (smoothing_field, smoothing) = field(document, "Smoothing", "rl-smoothing", "select")?;
    let smoothing: HtmlSelectElement = smoothing
        .dyn_into()
        .map_err(|_| Error::new("smoothing select has an unexpected type"))?;
    for (value, label) in crate::chart::Smoothing::choices() {
        add_option(document, &smoothing, &value, &label)?;
    }
    smoothing.set_disabled(metric.is_none());
    controls.append_child(&smoothing_field)?;

    let (diff_label, diff_only) = checkbox(document, "rl-diff-only", "Differences only")?;
    diff_label.set_attribute(
        "title",
        "Hide the columns whose value is the same for every visible run",
    )?;
    controls.append_child(&diff_label)?;

    let count = dom::element(document, "output", "rl-count")?;
    count.set_id("rl-count");
    count.set_attribute("aria-live", "polite")?;
    controls.append_child(&count)?;

    let charts_error = dom::element(document, "p", "rl-filter-error")?;
    charts_error.set_id("rl-charts-error");
    charts_error.set_attribute("role", "status")?;
    dom::set_hidden(&charts_error, true);

    let filter_error = dom::element(document, "p", "rl-filter-error")?;
    filter_error.set_id("rl-filter-error");
    filter_error.set_attribute("role", "status")?;
    dom::set_hidden(&filter_error, true);
    controls.append_child(&filter_error)?;
    controls.append_child(&charts_error)?;
    explorer.append_child(&controls)?;

    let run_panel = dom::element(document, "section", "rl-panel rl-run-panel")?;
    run_panel.set_id("rl-run");
    run_panel.set_attribute("aria-labelledby", "rl-run-title")?;
    run_panel.set_attribute("tabindex", "-1")?;
    dom::set_hidden(&run_panel, true);
    explorer.append_child(&run_panel)?;

    let compare_panel = dom::element(document, "section", "rl-panel rl-compare-panel")?;
    compare_panel.set_id("rl-compare");
    compare_panel.set_attribute("aria-labelledby", "rl-compare-title")?;
    dom::set_hidden(&compare_panel, true);
    explorer.append_child(&compare_panel)?;

    let chart_panel = dom::element(document, "section", "rl-panel rl-chart-panel")?;
    chart_panel.set_attribute("aria-label", "Metric chart")?;
    let chart_tools = dom::element(document, "div", "rl-tools rl-chart-tools")?;
    let (chart_controls, fields) = chart_controls(document, table, metric.is_some())?;
    for field in fields {
        chart_tools.append_child(&field)?;
    }
    for (id, text, title) in [
        ("rl-chart-png", "PNG", "Download the chart as a PNG image"),
        ("rl-chart-svg", "SVG", "Download the chart as an SVG image"),
    ] {
        let button = tool_button(document, id, text)?;
        button.set_attribute("title", title)?;
        chart_tools.append_child(&button)?;
    }
    chart_panel.append_child(&chart_tools)?;
    let chart = dom::element(document, "div", "rl-chart")?;
    chart.set_id("rl-chart");
    chart_panel.append_child(&chart)?;
    let chart_note = dom::element(document, "p", "rl-note")?;
    chart_note.set_id("rl-chart-note");
    dom::set_hidden(&chart_note, true);
    chart_panel.append_child(&chart_note)?;
    let chart_grid = dom::element(document, "div", "rl-chart-grid")?;
    chart_grid.set_id("rl-chart-grid");
    dom::set_hidden(&chart_grid, true);
    chart_panel.append_child(&chart_grid)?;
    explorer.append_child(&chart_panel)?;
    let hparams = hparams_panel(document, table)?;
    explorer.append_child(&hparams.panel)?;

    let table_panel = dom::element(document, "section", "rl-panel rl-table-panel")?;
    table_panel.set_attribute("aria-label", "Runs")?;
    let table_tools = dom::element(document, "div", "rl-tools")?;
    let selection_bar = dom::element(document, "div", "rl-selection")?;
    selection_bar.set_id("rl-selection");
    let selected_count = dom::element(document, "output", "rl-selected-count")?;
    selected_count.set_id("rl-selected-count");
    selected_count.set_attribute("aria-live", "polite")?;
    selection_bar.append_child(&selected_count)?;
    for (id, text) in [
        ("rl-compare-open", "Compare"),
        ("rl-select-clear", "Clear ticks"),
    ] {
        let button = tool_button(document, id, text)?;
        selection_bar.append_child(&button)?;
    }
    dom::set_hidden(&selection_bar, true);
    table_tools.append_child(&selection_bar)?;
    let columns_open = tool_button(document, "rl-columns-open", "Columns")?;
    columns_open.set_attribute("aria-expanded", "false")?;
    columns_open.set_attribute("aria-controls", "rl-columns")?;
    columns_open.set_attribute("title", "Choose, order and pin the table's columns")?;
    table_tools.append_child(&columns_open)?;
    let csv = tool_button(document, "rl-export-csv", "Download CSV")?;
    csv.set_attribute(
        "title",
        "Download the table as it is shown (visible runs, shown columns)",
    )?;
    table_tools.append_child(&csv)?;
    table_panel.append_child(&table_tools)?;
    let columns_menu = dom::element(document, "div", "rl-popover")?;
    columns_menu.set_id("rl-columns");
    columns_menu.set_attribute("role", "group")?;
    columns_menu.set_attribute("aria-label", "Table columns")?;
    dom::set_hidden(&columns_menu, true);
    let menu_head = dom::element(document, "div", "rl-popover-head")?;
    let columns_find: HtmlInputElement = document
        .create_element("input")?
        .dyn_into()
        .map_err(|_| Error::new("find input has an unexpected type"))?;
    columns_find.set_type("search");
    columns_find.set_id("rl-columns-find");
    columns_find.set_placeholder("Find a column");
    columns_find.set_attribute("aria-label", "Find a column")?;
    columns_find.set_attribute("autocomplete", "off")?;
    menu_head.append_child(&columns_find)?;
    menu_head.append_child(&tool_button(document, "rl-columns-reset", "Reset")?.into())?;
    menu_head.append_child(&tool_button(document, "rl-columns-close", "Done")?.into())?;
    columns_menu.append_child(&menu_head)?;
    columns_menu.append_child(&crate::column_menu::step_row(document, table)?.into())?;
    let columns_list = dom::element(document, "ul", "rl-columns-list")?;
    columns_list.set_id("rl-columns-list");
    columns_menu.append_child(&columns_list)?;
    table_panel.append_child(&columns_menu)?;
    let wrap = dom::element(document, "div", "rl-table-wrap")?;
    // Focusable, so the keyboard scrolls the table.
    wrap.set_attribute("tabindex", "0")?;
    wrap.set_attribute("aria-label", "Runs table")?;
    let runs = dom::element(document, "table", "rl-table rl-runs")?;
    runs.set_id("rl-runs");
    let head = document.create_element("thead")?;
    let head_row = document.create_element("tr")?;
    head.append_child(&head_row)?;
    runs.append_child(&head)?;
    let body = document.create_element("tbody")?;
    runs.append_child(&body)?;
    wrap.append_child(&runs)?;
    table_panel.append_child(&wrap)?;
    let table_note = dom::element(document, "p", "rl-note")?;
    table_note.set_id("rl-table-note");
    dom::set_hidden(&table_note, true);
    table_panel.append_child(&table_note)?;
    explorer.append_child(&table_panel)?;

    mount.append_child(&explorer)?;
    // Pinned columns' offsets (numbers only), rewritten after each render.
    let pin_style = document.create_element("style")?;
    pin_style.set_id("rl-pin-style");
    document
        .head()
        .ok_or_else(|| Error::new("the page has no head"))?
        .append_child(&pin_style)?;

    Ok(Ui {
        explorer,
        run_panel,
        runs_table: runs,
        filter,
        search,
        filter_error,
        group,
        metric: metric_select,
        smoothing,
        chart_controls,
        group2,
        fold,
        group_extras: vec![group2_field, fold_field],
        count,
        diff_only,
        selection_bar,
        selected_count,
        compare_panel,
        table_wrap: wrap,
        columns_open,
        columns_menu,
        columns_find,
        columns_list,
        pin_style,
        head_row,
        body,
        table_note,
        chart,
        chart_note,
        charts_input,
        charts_error,
        chart_grid,
        hparams,
    })
}

/// The chart's own controls: x axis, log x, log y, outliers, and (shown with groups
/// only) the centre line, the band and the runs toggle; returned with the elements to place, in order.
fn chart_controls(
    document: &Document,
    table: &RunTable,
    enabled: bool,
) -> Result<(ChartControls, Vec<Element>), Error> {
    let mut fields = Vec::new();
    let (x_field, x_axis) = inline_select(document, "x", "rl-x")?;
    for x in crate::chart::XAxis::ALL {
        add_option(document, &x_axis, x.name(), &x.label(table))?;
    }
    for index in 0..table.metrics.len() {
        let x = crate::chart::XAxis::Metric(index);
        let text = format!("metric: {}", x.label(table));
        add_option(document, &x_axis, &x.value(table), &text)?;
    }
    x_axis.set_disabled(!enabled);
    fields.push(x_field);
    let mut check = |id: &str, text: &str, title: &str| -> Result<HtmlInputElement, Error> {
        let (label, input) = checkbox(document, id, text)?;
        label.set_attribute("title", title)?;
        input.set_disabled(!enabled);
        fields.push(label);
        Ok(input)
    };
    let log_x = check("rl-log-x", "log x", "Logarithmic x axis")?;
    let log_y = check("rl-log-y", "log y", "Logarithmic y axis")?;
    let outliers = check(
        "rl-outliers",
        "ignore outliers",
        "Fit the y axis to the 1st to 99th percentile of the values drawn",
    )?;
    let (centre_field, centre) = inline_select(document, "line", "rl-centre")?;
    for choice in crate::chart::Centre::ALL {
        add_option(document, &centre, choice.name(), choice.name())?;
    }
    centre_field.set_attribute(
        "title",
        "Each group's line: the mean or the median of its runs",
    )?;
    let (band_field, band) = inline_select(document, "band", "rl-band")?;
    for kind in crate::chart::BandKind::ALL {
        add_option(document, &band, kind.name(), kind.label())?;
    }
    let (runs_field, show_runs) = checkbox(document, "rl-show-runs", "runs")?;
    runs_field.set_attribute("title", "Also draw each run of the groups, faintly")?;
    for field in [&centre_field, &band_field, &runs_field] {
        dom::set_hidden(field, true);
    }
    fields.push(centre_field.clone());
    fields.push(band_field.clone());
    fields.push(runs_field.clone());
    Ok((
        ChartControls {
            x_axis,
            log_x,
            log_y,
            outliers,
            centre,
            band,
            show_runs,
            group_fields: vec![centre_field, band_field, runs_field],
        },
        fields,
    ))
}

/// The hyperparameter panel, closed: a `details` whose summary opens it, the scatter's
/// column selects (every numeric column) and log boxes, the scatter, the bars and the
/// correlation table.
fn hparams_panel(document: &Document, table: &RunTable) -> Result<HparamsUi, Error> {
    let panel: web_sys::HtmlDetailsElement =
        dom::element(document, "details", "rl-panel rl-hparams-panel")?
            .dyn_into()
            .map_err(|_| Error::new("details has an unexpected type"))?;
    panel.set_id("rl-hparams");
    dom::append_text(
        document,
        &panel,
        "summary",
        "rl-hparams-summary",
        "Hyperparameters: scatter, groups and correlation",
    )?;
    let tools = dom::element(document, "div", "rl-tools rl-chart-tools")?;
    let columns = crate::view::hparams::numeric_columns(&crate::view::all_columns(table));
    let select = |caption: &str, id: &str| -> Result<HtmlSelectElement, Error> {
        let (field, select) = inline_select(document, caption, id)?;
        for column in &columns {
            add_column_option(document, &select, column)?;
        }
        select.set_disabled(columns.is_empty());
        tools.append_child(&field)?;
        Ok(select)
    };
    let x = select("x", "rl-hp-x")?;
    let y = select("y", "rl-hp-y")?;
    let (log_x_field, log_x) = checkbox(document, "rl-hp-log-x", "log x")?;
    let (log_y_field, log_y) = checkbox(document, "rl-hp-log-y", "log y")?;
    tools.append_child(&log_x_field)?;
    tools.append_child(&log_y_field)?;
    panel.append_child(&tools)?;
    let figures = dom::element(document, "div", "rl-chart-grid")?;
    let scatter = dom::element(document, "div", "rl-chart rl-chart-small")?;
    scatter.set_id("rl-hp-scatter");
    let bars = dom::element(document, "div", "rl-chart rl-chart-small")?;
    bars.set_id("rl-hp-bars");
    dom::set_hidden(&bars, true);
    figures.append_child(&scatter)?;
    figures.append_child(&bars)?;
    panel.append_child(&figures)?;
    let pc_head = dom::element(document, "div", "rl-tools rl-chart-tools")?;
    dom::append_text(
        document,
        &pc_head,
        "span",
        "rl-inline-caption",
        "Parallel coordinates: drag along an axis to keep only the runs in that range (a click clears it); the table, charts and counts follow.",
    )?;
    let clear_brushes = tool_button(document, "rl-hp-clear-brushes", "Clear brushes")?;
    dom::set_hidden(&clear_brushes, true);
    pc_head.append_child(&clear_brushes)?;
    panel.append_child(&pc_head)?;
    let parcoords = dom::element(document, "div", "rl-parcoords-wrap")?;
    parcoords.set_id("rl-hp-parcoords");
    panel.append_child(&parcoords)?;
    let correlations = dom::element(document, "table", "rl-table rl-hp-corr")?;
    correlations.set_id("rl-hp-corr");
    panel.append_child(&correlations)?;
    Ok(HparamsUi {
        panel,
        x,
        y,
        log_x,
        log_y,
        scatter,
        bars,
        correlations,
        parcoords,
        clear_brushes,
    })
}

/// A `label.rl-check` holding a checkbox `#id` and `text`.
fn checkbox(
    document: &Document,
    id: &str,
    text: &str,
) -> Result<(Element, HtmlInputElement), Error> {
    let label = dom::element(document, "label", "rl-check")?;
    let input: HtmlInputElement = document
        .create_element("input")?
        .dyn_into()
        .map_err(|_| Error::new("checkbox has an unexpected type"))?;
    input.set_type("checkbox");
    input.set_id(id);
    label.append_child(&input)?;
    label.append_child(&document.create_text_node(&format!(" {text}")))?;
    Ok((label, input))
}

/// A `label.rl-inline` holding `caption` and a `select#id`.
fn inline_select(
    document: &Document,
    caption: &str,
    id: &str,
) -> Result<(Element, HtmlSelectElement), Error> {
    let label = dom::element(document, "label", "rl-inline")?;
    dom::append_text(document, &label, "span", "rl-inline-caption", caption)?;
    let select: HtmlSelectElement = document
        .create_element("select")?
        .dyn_into()
        .map_err(|_| Error::new("select has an unexpected type"))?;
    select.set_id(id);
    label.append_child(&select)?;
    Ok((label, select))
}

/// A `button.rl-tool#id` showing `text`.
fn tool_button(document: &Document, id: &str, text: &str) -> Result<Element, Error> {
    let button = dom::text_element(document, "button", "rl-tool", text)?;
    button.set_attribute("type", "button")?;
    button.set_id(id);
    Ok(button)
}

/// A `label.rl-field` holding a caption and a new `<tag id=id>` control.
fn field(
    document: &Document,
    caption: &str,
    id: &str,
    tag: &str,
) -> Result<(Element, Element), Error> {
    let label = dom::element(document, "label", "rl-field")?;
    dom::append_text(document, &label, "span", "rl-field-caption", caption)?;
    let control = document.create_element(tag)?;
    control.set_id(id);
    label.append_child(&control)?;
    Ok((label, control))
}

/// Adds `column` to a menu of columns (its label, and its detail in brackets).
pub(crate) fn add_column_option(
    document: &Document,
    select: &HtmlSelectElement,
    column: &crate::view::Column,
) -> Result<(), Error> {
    let text = match &column.detail {
        Some(detail) => format!("{} ({detail})", column.label),
        None => column.label.clone(),
    };
    add_option(document, select, &column.id, &text)
}

fn add_option(
    document: &Document,
    select: &HtmlSelectElement,
    value: &str,
    text: &str,
) -> Result<(), Error> {
    let option: HtmlOptionElement = document
        .create_element("option")?
        .dyn_into()
        .map_err(|_| Error::new("option has an unexpected type"))?;
    option.set_value(value);
    option.set_text_content(Some(text));
    select.append_child(&option)?;
    Ok(())
}

/// Lists the table's warnings in `#rl-warnings` and shows it (when there are any).
pub fn warnings(document: &Document, table: &RunTable) -> Result<(), Error> {
    if table.warnings.is_empty() {
        return Ok(());
    }
    let Some(section) = document.get_element_by_id("rl-warnings") else {
        return Ok(());
    };
    dom::clear(&section);
    let n = table.warnings.len();
    let heading = if n == 1 {
        "1 input was skipped or partly read".to_string()
    } else {
        format!("{} inputs were skipped or partly read", format::count(n))
    };
    dom::append_text(document, &section, "p", "rl-warnings-title", &heading)?;
    let list = document.create_element("ul")?;
    for warning in &table.warnings {
        dom::append_text(document, &list, "li", "", &warning.to_string())?;
    }
    section.append_child(&list)?;
    dom::set_hidden(&section, false);
    Ok(())
}

/// Hides the pre-rendered table (`#rl-static`): the app now shows every run.
pub fn hide_fallback(document: &Document) {
    if let Some(fallback) = document.get_element_by_id("rl-static") {
        dom::set_hidden(&fallback, true);
    }
}

/// Takes the pre-rendered table (`#rl-static`) out of the page once the app has started:
/// hidden, it still held tens of thousands of nodes (a thousand runs' rows) that the
/// browser kept matching style changes against.
pub fn drop_fallback(document: &Document) {
    if let Some(fallback) = document.get_element_by_id("rl-static") {
        fallback.remove();
    }
}

/// The app could not start: the fallback table shows again, every row of it (while the
/// app starts, the stylesheet shows only its first rows unless `data-rl-failed` is set).
pub fn start_failed(document: &Document) {
    if let Some(root) = document.document_element() {
        let _ = root.set_attribute("data-rl-failed", "1");
    }
    if let Some(fallback) = document.get_element_by_id("rl-static") {
        dom::set_hidden(&fallback, false);
    }
}

/// Keeps what focus, a link or a script scrolls to (a run's page, a focused row) clear of
/// the controls bar while it is sticky (wide windows): the page's scroll padding is the
/// bar's height then, none otherwise. Called at start-up and when the window is resized.
pub fn fit_scroll_padding(document: &Document) {
    let Some(controls) = document.query_selector(".rl-controls").ok().flatten() else {
        return;
    };
    let sticky = web_sys::window()
        .and_then(|w| w.get_computed_style(&controls).ok().flatten())
        .and_then(|style| style.get_property_value("position").ok())
        .is_some_and(|position| position == "sticky");
    let padding = if sticky {
        controls.get_bounding_client_rect().height() + 8.0
    } else {
        0.0
    };
    if let Some(root) = document
        .document_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = root
            .style()
            .set_property("scroll-padding-top", &format!("{padding:.0}px"));
    }
}

/// Sets `data-rl-ready="1"` on the root element.
pub fn mark_ready(document: &Document) -> Result<(), Error> {
    if let Some(root) = document.document_element() {
        root.set_attribute("data-rl-ready", "1")?;
    }
    Ok(())
}
