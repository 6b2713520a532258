//! Types of the platform language and the assignability relation.

use std::fmt;
use std::sync::Arc;

use platc_syntax::ast::QuantityKind;

/// Index of a component definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CompId(pub u32);
/// Index of an interface definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfaceId(pub u32);

#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    String,
    Int,
    Float,
    Bool,
    Bytes,
    Cpu,
    Duration,
    Path,
    Secret,
    /// The name of a Kubernetes Secret in the namespace of the instance
    /// that gives it: a string that only readers in that namespace may use.
    SecretName,
    List(Box<Ty>),
    Map(Box<Ty>),
    /// Fields in declaration order.
    Record(Vec<(String, Ty)>),
    Enum(Vec<String>),
    Optional(Box<Ty>),
    Component(CompId),
    Interface(IfaceId),
    /// A type with a range or pattern constraint; assignability ignores it,
    /// values are checked against it.
    Constrained(Box<Ty>, Arc<Constraint>),
    /// Open data: lists and records of mixed shapes, in `values` blocks
    /// and from mixed concatenations. Opaque: usable as data (a values
    /// entry, an element, `to_json`), never as a typed value.
    Data,
    /// The type of the literal `none`.
    NoneLit,
    /// The type of an expression that already has an error: accepted
    /// everywhere so that one mistake is reported once.
    Unknown,
}

/// A checked constraint.
#[derive(Clone, Debug)]
pub enum Constraint {
    /// Inclusive bounds in the base unit of the type (ints, bytes,
    /// millicores, milliseconds) or as floats.
    Range {
        lo: Option<Bound>,
        hi: Option<Bound>,
        text: String,
    },
    Pattern(regex::Regex),
}

impl PartialEq for Constraint {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Constraint::Range { text: a, .. }, Constraint::Range { text: b, .. }) => a == b,
            (Constraint::Pattern(a), Constraint::Pattern(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    Int(i128),
    Float(f64),
}

impl Ty {
    /// The type without constraints at the top.
    pub fn base(&self) -> &Ty {
        match self {
            Ty::Constrained(inner, _) => inner.base(),
            t => t,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.base(), Ty::Unknown)
    }

    pub fn quantity_kind(&self) -> Option<QuantityKind> {
        match self.base() {
            Ty::Bytes => Some(QuantityKind::Bytes),
            Ty::Cpu => Some(QuantityKind::Cpu),
            Ty::Duration => Some(QuantityKind::Duration),
            _ => None,
        }
    }

    pub fn from_quantity(kind: QuantityKind) -> Ty {
        match kind {
            QuantityKind::Bytes => Ty::Bytes,
            QuantityKind::Cpu => Ty::Cpu,
            QuantityKind::Duration => Ty::Duration,
        }
    }

    /// True when a value of this type may hold a secret somewhere inside.
    pub fn contains_secret(&self) -> bool {
        match self.base() {
            Ty::Secret => true,
            Ty::List(t) | Ty::Map(t) | Ty::Optional(t) => t.contains_secret(),
            Ty::Record(fields) => fields.iter().any(|(_, t)| t.contains_secret()),
            _ => false,
        }
    }
}

/// Names of components and interfaces, for printing types.
pub trait TypeNames {
    fn component_name(&self, id: CompId) -> &str;
    fn interface_name(&self, id: IfaceId) -> &str;
}

pub struct Display<'a, N: TypeNames>(pub &'a Ty, pub &'a N);

impl<N: TypeNames> fmt::Display for Display<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.1;
        match self.0 {
            Ty::String => f.write_str("string"),
            Ty::Int => f.write_str("int"),
            Ty::Float => f.write_str("float"),
            Ty::Bool => f.write_str("bool"),
            Ty::Bytes => f.write_str("bytes"),
            Ty::Cpu => f.write_str("cpu"),
            Ty::Duration => f.write_str("duration"),
            Ty::Path => f.write_str("path"),
            Ty::Secret => f.write_str("secret"),
            Ty::SecretName => f.write_str("secret_name"),
            Ty::List(t) => write!(f, "list<{}>", Display(t, n)),
            Ty::Map(t) => write!(f, "map<{}>", Display(t, n)),
            Ty::Record(fields) => {
                f.write_str("{ ")?;
                for (i, (name, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {}", Display(t, n))?;
                }
                f.write_str(" }")
            }
            Ty::Enum(variants) => {
                let parts: Vec<String> = variants.iter().map(|v| format!("{v:?}")).collect();
                f.write_str(&parts.join(" | "))
            }
            Ty::Optional(t) => match t.base() {
                Ty::Enum(_) => write!(f, "({})?", Display(t, n)),
                _ => write!(f, "{}?", Display(t, n)),
            },
            Ty::Component(c) => write!(f, "{}", n.component_name(*c)),
            Ty::Interface(i) => write!(f, "{}", n.interface_name(*i)),
            Ty::Constrained(t, c) => match &**c {
                Constraint::Range { text, .. } => write!(f, "{}({text})", Display(t, n)),
                Constraint::Pattern(re) => {
                    write!(f, "{}(matches {:?})", Display(t, n), re.as_str())
                }
            },
            Ty::Data => f.write_str("data"),
            Ty::NoneLit => f.write_str("none"),
            Ty::Unknown => f.write_str("unknown"),
        }
    }
}

/// Why a value of one type cannot go where another is expected.
#[derive(Debug, PartialEq)]
pub enum Mismatch {
    /// Plain mismatch (E0301).
    Type,
    /// Quantity of another kind (E0306).
    Unit(QuantityKind, QuantityKind),
    /// A secret into a non-secret place (E0307).
    SecretLeak,
    /// An optional where a value is required (E0310).
    PossiblyNone,
    /// A record with a field the expected record does not have (E0308).
    ExtraField(String),
    /// A record lacking a required field (E0302).
    MissingField(String),
}

/// What the assignability relation needs to know about components.
pub trait Provides {
    fn provides(&self, comp: CompId, iface: IfaceId) -> bool;
}

/// The common type of two values (list elements, branches of a
/// conditional): the one the other is assignable to, `int`+`float` is
/// `float`, `T`+`none` is `T?`; `None` when they have none.
pub fn common(a: &Ty, b: &Ty, p: &dyn Provides) -> Option<Ty> {
    use Ty::*;
    match (a.base(), b.base()) {
        (Unknown, _) => Some(b.clone()),
        (_, Unknown) => Some(a.clone()),
        (NoneLit, NoneLit) => Some(NoneLit),
        (NoneLit, Optional(_)) => Some(b.clone()),
        (Optional(_), NoneLit) => Some(a.clone()),
        (NoneLit, t) | (t, NoneLit) => Some(Optional(Box::new(t.clone()))),
        (Int, Float) | (Float, Int) => Some(Float),
        (List(x), List(y)) => common(x, y, p).map(|t| List(Box::new(t))),
        (Map(x), Map(y)) => common(x, y, p).map(|t| Map(Box::new(t))),
        (Optional(x), y) | (y, Optional(x)) if !matches!(y, Optional(_)) => {
            common(x, y, p).map(|t| match t {
                Optional(_) => t,
                t => Optional(Box::new(t)),
            })
        }
        (Enum(x), Enum(y)) => {
            let known: crate::HashSet<&str> = x.iter().map(std::string::String::as_str).collect();
            let mut all = x.clone();
            all.extend(y.iter().filter(|v| !known.contains(v.as_str())).cloned());
            Some(Enum(all))
        }
        (Enum(_), String) | (String, Enum(_)) => Some(String),
        (Record(x), Record(y)) => {
            // Records of the same fields with common field types.
            if x.len() != y.len() || !x.iter().all(|(n, _)| y.iter().any(|(m, _)| m == n)) {
                return None;
            }
            let mut fields = Vec::new();
            for (n, t) in x {
                let u = &y.iter().find(|(m, _)| m == n)?.1;
                fields.push((n.clone(), common(t, u, p)?));
            }
            Some(Record(fields))
        }
        (x, y) if assignable(y, x, p).is_ok() => Some(a.clone()),
        (x, y) if assignable(x, y, p).is_ok() => Some(b.clone()),
        _ => None,
    }
}

/// Can a value of type `actual` be used where `expected` is required?
pub fn assignable(actual: &Ty, expected: &Ty, p: &dyn Provides) -> Result<(), Mismatch> {
    let (actual, expected) = (actual.base(), expected.base());
    use Ty::*;
    match (actual, expected) {
        (Unknown, _) | (_, Unknown) => Ok(()),
        (NoneLit, Optional(_)) => Ok(()),
        (Optional(a), Optional(e)) => assignable(a, e, p),
        (a, Optional(e)) => assignable(a, e, p),
        (Optional(_), _) => Err(Mismatch::PossiblyNone),
        (Secret, Secret) => Ok(()),
        (a, e) if a.contains_secret() && !e.contains_secret() => Err(Mismatch::SecretLeak),
        (String, String) | (Int, Int) | (Float, Float) | (Bool, Bool) | (Path, Path) => Ok(()),
        (Int, Float) | (Int, Cpu) | (Float, Cpu) | (Int, Bytes) => Ok(()),
        (String, Path) => Ok(()),
        (SecretName, SecretName) | (SecretName, String) | (String, SecretName) => Ok(()),
        (Data, Data) => Ok(()),
        // Anything but a reference is data (secrets were handled above).
        (a, Data) if !matches!(a, Component(_) | Interface(_)) => Ok(()),
        (Enum(_), String) => Ok(()),
        (Enum(a), Enum(e)) => {
            let known: crate::HashSet<&str> = e.iter().map(std::string::String::as_str).collect();
            if a.iter().all(|v| known.contains(v.as_str())) {
                Ok(())
            } else {
                Err(Mismatch::Type)
            }
        }
        (a, e) if a.quantity_kind().is_some() && e.quantity_kind().is_some() => {
            let (ak, ek) = (a.quantity_kind().unwrap(), e.quantity_kind().unwrap());
            if ak == ek {
                Ok(())
            } else {
                Err(Mismatch::Unit(ak, ek))
            }
        }
        (List(a), List(e)) | (Map(a), Map(e)) => assignable(a, e, p),
        (Record(af), Record(ef)) => {
            for (name, _) in af {
                if !ef.iter().any(|(n, _)| n == name) {
                    return Err(Mismatch::ExtraField(name.clone()));
                }
            }
            for (name, et) in ef {
                match af.iter().find(|(n, _)| n == name) {
                    Some((_, at)) => assignable(at, et, p)?,
                    None if matches!(et.base(), Optional(_)) => {}
                    None => return Err(Mismatch::MissingField(name.clone())),
                }
            }
            Ok(())
        }
        (Record(af), Map(e)) => {
            for (_, at) in af {
                assignable(at, e, p)?;
            }
            Ok(())
        }
        (Component(a), Component(e)) if a == e => Ok(()),
        (Component(a), Interface(i)) if p.provides(*a, *i) => Ok(()),
        (Interface(a), Interface(e)) if a == e => Ok(()),
        _ => Err(Mismatch::Type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct P;
    impl Provides for P {
        fn provides(&self, comp: CompId, iface: IfaceId) -> bool {
            comp.0 == 0 && iface.0 == 0
        }
    }

    #[test]
    fn assignability_rules() {
        let ok = |a: Ty, e: Ty| assignable(&a, &e, &P);
        assert_eq!(ok(Ty::Int, Ty::Float), Ok(()));
        assert_eq!(ok(Ty::Int, Ty::Cpu), Ok(()));
        assert_eq!(
            ok(Ty::Cpu, Ty::Bytes),
            Err(Mismatch::Unit(QuantityKind::Cpu, QuantityKind::Bytes))
        );
        assert_eq!(ok(Ty::Secret, Ty::String), Err(Mismatch::SecretLeak));
        assert_eq!(
            ok(Ty::Optional(Box::new(Ty::Int)), Ty::Int),
            Err(Mismatch::PossiblyNone)
        );
        assert_eq!(ok(Ty::NoneLit, Ty::Optional(Box::new(Ty::Int))), Ok(()));
        assert_eq!(
            ok(Ty::Component(CompId(0)), Ty::Interface(IfaceId(0))),
            Ok(())
        );
        assert_eq!(
            ok(Ty::Component(CompId(1)), Ty::Interface(IfaceId(0))),
            Err(Mismatch::Type)
        );
        assert_eq!(
            ok(
                Ty::Enum(vec!["a".into()]),
                Ty::Enum(vec!["a".into(), "b".into()])
            ),
            Ok(())
        );
        assert_eq!(
            ok(
                Ty::List(Box::new(Ty::Unknown)),
                Ty::List(Box::new(Ty::String))
            ),
            Ok(())
        );
    }
}
