//! Categories and labels (SPEC K1-K3): which status-page component a problem
//! belongs to, free team labels, and who may see security incidents.
//!
//! A [`Category`] is the name of a status-page component or component group.
//! [`check_category`] enforces K1 (P0/P1 carry a known category); the
//! distinguished category *Security* is always accepted, because a security
//! incident must be loggable even though the public status page has no such
//! component (K3). Who sees its details is decided by [`crate::clearance`].

use crate::priority::Priority;
use crate::triage::{bounded_text_type, parsed_text_type};
use serde::{Deserialize, Serialize};

bounded_text_type!(
    /// A status-page component or component group name, trimmed, 1 to 80 characters.
    Category,
    80
);

impl Category {
    /// The name of the distinguished security category (SPEC K3).
    pub const SECURITY: &'static str = "Security";

    /// The security category (SPEC K3).
    pub fn security() -> Self {
        Self(Self::SECURITY.to_owned())
    }

    /// True for the category *Security*, in any letter case (SPEC K3).
    pub fn is_security(&self) -> bool {
        self.0.eq_ignore_ascii_case(Self::SECURITY)
    }

    /// Whether two names denote the same category; letter case does not matter.
    pub fn same_as(&self, other: &Category) -> bool {
        self.0.to_lowercase() == other.0.to_lowercase()
    }
}

/// Why a problem's category was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    #[error("a {priority} problem must carry a category: one of the status page's components")]
    Missing { priority: Priority },
    #[error("`{category}` is not a component or component group on the status page")]
    Unknown { category: Category },
}

/// Checks a problem's category against SPEC K1.
///
/// - P0/P1 need a category; P2/P3 may have none (they use [`Labels`], K2).
/// - A category, when given, must be one of `known_categories` (the status
///   page's components and groups, compared ignoring letter case), so reports
///   by category (Q1) stay clean. *Security* is always accepted (K3).
pub fn check_category(
    priority: Priority,
    category: Option<&Category>,
    known_categories: &[Category],
) -> Result<(), CategoryError> {
    match category {
        None if priority.is_high() => Err(CategoryError::Missing { priority }),
        None => Ok(()),
        Some(category) if category.is_security() => Ok(()),
        Some(category) if known_categories.iter().any(|known| known.same_as(category)) => Ok(()),
        Some(category) => Err(CategoryError::Unknown {
            category: category.clone(),
        }),
    }
}

/// Why a label was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("a label must not be empty")]
    Empty,
    #[error("label `{label}` has {got} characters; at most {max} are allowed")]
    TooLong {
        label: String,
        max: usize,
        got: usize,
    },
    #[error("label `{label}` contains `{found}`; use only a-z, 0-9, '-', '_', ' ' and '.'")]
    InvalidCharacter { label: String, found: char },
    #[error("at most {max} labels are allowed, got {got}")]
    TooMany { max: usize, got: usize },
}

parsed_text_type!(
    /// A free label any team may put on a ticket (SPEC K2): trimmed and
    /// lower-cased, 1 to 40 characters from `a-z 0-9 - _ .` and space.
    Label,
    LabelError
);

impl Label {
    pub const MAX_CHARS: usize = 40;

    pub fn parse(value: &str) -> Result<Self, LabelError> {
        let label = value.trim().to_lowercase();
        let got = label.chars().count();
        if got == 0 {
            return Err(LabelError::Empty);
        }
        if got > Self::MAX_CHARS {
            return Err(LabelError::TooLong {
                label,
                max: Self::MAX_CHARS,
                got,
            });
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_ .".contains(c);
        match label.chars().find(|&c| !allowed(c)) {
            Some(found) => Err(LabelError::InvalidCharacter { label, found }),
            None => Ok(Self(label)),
        }
    }
}

/// A ticket's free labels (SPEC K2): at most 20, duplicates dropped, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Labels(Vec<Label>);

impl Labels {
    pub const MAX_LABELS: usize = 20;

    /// Parses every label, drops repeats, and refuses more than [`Self::MAX_LABELS`].
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Self, LabelError> {
        let mut labels: Vec<Label> = Vec::new();
        for value in values {
            let label = Label::parse(value)?;
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        if labels.len() > Self::MAX_LABELS {
            return Err(LabelError::TooMany {
                max: Self::MAX_LABELS,
                got: labels.len(),
            });
        }
        Ok(Self(labels))
    }

    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl TryFrom<Vec<String>> for Labels {
    type Error = LabelError;
    fn try_from(values: Vec<String>) -> Result<Self, Self::Error> {
        Self::parse(values.iter().map(String::as_str))
    }
}

impl From<Labels> for Vec<String> {
    fn from(labels: Labels) -> Vec<String> {
        labels.0.into_iter().map(String::from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triage::TextError;

    fn category(name: &str) -> Category {
        Category::parse(name).unwrap()
    }

    fn status_page() -> Vec<Category> {
        vec![category("API"), category("Web app"), category("Payments")]
    }

    /// SPEC K1
    #[test]
    fn category_names_are_trimmed_and_bounded() {
        assert_eq!(category("  API ").as_str(), "API");
        assert_eq!(Category::parse(" "), Err(TextError::Empty));
        assert_eq!(
            Category::parse(&"x".repeat(80)).map(|c| c.as_str().len()),
            Ok(80)
        );
        assert_eq!(
            Category::parse(&"x".repeat(81)),
            Err(TextError::TooLong { max: 80, got: 81 })
        );
        assert!(serde_json::from_str::<Category>("\"\"").is_err());
        assert_eq!(
            serde_json::from_str::<Category>("\"API\"").unwrap(),
            category("API")
        );
    }

    /// SPEC K1
    #[test]
    fn high_priorities_need_a_known_category() {
        for priority in [Priority::P0, Priority::P1] {
            assert_eq!(
                check_category(priority, None, &status_page()),
                Err(CategoryError::Missing { priority })
            );
            assert_eq!(
                check_category(priority, Some(&category("API")), &status_page()),
                Ok(())
            );
            assert_eq!(
                check_category(priority, Some(&category("web APP")), &status_page()),
                Ok(())
            );
            assert_eq!(
                check_category(priority, Some(&category("Mainframe")), &status_page()),
                Err(CategoryError::Unknown {
                    category: category("Mainframe")
                })
            );
        }
        let err = check_category(Priority::P0, None, &[]).unwrap_err();
        assert!(
            err.to_string().contains("P0 problem must carry a category"),
            "{err}"
        );
    }

    /// SPEC K1, K2
    #[test]
    fn low_priorities_may_have_no_category_but_not_an_unknown_one() {
        for priority in [Priority::P2, Priority::P3] {
            assert_eq!(check_category(priority, None, &status_page()), Ok(()));
            assert_eq!(
                check_category(priority, Some(&category("Payments")), &status_page()),
                Ok(())
            );
            assert!(
                check_category(priority, Some(&category("Mainframe")), &status_page()).is_err()
            );
        }
    }

    /// SPEC K3
    #[test]
    fn security_is_distinguished_and_always_accepted() {
        assert!(category("security").is_security());
        assert!(category(" SECURITY ").is_security());
        assert!(Category::security().is_security());
        assert!(!category("Security scanner").is_security());
        for priority in Priority::ALL {
            assert_eq!(
                check_category(priority, Some(&category("security")), &[]),
                Ok(())
            );
        }
    }

    /// SPEC K2
    #[test]
    fn labels_are_normalised_and_checked() {
        let labels =
            Labels::parse([" DBA ", "team-net", "v1.2_rollout", "dba", "on call"]).unwrap();
        let names: Vec<&str> = labels.as_slice().iter().map(Label::as_str).collect();
        assert_eq!(names, ["dba", "team-net", "v1.2_rollout", "on call"]);

        assert_eq!(Label::parse("  "), Err(LabelError::Empty));
        assert!(Label::parse(&"a".repeat(40)).is_ok());
        assert!(matches!(
            Label::parse(&"a".repeat(41)),
            Err(LabelError::TooLong { got: 41, .. })
        ));
        assert_eq!(
            Label::parse("p0/urgent"),
            Err(LabelError::InvalidCharacter {
                label: "p0/urgent".into(),
                found: '/'
            })
        );
        assert!(matches!(
            Label::parse("café"),
            Err(LabelError::InvalidCharacter { found: 'é', .. })
        ));
    }

    /// SPEC K2
    #[test]
    fn at_most_twenty_distinct_labels() {
        let twenty: Vec<String> = (0..20).map(|i| format!("l{i}")).collect();
        assert_eq!(
            Labels::parse(twenty.iter().map(String::as_str))
                .unwrap()
                .len(),
            20
        );

        let mut repeated = twenty.clone();
        repeated.push("l0".into());
        assert_eq!(
            Labels::parse(repeated.iter().map(String::as_str))
                .unwrap()
                .len(),
            20
        );

        let mut too_many = twenty;
        too_many.push("l20".into());
        assert_eq!(
            Labels::parse(too_many.iter().map(String::as_str)),
            Err(LabelError::TooMany { max: 20, got: 21 })
        );
    }

    /// SPEC K2
    #[test]
    fn labels_round_trip_through_json() {
        let labels: Labels = serde_json::from_str(r#"["DBA","network"]"#).unwrap();
        assert_eq!(
            serde_json::to_string(&labels).unwrap(),
            r#"["dba","network"]"#
        );
        assert!(serde_json::from_str::<Labels>(r#"["ok","not/ok"]"#).is_err());
        assert!(Labels::default().is_empty());
    }
}
