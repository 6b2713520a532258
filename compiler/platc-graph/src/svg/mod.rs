//! A standalone SVG drawing of the platform graph, laid out by platc
//! itself, that a person can open in a browser.
//!
//! The layout is layered: an instance's column is its
//! [`PlatformGraph::layer`], so dependencies sit left of their dependents;
//! arrows spanning several columns pass through reserved slots between the
//! boxes; the order within a column comes from a barycenter heuristic over a
//! few sweeps (ties in declaration order), keeping the order with the fewest
//! crossings. Boxes never overlap. Text widths are estimated per character.
//!
//! Instances are rounded boxes (name in bold, then component and namespace),
//! coloured by namespace with a legend below; arrows are cubic Bézier curves
//! from the dependent (right) to its dependency (left) — from the instance
//! that refers to the one it refers to, as in every form of the graph —
//! labelled with what flows along them. Every number has one decimal; all text is XML-escaped;
//! styling uses presentation attributes only, so any SVG viewer shows it.

mod layout;

use std::fmt::Write;

use platc_sema::Platform;

use crate::{namespaces, PlatformGraph};
use layout::{subtitle, text_width, Rect, LABEL_H, LABEL_SIZE, MARGIN, NAME_SIZE, SUB_SIZE};

const FONT: &str = "Helvetica, Arial, sans-serif";
const TITLE_SIZE: f64 = 16.0;
const INFO_SIZE: f64 = 11.0;
const LEGEND_SIZE: f64 = 11.0;
const LEGEND_ROW: f64 = 20.0;
const SWATCH: f64 = 12.0;
const EDGE_COLOR: &str = "#6b7280";
const TEXT_COLOR: &str = "#1f2933";
const MUTED_COLOR: &str = "#52606d";

/// Fill and stroke per namespace (sorted), cycling.
const PALETTE: [(&str, &str); 8] = [
    ("#e8f1fb", "#3b73b9"),
    ("#e9f6ec", "#3c8d50"),
    ("#fdf0e1", "#c07a26"),
    ("#f3ecfa", "#7b52ab"),
    ("#fbe9ec", "#b8485c"),
    ("#e6f6f6", "#2f8a8a"),
    ("#f6f4e0", "#8f8427"),
    ("#eeeeee", "#666666"),
];

/// Renders `graph` as an SVG document.
pub fn render(graph: &PlatformGraph, platform: &Platform) -> String {
    let lay = layout::layout(graph, platform);
    let namespaces = namespaces(platform);
    let color = |ns: &str| {
        let k = namespaces.iter().position(|n| *n == ns).unwrap_or(0);
        PALETTE[k % PALETTE.len()]
    };

    let title = match &platform.environment {
        Some(env) => format!("platform {} ({env})", platform.name),
        None => format!("platform {}", platform.name),
    };
    let edge_count = graph.edges().len();
    let info = format!(
        "{} instance{} · {} dependenc{} · {} namespace{}",
        graph.len(),
        if graph.len() == 1 { "" } else { "s" },
        edge_count,
        if edge_count == 1 { "y" } else { "ies" },
        namespaces.len(),
        if namespaces.len() == 1 { "" } else { "s" },
    );

    // The legend: one swatch per namespace, wrapped to the drawing's width.
    let mut width = lay
        .width
        .max(2.0 * MARGIN + text_width(&title, TITLE_SIZE, true))
        .max(2.0 * MARGIN + text_width(&info, INFO_SIZE, false))
        .max(2.0 * MARGIN + 320.0);
    let legend_top = lay.bottom + MARGIN;
    let mut legend: Vec<(f64, f64, &str)> = Vec::new();
    let (mut lx, mut ly) = (MARGIN, legend_top);
    let legend_label = "namespaces:";
    lx += text_width(legend_label, LEGEND_SIZE, true) + 10.0;
    for ns in &namespaces {
        let w = SWATCH + 6.0 + text_width(ns, LEGEND_SIZE, false) + 16.0;
        if lx + w > width - MARGIN && lx > MARGIN + 100.0 {
            lx = MARGIN + text_width(legend_label, LEGEND_SIZE, true) + 10.0;
            ly += LEGEND_ROW;
        }
        legend.push((lx, ly, ns));
        lx += w;
        width = width.max(lx + MARGIN);
    }
    let height = ly + LEGEND_ROW + MARGIN;
    let width = width.ceil();
    let height = height.ceil();

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\">",
        w = num(width),
        h = num(height),
    );
    let _ = writeln!(out, "<title>{}</title>", esc(&title));
    let _ = writeln!(
        out,
        "<desc>The platform graph: arrows go from an instance to the instances it refers to (its dependencies); deployment order runs from left to right.</desc>"
    );
    let _ = writeln!(
        out,
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"{EDGE_COLOR}\"/></marker></defs>"
    );
    let _ = writeln!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        num(width),
        num(height)
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"bold\" fill=\"{TEXT_COLOR}\">{}</text>",
        num(MARGIN),
        num(MARGIN + TITLE_SIZE),
        num(TITLE_SIZE),
        esc(&title)
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{MUTED_COLOR}\">{}</text>",
        num(MARGIN),
        num(MARGIN + TITLE_SIZE + 6.0 + INFO_SIZE),
        num(INFO_SIZE),
        esc(&info)
    );

    out.push_str("<g class=\"edges\" fill=\"none\">\n");
    for r in &lay.routes {
        // The route is laid out from the dependency (left) to the
        // dependent; the path runs backwards, so that the arrow points at
        // the dependency.
        let last = &r.segs[r.segs.len() - 1];
        let mut d = format!("M {} {}", num(last.x1), num(last.y1));
        for s in r.segs.iter().rev() {
            if s.curve {
                let dx = (s.x1 - s.x0) / 2.0;
                let _ = write!(
                    d,
                    " C {} {} {} {} {} {}",
                    num(s.x1 - dx),
                    num(s.y1),
                    num(s.x0 + dx),
                    num(s.y0),
                    num(s.x0),
                    num(s.y0)
                );
            } else {
                let _ = write!(d, " L {} {}", num(s.x0), num(s.y0));
            }
        }
        let _ = writeln!(
            out,
            "<path d=\"{d}\" stroke=\"{EDGE_COLOR}\" stroke-width=\"1.4\" marker-end=\"url(#arrow)\"><title>{}</title></path>",
            esc(&format!(
                "{} depends on {}: {}",
                graph.name(r.target),
                graph.name(r.source),
                r.label
            ))
        );
    }
    out.push_str("</g>\n");

    // Observing (`all(...)`): a dashed line from the observer to the
    // observed instance, outside the deployment routes.
    if !graph.observes().is_empty() {
        out.push_str("<g class=\"observes\" fill=\"none\">\n");
        for e in graph.observes() {
            let (a, b) = (lay.nodes[e.from], lay.nodes[e.to]);
            let (x0, y0) = (a.x + a.w / 2.0, a.y + a.h);
            let (x1, y1) = (b.x + b.w / 2.0, b.y + b.h);
            let dip = 24.0 + (x1 - x0).abs() / 8.0;
            let _ = writeln!(
                out,
                "<path d=\"M {} {} C {} {} {} {} {} {}\" stroke=\"{MUTED_COLOR}\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\" marker-end=\"url(#arrow)\"><title>{}</title></path>",
                num(x0),
                num(y0),
                num(x0),
                num(y0 + dip),
                num(x1),
                num(y1 + dip),
                num(x1),
                num(y1),
                esc(&format!(
                    "{} observes {} ({})",
                    graph.name(e.from),
                    graph.name(e.to),
                    e.flows
                ))
            );
        }
        out.push_str("</g>\n");
    }

    out.push_str("<g class=\"labels\">\n");
    for r in &lay.routes {
        let b = r.label_box;
        let _ = writeln!(
            out,
            "<rect class=\"label\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\"/><text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"middle\" fill=\"{MUTED_COLOR}\">{}</text>",
            num(b.x),
            num(b.y),
            num(b.w),
            num(b.h),
            num(b.x + b.w / 2.0),
            num(b.y + LABEL_H / 2.0 + LABEL_SIZE * 0.35),
            num(LABEL_SIZE),
            esc(&r.label)
        );
    }
    out.push_str("</g>\n");

    out.push_str("<g class=\"nodes\">\n");
    for (i, (inst, rect)) in platform.instances.iter().zip(&lay.nodes).enumerate() {
        let (fill, stroke) = color(&inst.namespace);
        let Rect { x, y, w, h } = *rect;
        let cx = x + w / 2.0;
        let tooltip = match &inst.chart {
            Some(c) => format!(
                "{} ({}) in namespace {}: chart {} {} from {}",
                inst.name, inst.component, inst.namespace, c.name, c.version, c.repository
            ),
            None => format!(
                "{} ({}) in namespace {}",
                inst.name, inst.component, inst.namespace
            ),
        };
        let _ = writeln!(
            out,
            "<g id=\"node-{i}\"><title>{}</title><rect class=\"node\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/><text x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"{TEXT_COLOR}\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"middle\" fill=\"{MUTED_COLOR}\">{}</text></g>",
            esc(&tooltip),
            num(x),
            num(y),
            num(w),
            num(h),
            num(cx),
            num(y + 19.0),
            num(NAME_SIZE),
            esc(&inst.name),
            num(cx),
            num(y + 35.0),
            num(SUB_SIZE),
            esc(&subtitle(&inst.component, &inst.namespace)),
        );
    }
    out.push_str("</g>\n");

    out.push_str("<g class=\"legend\">\n");
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"bold\" fill=\"{MUTED_COLOR}\">{legend_label}</text>",
        num(MARGIN),
        num(legend_top + LEGEND_SIZE),
        num(LEGEND_SIZE)
    );
    for (x, y, ns) in legend {
        let (fill, stroke) = color(ns);
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{s}\" height=\"{s}\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\"/><text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{TEXT_COLOR}\">{}</text>",
            num(x),
            num(y + 1.0),
            num(x + SWATCH + 6.0),
            num(y + LEGEND_SIZE),
            num(LEGEND_SIZE),
            esc(ns),
            s = num(SWATCH),
        );
    }
    out.push_str("</g>\n");
    out.push_str("</svg>\n");
    out
}

/// A number with one decimal (never `-0.0`).
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        "0.0".to_string()
    } else {
        format!("{r:.1}")
    }
}

/// XML text or attribute content. Characters XML 1.0 forbids are dropped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{esc, num};

    #[test]
    fn numbers_have_one_decimal() {
        assert_eq!(num(1.0), "1.0");
        assert_eq!(num(-0.01), "0.0");
        assert_eq!(num(2.25), "2.3");
        assert_eq!(num(123.456), "123.5");
    }

    #[test]
    fn xml_escaping() {
        assert_eq!(esc("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(esc("a\u{1}b"), "ab");
    }
}
