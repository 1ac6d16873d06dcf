use std::fmt;
use std::time::Duration;

const EXPECTED: &str = "expected a duration such as \"500ms\", \"30s\", \"5m\" or \"1h30m\"";

/// Units from largest to smallest; a duration names each at most once, in this order.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Why a duration was rejected; see [`parse_duration`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError {
    input: String,
    reason: &'static str,
}

impl DurationError {
    /// The reason alone, without the input, for callers that name the input themselves
    /// (`invalid `timeout` "30x": expected a duration such as …`).
    #[must_use]
    pub fn reason(&self) -> &str {
        self.reason
    }
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid duration {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for DurationError {}

/// Reads a duration such as `"500ms"`, `"30s"`, `"5m"`, `"1h30m"` or `"2d"`.
///
/// Units are `d`, `h`, `m`, `s` and `ms`, each at most once and from largest to smallest; amounts
/// are whole numbers. Every duration the scheduler takes (an interval, a timeout, a backoff, a
/// jitter) is meaningless at zero, so zero is an error.
///
/// # Errors
///
/// Anything else, zero, or more than `u64::MAX` milliseconds.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(jobs_schedule::parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// let err = jobs_schedule::parse_duration("30x").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid duration \"30x\": expected a duration such as \"500ms\", \"30s\", \"5m\" or \"1h30m\""
/// );
/// ```
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let error = |reason| DurationError {
        input: input.to_owned(),
        reason,
    };
    let mut rest = input;
    let mut total: u64 = 0;
    // Index into UNITS of the smallest unit seen so far: the next one must be smaller.
    let mut allowed_from = 0;
    if rest.is_empty() {
        return Err(error(EXPECTED));
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(error(EXPECTED));
        }
        let amount: u64 = rest[..digits]
            .parse()
            .map_err(|_| error("is too long: the longest is about 584 million years"))?;
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..letters];
        rest = &rest[letters..];
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(error(EXPECTED));
        };
        if index < allowed_from {
            return Err(error(
                "units must go from largest to smallest, each once, as in \"1h30m\"",
            ));
        }
        allowed_from = index + 1;
        total = amount
            .checked_mul(UNITS[index].1)
            .and_then(|millis| total.checked_add(millis))
            .ok_or_else(|| error("is too long: the longest is about 584 million years"))?;
    }
    if total == 0 {
        return Err(error("must be greater than zero"));
    }
    Ok(Duration::from_millis(total))
}

/// Writes a duration in the form [`parse_duration`] reads, to whole milliseconds: 90 seconds is
/// `"1m30s"`; zero is `"0s"`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(jobs_schedule::format_duration(Duration::from_millis(5_400_250)), "1h30m250ms");
/// ```
#[must_use]
pub fn format_duration(duration: Duration) -> String {
    let mut millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (name, size) in UNITS {
        let size = u128::from(size);
        if millis >= size {
            out.push_str(&(millis / size).to_string());
            out.push_str(name);
            millis %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_unit_and_combinations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(
            parse_duration("1d2h3m4s5ms"),
            Ok(Duration::from_millis(93_784_005))
        );
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    }

    #[test]
    fn rejects_malformed_input_with_the_expected_form() {
        for input in [
            "", "30", "s", "30x", "1.5s", "-1s", "1h 30m", " 1s", "1H", "ms",
        ] {
            let err = parse_duration(input).unwrap_err();
            assert_eq!(err.reason(), EXPECTED, "{input:?}");
        }
    }

    #[test]
    fn rejects_zero_disorder_and_overflow() {
        assert_eq!(
            parse_duration("0s").unwrap_err().reason(),
            "must be greater than zero"
        );
        assert_eq!(
            parse_duration("0h0m").unwrap_err().reason(),
            "must be greater than zero"
        );
        assert!(parse_duration("30m1h")
            .unwrap_err()
            .reason()
            .starts_with("units must go"));
        assert!(parse_duration("1m1m")
            .unwrap_err()
            .reason()
            .starts_with("units must go"));
        assert!(parse_duration("99999999999999999999s")
            .unwrap_err()
            .reason()
            .starts_with("is too long"));
        assert!(parse_duration("999999999999999999d")
            .unwrap_err()
            .reason()
            .starts_with("is too long"));
    }

    #[test]
    fn formats_what_it_reads() {
        for input in ["500ms", "30s", "1m30s", "1h30m", "2d", "1d2h3m4s5ms"] {
            assert_eq!(format_duration(parse_duration(input).unwrap()), input);
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }
}
