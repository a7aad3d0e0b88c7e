//! Parsed measurement types: a percentage within 0..=100, a non-negative count.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a measurement was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    #[error("must be a number between 0 and 100, got {0}")]
    PercentOutOfRange(f64),
    #[error("must be a whole number of at least 0, got {0}")]
    NegativeCount(i64),
}

/// `TryFrom<$raw>` through the checked constructor `$new` and `From<$name>`
/// for `$out` through the reader `$read`: the conversions serde's `try_from`
/// and `into` use for a newtype over a checked number; used by other modules
/// of this crate.
macro_rules! number_conversions {
    ($name:ident, $error:ty, $raw:ty => $new:ident, $read:ident => $out:ty) => {
        impl TryFrom<$raw> for $name {
            type Error = $error;
            fn try_from(value: $raw) -> Result<Self, Self::Error> {
                Self::$new(value)
            }
        }

        impl From<$name> for $out {
            fn from(value: $name) -> $out {
                value.$read()
            }
        }
    };
}
pub(crate) use number_conversions;

/// A percentage in `0.0..=100.0`; NaN and infinities are refused.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Percent(f64);

impl Percent {
    /// Parses a percentage, refusing anything outside `0..=100`.
    pub fn parse(value: f64) -> Result<Self, MeasureError> {
        if value.is_finite() && (0.0..=100.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(MeasureError::PercentOutOfRange(value))
        }
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

number_conversions!(Percent, MeasureError, f64 => parse, value => f64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.0)
    }
}

/// An estimated count of affected things (systems, users, regions); never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u64")]
pub struct Count(u64);

impl Count {
    pub fn parse(value: i64) -> Result<Self, MeasureError> {
        u64::try_from(value)
            .map(Self)
            .map_err(|_| MeasureError::NegativeCount(value))
    }

    pub fn value(self) -> u64 {
        self.0
    }
}

number_conversions!(Count, MeasureError, i64 => parse, value => u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_bounds() {
        assert!(Percent::parse(0.0).is_ok());
        assert!(Percent::parse(100.0).is_ok());
        assert_eq!(
            Percent::parse(120.0),
            Err(MeasureError::PercentOutOfRange(120.0))
        );
        assert!(Percent::parse(-0.5).is_err());
        assert!(Percent::parse(f64::NAN).is_err());
        assert!(serde_json::from_str::<Percent>("120").is_err());
        assert_eq!(
            serde_json::from_str::<Percent>("97.5").unwrap().value(),
            97.5
        );
    }

    #[test]
    fn count_is_never_negative() {
        assert_eq!(Count::parse(-1), Err(MeasureError::NegativeCount(-1)));
        assert!(serde_json::from_str::<Count>("-3").is_err());
        assert_eq!(serde_json::from_str::<Count>("12").unwrap().value(), 12);
    }
}
