//! Small structural checkers for the renderings, so the tests need no
//! Graphviz, browser or XML library.

#![allow(dead_code)]

/// One start tag of an XML document.
#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// The text directly inside, for elements without child elements.
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn num(&self, name: &str) -> f64 {
        self.attr(name)
            .unwrap_or_else(|| panic!("<{}> has no {name}", self.name))
            .parse()
            .unwrap_or_else(|_| panic!("<{}> {name} is not a number", self.name))
    }
}

fn check_entities(s: &str) -> Result<(), String> {
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        let after = &rest[at + 1..];
        let end = after
            .find(';')
            .ok_or_else(|| format!("bare `&` in {s:?}"))?;
        let name = &after[..end];
        let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            || (name.starts_with("#x") && u32::from_str_radix(&name[2..], 16).is_ok())
            || (name.starts_with('#') && name[1..].parse::<u32>().is_ok());
        if !ok {
            return Err(format!("unknown entity `&{name};`"));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
}

/// Checks that `doc` is well-formed XML (one root, balanced tags, quoted
/// attributes, known entities) and returns its elements in document order.
pub fn xml(doc: &str) -> Result<Vec<Element>, String> {
    let mut rest = doc;
    if let Some(r) = rest.strip_prefix("<?xml") {
        let end = r.find("?>").ok_or("unterminated XML declaration")?;
        rest = &r[end + 2..];
    }
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut elements: Vec<Element> = Vec::new();
    let mut roots = 0;
    loop {
        let lt = rest.find('<');
        let text = &rest[..lt.unwrap_or(rest.len())];
        check_entities(text)?;
        if text.contains('>') {
            return Err(format!("`>` in text {text:?}"));
        }
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        if let Some((_, idx)) = stack.last() {
            elements[*idx].text.push_str(text);
        }
        let Some(lt) = lt else { break };
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").ok_or("unterminated comment")?;
            rest = &r[end + 3..];
            continue;
        }
        let gt = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let (open, _) = stack.pop().ok_or_else(|| format!("stray </{name}>"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
            continue;
        }
        let (tag, empty) = match tag.strip_suffix('/') {
            Some(t) => (t, true),
            None => (tag, false),
        };
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if !is_name(name) {
            return Err(format!("bad element name {name:?}"));
        }
        let mut attrs = Vec::new();
        let mut a = tag[name_end..].trim_start();
        while !a.is_empty() {
            let eq = a
                .find('=')
                .ok_or_else(|| format!("attribute without value in <{name}>"))?;
            let key = a[..eq].trim();
            if !is_name(key) {
                return Err(format!("bad attribute name {key:?} in <{name}>"));
            }
            let v = a[eq + 1..]
                .strip_prefix('"')
                .ok_or_else(|| format!("unquoted attribute {key} in <{name}>"))?;
            let close = v.find('"').ok_or("unterminated attribute")?;
            let value = &v[..close];
            if value.contains('<') {
                return Err(format!("`<` in attribute {key}"));
            }
            check_entities(value)?;
            if attrs.iter().any(|(k, _)| k == key) {
                return Err(format!("attribute {key} twice in <{name}>"));
            }
            attrs.push((key.to_string(), value.to_string()));
            a = v[close + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        elements.push(Element {
            name: name.to_string(),
            attrs,
            text: String::new(),
        });
        if !empty {
            stack.push((name.to_string(), elements.len() - 1));
        }
    }
    if let Some((open, _)) = stack.last() {
        return Err(format!("<{open}> never closed"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(elements)
}

#[derive(Debug, Clone, Copy)]
pub struct Box2 {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Box2 {
    pub fn of(e: &Element) -> Box2 {
        Box2 {
            x: e.num("x"),
            y: e.num("y"),
            w: e.num("width"),
            h: e.num("height"),
        }
    }

    pub fn overlaps(&self, o: &Box2) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// The `<rect class="CLASS">` boxes of an SVG document, in order.
pub fn boxes(elements: &[Element], class: &str) -> Vec<Box2> {
    elements
        .iter()
        .filter(|e| e.name == "rect" && e.attr("class") == Some(class))
        .map(Box2::of)
        .collect()
}

/// Panics when two boxes overlap or a box leaves the drawing.
pub fn assert_no_overlap(elements: &[Element]) {
    let svg = &elements[0];
    let (width, height) = (svg.num("width"), svg.num("height"));
    let nodes = boxes(elements, "node");
    let labels = boxes(elements, "label");
    for (k, a) in nodes.iter().chain(&labels).enumerate() {
        assert!(
            a.x >= 0.0 && a.y >= 0.0 && a.x + a.w <= width && a.y + a.h <= height,
            "box {k} {a:?} leaves the {width}x{height} drawing"
        );
    }
    for (i, a) in nodes.iter().enumerate() {
        for (j, b) in nodes.iter().enumerate().skip(i + 1) {
            assert!(!a.overlaps(b), "node boxes {i} {a:?} and {j} {b:?} overlap");
        }
        for (j, b) in labels.iter().enumerate() {
            assert!(
                !a.overlaps(b),
                "node box {i} {a:?} and label {j} {b:?} overlap"
            );
        }
    }
    for (i, a) in labels.iter().enumerate() {
        for (j, b) in labels.iter().enumerate().skip(i + 1) {
            assert!(!a.overlaps(b), "labels {i} {a:?} and {j} {b:?} overlap");
        }
    }
}

/// Checks DOT text for what a parser would reject: unterminated strings,
/// unbalanced braces and brackets, escapes other than `\"`, `\\` and `\n`.
pub fn dot(text: &str) -> Result<(), String> {
    let mut depth: Vec<char> = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => loop {
                match chars.next() {
                    None => return Err("unterminated string".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('"' | '\\' | 'n') => {}
                        other => return Err(format!("unexpected escape {other:?}")),
                    },
                    Some('\n') => return Err("line break inside a string".into()),
                    Some(_) => {}
                }
            },
            '{' | '[' => depth.push(c),
            '}' | ']' => {
                let open = if c == '}' { '{' } else { '[' };
                if depth.pop() != Some(open) {
                    return Err(format!("unbalanced `{c}`"));
                }
            }
            _ => {}
        }
    }
    if depth.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed {depth:?}"))
    }
}
