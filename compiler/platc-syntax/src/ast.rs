//! The typed syntax tree. Every node carries the byte span of its text.
//!
//! The tree says only what was written: names are not resolved and nothing is
//! type checked. Quantities and durations are normalised to base units here
//! because their literal form is lexical.

use platc_diag::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A parsed `.plat` file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Platform(PlatformDecl),
    Import(ImportDecl),
    Component(ComponentDecl),
    Interface(InterfaceDecl),
    Secret(SecretDecl),
    Environment(EnvironmentDecl),
    Policy(PolicyDecl),
    Waiver(WaiverDecl),
    Instance(InstanceDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Platform(d) => d.span,
            Item::Import(d) => d.span,
            Item::Component(d) => d.span,
            Item::Interface(d) => d.span,
            Item::Secret(d) => d.span,
            Item::Environment(d) => d.span,
            Item::Policy(d) => d.span,
            Item::Waiver(d) => d.span,
            Item::Instance(d) => d.span,
        }
    }
}

/// `platform "name" { attr* }`
#[derive(Clone, Debug, PartialEq)]
pub struct PlatformDecl {
    pub name: StringLit,
    pub attrs: Vec<Attr>,
    pub span: Span,
}

/// `import "path" (as alias)?`
#[derive(Clone, Debug, PartialEq)]
pub struct ImportDecl {
    pub path: StringLit,
    pub alias: Option<Ident>,
    pub span: Span,
}

/// `interface Name { field: type ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct InterfaceDecl {
    pub name: Ident,
    pub doc: Option<String>,
    pub fields: Vec<FieldType>,
    pub span: Span,
}

/// `component name { member* }`, its members grouped by kind in source order.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentDecl {
    pub name: Ident,
    pub doc: Option<String>,
    pub charts: Vec<ChartDecl>,
    pub provides: Vec<ProvidesDecl>,
    pub requires: Vec<RequiresDecl>,
    pub params: Vec<ParamDecl>,
    /// `let` bindings, in source order.
    pub lets: Vec<LetDecl>,
    pub asserts: Vec<AssertDecl>,
    pub resources: Vec<ResourceDecl>,
    /// `network { ... }` blocks (at most one is valid).
    pub networks: Vec<NetworkDecl>,
    pub exposes: Vec<ExposePoint>,
    pub values: Vec<ValuesBlock>,
    pub span: Span,
}

/// `network { pods = ... ports = ... open_ports = ... }`: which pods are
/// the instance's, and the ports they accept connections on.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkDecl {
    pub attrs: Vec<Attr>,
    pub span: Span,
}

/// `requires Interface (if cond)?`
#[derive(Clone, Debug, PartialEq)]
pub struct RequiresDecl {
    pub interface: TypeName,
    pub cond: Option<Expr>,
    pub span: Span,
}

/// `let name = expr` inside a component.
#[derive(Clone, Debug, PartialEq)]
pub struct LetDecl {
    pub name: Ident,
    pub doc: Option<String>,
    pub value: Expr,
    pub span: Span,
}

/// `cluster? resource name "apiVersion" Kind (if cond)? { body }`: a
/// Kubernetes object the component deploys, its body written like values.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceDecl {
    pub name: Ident,
    pub doc: Option<String>,
    pub api_version: StringLit,
    pub kind: Ident,
    /// A cluster-scoped object: no namespace.
    pub cluster: bool,
    /// `route resource`: one object per endpoint the instance serves, in
    /// the endpoint's namespace, with `route` in scope.
    pub route: bool,
    /// `for VAR in LIST`: one object per element of the list.
    pub each: Option<ResourceFor>,
    pub cond: Option<Expr>,
    /// When the object counts as ready.
    pub ready: Option<Ready>,
    pub body: Vec<ValueStmt>,
    pub span: Span,
}

/// `for VAR in LIST` on a resource: the variable each object is made with,
/// and the list it goes through.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceFor {
    pub var: Ident,
    pub list: Expr,
    pub span: Span,
}

/// When an object counts as ready (`ready ...` on a resource).
#[derive(Clone, Debug, PartialEq)]
pub enum Ready {
    /// `ready "TYPE"`: its status has the condition `TYPE` with status `True`.
    Condition(StringLit),
    /// `ready "PATH" = "PATTERN"`: the field at `PATH` matches `PATTERN`.
    Field(StringLit, StringLit),
}

/// `assert cond message "text"` inside a component.
#[derive(Clone, Debug, PartialEq)]
pub struct AssertDecl {
    /// `route assert`: checked for every endpoint the instance serves,
    /// with `route` in scope.
    pub route: bool,
    pub cond: Expr,
    pub message: Expr,
    pub span: Span,
}

/// `chart "name" version "1.2.3" from "https://repo"`
#[derive(Clone, Debug, PartialEq)]
pub struct ChartDecl {
    pub name: StringLit,
    pub version: StringLit,
    pub repository: StringLit,
    /// `timeout DURATION`: how long an install or upgrade may take.
    pub timeout: Option<Expr>,
    pub span: Span,
}

/// `provides Interface (if cond)? { field = expr ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct ProvidesDecl {
    pub interface: TypeName,
    pub cond: Option<Expr>,
    pub fields: Vec<Attr>,
    pub span: Span,
}

/// `param name: type (= default)?`
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDecl {
    pub name: Ident,
    pub doc: Option<String>,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

/// `expose name { port = ..., service = ... }` inside a component.
#[derive(Clone, Debug, PartialEq)]
pub struct ExposePoint {
    pub name: Ident,
    pub doc: Option<String>,
    pub attrs: Vec<Attr>,
    pub span: Span,
}

/// `values { stmt* }`
#[derive(Clone, Debug, PartialEq)]
pub struct ValuesBlock {
    pub stmts: Vec<ValueStmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueStmt {
    /// `a.b."c.d" = expr`
    Assign {
        path: Vec<KeySegment>,
        value: Expr,
        span: Span,
    },
    /// `if cond { ... } else { ... }`; `else if` nests an `If` in `otherwise`.
    If {
        cond: Expr,
        then: Vec<ValueStmt>,
        otherwise: Vec<ValueStmt>,
        span: Span,
    },
}

/// One segment of a values key path.
#[derive(Clone, Debug, PartialEq)]
pub struct KeySegment {
    pub kind: KeyKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum KeyKind {
    /// A word or a string without interpolation (shared, as a record's
    /// [`KeyName`]).
    Name(arcstr::ArcStr),
    /// A string with interpolation: the key is computed.
    Computed(StringLit),
    /// `[expr]`: an element of a list.
    Index(Expr),
}

impl KeySegment {
    /// The key when it is fixed text.
    pub fn name(&self) -> Option<&str> {
        match &self.kind {
            KeyKind::Name(n) => Some(n),
            _ => None,
        }
    }
}

/// `secret name from source(args)`
#[derive(Clone, Debug, PartialEq)]
pub struct SecretDecl {
    pub name: Ident,
    pub doc: Option<String>,
    pub source: Call,
    pub span: Span,
}

/// `environment name { target = expr ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct EnvironmentDecl {
    pub name: Ident,
    pub overrides: Vec<Override>,
    pub span: Span,
}

/// `instance.param = expr` or `platform.field = expr` in an environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The dotted target; the first segment is `platform` for platform fields.
    pub target: Vec<Ident>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicySeverity {
    Deny,
    Warn,
}

/// `policy name severity deny code "P0101" { rule* }`
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDecl {
    pub name: Ident,
    pub doc: Option<String>,
    pub severity: PolicySeverity,
    pub severity_span: Span,
    pub code: StringLit,
    pub rules: Vec<PolicyRule>,
    pub span: Span,
}

/// `for var in collection (where filter)? fail subject message (help text)?`
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyRule {
    pub var: Ident,
    pub collection: Ident,
    pub filter: Option<Expr>,
    pub subject: Ident,
    pub message: Expr,
    pub help: Option<Expr>,
    pub span: Span,
}

/// A calendar date `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A real day of the proleptic Gregorian calendar, year 1 to 9999.
    pub fn is_calendar_date(&self) -> bool {
        self.year != 0 && self.day != 0 && self.day <= self.days_in_month()
    }

    /// The days of its month: 0 for a month outside 1 to 12.
    pub fn days_in_month(&self) -> u8 {
        let y = self.year;
        let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
        match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// `allow policy for target reason "..." (until YYYY-MM-DD)?`
#[derive(Clone, Debug, PartialEq)]
pub struct WaiverDecl {
    pub policy: Ident,
    /// `instance`, `secret`, `instance.expose_name`, or (with `edge`)
    /// `from -> to`.
    pub target: Vec<Ident>,
    /// The target is an edge of the platform graph: `from -> to`.
    pub edge: bool,
    pub reason: StringLit,
    pub until: Option<(Date, Span)>,
    pub span: Span,
}

/// `component_name instance_name { attr* expose* }`
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceDecl {
    pub component: TypeName,
    pub name: Ident,
    pub doc: Option<String>,
    pub attrs: Vec<Attr>,
    pub exposes: Vec<ExposeDecl>,
    pub span: Span,
}

/// `expose name { host = ..., auth = ..., ... }` inside an instance.
#[derive(Clone, Debug, PartialEq)]
pub struct ExposeDecl {
    pub name: Ident,
    pub attrs: Vec<Attr>,
    pub span: Span,
}

/// `name = expr`
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// A possibly qualified name of a type: `SqlDatabase` or `pg.postgres`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeName {
    pub module: Option<Ident>,
    pub name: Ident,
    pub span: Span,
}

impl std::fmt::Display for TypeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.module {
            Some(m) => write!(f, "{}.{}", m.name, self.name.name),
            None => f.write_str(&self.name.name),
        }
    }
}

// ---------------------------------------------------------------- types

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// A built-in type, component or interface, with an optional constraint.
    Named {
        name: TypeName,
        constraint: Option<Box<Constraint>>,
    },
    List(Box<TypeExpr>),
    Map(Box<TypeExpr>),
    Record(Vec<FieldType>),
    /// `"a" | "b"`
    Enum(Vec<(String, Span)>),
    Optional(Box<TypeExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldType {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    pub kind: ConstraintKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConstraintKind {
    /// `(lo..hi)`, both inclusive, either may be absent.
    Range { lo: Option<Expr>, hi: Option<Expr> },
    /// `(matches "regex")`
    Pattern(String, Span),
}

// ---------------------------------------------------------------- expressions

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// What a quantity measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantityKind {
    /// Bytes: memory and storage (`Ki Mi Gi Ti Pi Ei`, `k M G T P E`).
    Bytes,
    /// CPU in millicores (`m`).
    Cpu,
    /// Time in milliseconds (`ms s min h d`).
    Duration,
}

impl QuantityKind {
    pub fn describe(self) -> &'static str {
        match self {
            QuantityKind::Bytes => "a byte quantity",
            QuantityKind::Cpu => "a CPU quantity",
            QuantityKind::Duration => "a duration",
        }
    }
}

/// A literal with a unit, normalised to its base unit (bytes, millicores,
/// milliseconds). `text` keeps the literal as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantity {
    pub kind: QuantityKind,
    pub amount: u64,
    /// The literal as written (shared: evaluation copies a pointer).
    pub text: arcstr::ArcStr,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    Str(StringLit),
    Quantity(Quantity),
    List(Vec<Expr>),
    Record(Vec<RecordEntry>),
    /// A bare name.
    Name(String),
    /// `self`
    SelfRef,
    /// `platform`
    Platform,
    Field(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Call>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `if cond { then } else { otherwise }`
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `[for ...: body]` or `{for ...: key = body}`
    Comprehension(Box<Comprehension>),
    /// A number or quantity the lowering already reported as malformed
    /// (E0104), with its text. Checking accepts it as any type and reports
    /// nothing more about it, so that the rest of the file is still
    /// checked.
    Invalid(String),
}

/// `for a (, b)? in source (if filter)?: (key =)? value`
#[derive(Clone, Debug, PartialEq)]
pub struct Comprehension {
    /// The first variable when two are given: the index of a list, the key
    /// of a map.
    pub key_var: Option<Ident>,
    /// The element (of a list) or value (of a map).
    pub var: Ident,
    pub source: Expr,
    pub filter: Option<Expr>,
    /// The key expression of a map comprehension; `None` for a list.
    pub key: Option<Expr>,
    pub value: Expr,
}

/// A record key written as text (a name, or a string without
/// interpolation). Shared: every map that evaluating the record makes
/// takes it as its key without a copy.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyName {
    pub name: arcstr::ArcStr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordEntry {
    pub key: RecordKey,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RecordKey {
    /// A name or a string without interpolation.
    Plain(KeyName),
    /// A string with interpolation.
    Computed(StringLit),
}

impl RecordKey {
    pub fn span(&self) -> Span {
        match self {
            RecordKey::Plain(i) => i.span,
            RecordKey::Computed(s) => s.span,
        }
    }

    /// The key when it is fixed text.
    pub fn plain(&self) -> Option<&KeyName> {
        match self {
            RecordKey::Plain(i) => Some(i),
            RecordKey::Computed(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub func: Ident,
    pub args: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    /// Binding strength; higher binds tighter. All operators are left
    /// associative; comparisons do not chain (checked by the type checker).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::In => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 6,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

/// A string literal: text pieces and `${expr}` interpolations.
#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    pub parts: Vec<StrPart>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Shared: evaluating a literal copies a pointer, not its text.
    Text(arcstr::ArcStr),
    Interp(Box<Expr>),
}

impl StringLit {
    /// The value when the string has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        // One piece (most strings) or none: copied at its size, without
        // growing a buffer.
        match self.parts.as_slice() {
            [] => return Some(String::new()),
            [StrPart::Text(t)] => return Some(t.as_str().to_owned()),
            _ => {}
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(_) => return None,
            }
        }
        Some(out)
    }

    /// [`Self::as_plain`] without the copy: borrowed when the string is
    /// one piece of text (or none), as most are.
    pub fn plain(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self.parts.as_slice() {
            [] => Some(Cow::Borrowed("")),
            [StrPart::Text(t)] => Some(Cow::Borrowed(t)),
            _ => self.as_plain().map(Cow::Owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platc_diag::FileId;

    /// `plain` is `as_plain`, borrowed or not, for every shape of parts.
    #[test]
    fn plain_is_as_plain() {
        let text = |t: &str| StrPart::Text(t.into());
        let interp = || {
            StrPart::Interp(Box::new(Expr {
                kind: ExprKind::None,
                span: Span::new(FileId(0), 0, 0),
            }))
        };
        for parts in [
            vec![],
            vec![text("")],
            vec![text("abc")],
            vec![text("a"), text("b")],
            vec![interp()],
            vec![text("a"), interp()],
            vec![interp(), text("b"), text("c")],
        ] {
            let lit = StringLit {
                parts,
                span: Span::new(FileId(0), 0, 0),
            };
            let borrowed = matches!(lit.plain(), Some(std::borrow::Cow::Borrowed(_)));
            assert_eq!(lit.plain().map(|c| c.into_owned()), lit.as_plain());
            assert_eq!(borrowed, lit.parts.len() <= 1 && lit.as_plain().is_some());
            // The pieces joined, or none with an interpolation.
            let joined = lit
                .parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => Some(t.as_str()),
                    StrPart::Interp(_) => None,
                })
                .collect::<Option<String>>();
            assert_eq!(lit.as_plain(), joined);
        }
    }
}
#[cfg(test)]
mod sizes {
    use super::*;

    /// A large platform's tree holds millions of expressions and string
    /// pieces: the rare large ones (a call, an interpolation) are behind a
    /// pointer, so that the common ones stay small.
    #[test]
    fn expressions_and_string_pieces_stay_small() {
        assert_eq!(std::mem::size_of::<Expr>(), 64);
        assert_eq!(std::mem::size_of::<StrPart>(), 16);
    }
}
