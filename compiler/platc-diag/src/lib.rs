//! Spans, source files and the one diagnostic model of platc.
//!
//! Architecture invariant: this crate depends on no other platc crate and on
//! no renderer (no codespan-reporting, serde, miette or LSP types). Every stage
//! reports through [`Diagnostic`]; renderers live in `platc-render`.

mod codes;
pub mod par;
mod source;

pub use codes::{lookup, CodeInfo, CODES};
pub use source::{for_each_byte, FileId, LineCol, SourceFile, SourceMap, Span};

/// The `&'static str` of a code known only at run time (a user policy's
/// `P0101`): each distinct code is allocated once for the life of the
/// process, so the memory is bounded by the number of distinct codes.
/// `1000000` as `1,000,000`: numbers in messages.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn intern_code(code: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    if let Some(info) = lookup(code) {
        return info.code;
    }
    static INTERNED: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = INTERNED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(c) = set.get(code) {
        return c;
    }
    let leaked: &'static str = Box::leak(code.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A span with an optional message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// One finding about the user's program.
///
/// `message` is one line, lowercase, without a trailing period; it says what
/// is wrong. `help` says what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the registered default severity of `code`.
    ///
    /// Panics in debug builds when `code` is not registered: every code must
    /// have an entry (and a page in `spec/diagnostics/`).
    pub fn new(code: &'static str, message: impl Into<String>, primary: Label) -> Self {
        let severity = match lookup(code) {
            Some(info) => info.severity,
            None => {
                debug_assert!(false, "unregistered diagnostic code {code}");
                Severity::Error
            }
        };
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Self::new(code, message, Label::new(span, "")).with_severity(Severity::Error)
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, message));
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds the help "did you mean `x`?" when one of `candidates` is close to
    /// `name`, and otherwise the help `fallback`, if any.
    pub fn with_suggestion<'a>(
        self,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
        fallback: Option<String>,
    ) -> Self {
        match (did_you_mean(name, candidates), fallback) {
            (Some(s), _) => self.with_help(format!("did you mean `{s}`?")),
            (None, Some(h)) => self.with_help(h),
            (None, None) => self,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Collects diagnostics so that passes report and go on instead of stopping.
#[derive(Default, Debug)]
pub struct Sink {
    diagnostics: Vec<Diagnostic>,
}

impl Sink {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.diagnostics.extend(diagnostics);
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn len(&self) -> usize {
        self.diagnostics.len()
    }

    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// The diagnostics collected so far, in the order they were pushed.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The diagnostics in a stable order: by file, position, then code, with
    /// exact duplicates removed.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        sort_diagnostics(&mut self.diagnostics);
        self.diagnostics
    }
}

/// Sorts diagnostics by file, start, end and code, and drops exact duplicates.
pub fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        let ka = (
            a.primary.span.file,
            a.primary.span.start,
            a.primary.span.end,
        );
        let kb = (
            b.primary.span.file,
            b.primary.span.start,
            b.primary.span.end,
        );
        ka.cmp(&kb)
            .then_with(|| a.code.cmp(b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
    diagnostics.dedup();
}

/// The closest candidate to `name` by edit distance, if one is close enough
/// to be a plausible typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        // The distance is at least the difference of the lengths: far
        // longer or shorter names are not compared at all.
        if candidate.len().abs_diff(name.len()) > limit.max(3) {
            continue;
        }
        let distance = edit_distance(name, candidate);
        let close = distance <= limit
            || (candidate.eq_ignore_ascii_case(name))
            || (name.len() >= 3
                && candidate.len() >= 3
                && (candidate.starts_with(name) && candidate.len() - name.len() <= 3));
        if close && best.is_none_or(|(d, c)| distance < d || (distance == d && candidate < c)) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Edit distance over chars (optimal string alignment: insertions,
/// deletions, substitutions and transpositions of neighbours).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("hots", "host"), 1);
    }

    #[test]
    fn did_you_mean_finds_close_names() {
        let names = ["postgres", "minio", "airflow"];
        assert_eq!(did_you_mean("postgre", names), Some("postgres"));
        assert_eq!(did_you_mean("airflwo", names), Some("airflow"));
        assert_eq!(did_you_mean("kafka", names), None);
    }

    #[test]
    fn sink_sorts_and_dedups() {
        let mut map = SourceMap::new();
        let f = map.add("a.plat", "abcdef".to_string());
        let mut sink = Sink::new();
        let late = Diagnostic::error("E0201", "late", Span::new(f, 4, 5));
        let early = Diagnostic::error("E0201", "early", Span::new(f, 0, 1));
        sink.push(late.clone());
        sink.push(early.clone());
        sink.push(late.clone());
        assert!(sink.has_errors());
        assert_eq!(sink.finish(), vec![early, late]);
    }
}
