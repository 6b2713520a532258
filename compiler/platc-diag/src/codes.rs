//! The registry of every diagnostic code.
//!
//! Each code has a page in `spec/diagnostics/<CODE>.md` (the long
//! explanation printed by `platc explain`) and at least one ui fixture under
//! `tests/ui/` that triggers it; a tidy test checks both.

use crate::Severity;

/// What the registry knows of one code.
#[derive(Debug)]
pub struct CodeInfo {
    pub code: &'static str,
    /// A kebab-case name, stable like the code.
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what the code is about.
    pub summary: &'static str,
    /// The long explanation (Markdown), from `spec/diagnostics/<CODE>.md`.
    pub explanation: &'static str,
}

macro_rules! codes {
    ($( $code:literal $name:literal $sev:ident $summary:literal; )*) => {
        /// Every registered code, sorted.
        pub static CODES: &[CodeInfo] = &[
            $( CodeInfo {
                code: $code,
                name: $name,
                severity: Severity::$sev,
                summary: $summary,
                explanation: include_str!(concat!("../../../spec/diagnostics/", $code, ".md")),
            }, )*
        ];
    };
}

codes! {
    // E01xx: syntax
    "E0101" "syntax-error" Error "the text does not match the grammar";
    "E0102" "unterminated-literal" Error "a string or block comment is not closed";
    "E0103" "invalid-escape" Error "a string contains an unknown escape sequence";
    "E0104" "invalid-number" Error "a number, quantity or duration literal is malformed or out of range";
    "E0105" "nesting-too-deep" Error "brackets, blocks or interpolations are nested too deeply";
    "E0106" "invalid-date" Error "a date literal is not a real calendar date";
    "E0107" "file-too-large" Error "a source file is larger than the compiler accepts";
    "E0108" "misplaced-item" Error "an item appears where it is not allowed";
    // E02xx: names and modules
    "E0201" "unknown-name" Error "a name is not defined in scope";
    "E0202" "duplicate-definition" Error "a name is defined twice";
    "E0203" "import-not-found" Error "an imported file does not exist";
    "E0204" "import-cycle" Error "files import each other in a cycle";
    "E0205" "import-escapes-root" Error "an import points outside the project root";
    "E0206" "unknown-std-module" Error "an import names a stdlib module that does not exist";
    "E0207" "missing-platform" Error "the root file has no platform block";
    "E0208" "unreadable-import" Error "an imported file cannot be read or is not UTF-8";
    "E0209" "invalid-import-path" Error "an import path is not of an accepted form";
    // E03xx: types
    "E0301" "type-mismatch" Error "a value has the wrong type";
    "E0302" "missing-argument" Error "a required parameter is not set";
    "E0303" "unknown-parameter" Error "an instance sets a parameter the component does not have";
    "E0304" "out-of-range" Error "a value is outside the range its type allows";
    "E0305" "pattern-mismatch" Error "a string does not match the pattern its type requires";
    "E0306" "unit-mismatch" Error "a quantity has the wrong kind of unit (memory vs CPU vs time)";
    "E0307" "secret-leak" Error "a secret flows into a place that is not typed as secret";
    "E0308" "unknown-field" Error "a value has no field of that name";
    "E0309" "interface-not-satisfied" Error "a provides block does not match its interface";
    "E0310" "possibly-none" Error "an optional value is used where a value is required";
    "E0311" "duplicate-assignment" Error "the same key is assigned twice";
    "E0312" "invalid-chart" Error "chart coordinates are not exact or not well formed";
    "E0313" "invalid-pattern" Error "a pattern constraint is not a valid regular expression";
    "E0314" "unknown-expose-point" Error "an expose block names a point the component does not declare";
    "E0315" "invalid-call" Error "a built-in function is unknown or called with wrong arguments";
    "E0316" "requirement-not-met" Error "no instance provides an interface a component requires";
    "E0317" "not-a-component" Error "an instance names something that is not a component";
    "E0318" "invalid-override" Error "an environment override targets something that cannot be overridden";
    "E0319" "evaluation-error" Error "an expression cannot be evaluated (overflow, division by zero)";
    "E0320" "reference-cycle" Error "values of instances depend on each other in a cycle";
    "E0321" "invalid-constraint" Error "a constraint does not fit the type it is attached to";
    "E0322" "evaluation-limit" Error "evaluation would build more values than the compiler allows";
    "E0323" "definition-cycle" Error "lets and param defaults of a component depend on each other in a cycle";
    "E0324" "assertion-failed" Error "an assertion of a component is false for an instance";
    "E0325" "disabled-instance-referenced" Error "something refers to an instance that an environment switches off";
    "E0326" "interface-not-provided" Error "an instance is used as an interface its component provides only under a condition that does not hold";
    "E0327" "secret-in-other-namespace" Error "an instance reads the name of a Secret that lives in another namespace";
    "E0328" "secret-key-ambiguous" Error "a secret with several keys is used where one key is needed";
    "E0329" "template-secret-as-value" Error "a secret assembled at deploy time is used as a Helm value";
    "E0330" "duplicate-object" Error "two objects the platform writes have the same kind, namespace and name";
    // E05xx: policies and waivers
    "E0501" "unknown-policy" Error "a waiver names a policy that does not exist";
    "E0502" "unknown-waiver-target" Error "a waiver targets an instance or endpoint that does not exist";
    "E0503" "invalid-policy" Error "a policy declaration is malformed";
    "E0504" "empty-reason" Error "a waiver has an empty reason";
    // E06xx: build
    "E0601" "values-file-not-found" Error "a values file named in values_files does not exist";
    "E0602" "invalid-values-file" Error "a values file cannot be read or is not a YAML map";
    "E0603" "values-file-outside-root" Error "a values file lies outside the project root";
    "E0604" "unknown-values-key" Error "a Helm value sets a key that its chart does not have";
    "E0605" "invalid-values-type" Error "a Helm value has a type or a value that its chart does not accept";
    "E0606" "chart-schema-violation" Error "the Helm values do not validate against the chart's full values schema";
    "E0607" "invalid-chart-schema" Error "a chart schema named in chart_schemas cannot be read or is not a JSON Schema";
    "E0608" "invalid-image-build" Error "an image built from local sources has no valid build context or Dockerfile in the project";
    "E0609" "argocd-cannot-deliver" Error "`--target argocd` cannot deliver a secret that only Terraform passes on";
    // P1xxx: built-in policy packs (stdlib/std/policies)
    "P1001" "ingress-authenticated" Error "an endpoint is exposed without authentication";
    "P1002" "public-uses-tls" Error "a public endpoint is served without TLS";
    "P1003" "public-is-audited" Error "a public endpoint keeps no audit log";
    "P1004" "unique-routes" Error "two endpoints claim the same host and path";
    "P1005" "hosts-in-domain" Error "an endpoint's host is outside the platform domain";
    "P1101" "no-literal-credentials" Error "a parameter that holds a credential is given as plain text";
    "P1102" "prod-secrets-external" Error "a secret in production does not come from an external secret store";
    "P1201" "released-charts" Error "a chart is pinned to a pre-release or build version";
    "P1202" "pinned-images" Error "an image is set without an exact tag or digest";
    "P1301" "requests-and-limits" Warning "a resources block lacks requests or limits";
    "P1302" "prod-persistence" Error "an instance runs without persistent storage in production";
    "P1303" "prod-metrics-store" Warning "an instance publishes metrics, but the production platform has no metrics store";
    "P1401" "cross-namespace-declared" Warning "an instance refers to an instance in another namespace, undeclared";
    // Warnings
    "W0201" "unused-import" Warning "an import brings in nothing that is used";
    "W0301" "unserved-endpoint" Warning "an endpoint is exposed, but the platform names no ingress that serves it";
    "W0501" "expired-waiver" Warning "a waiver's expiry date has passed";
    "W0502" "unused-waiver" Warning "a waiver exempts no failure of its policy on any platform";
    "W0601" "parameter-overridden" Warning "a values file overrides a value that a typed parameter controls";
}

/// The registry entry of `code`, if it exists (case-insensitive).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_unique_and_documented() {
        for pair in CODES.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} before {}",
                pair[0].code,
                pair[1].code
            );
        }
        for c in CODES {
            assert!(
                c.explanation.starts_with(&format!("# {}", c.code)),
                "{} page must start with its code",
                c.code
            );
        }
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(lookup("e0201").map(|c| c.name), Some("unknown-name"));
        assert!(lookup("E9999").is_none());
    }
}
