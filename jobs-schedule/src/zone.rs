use crate::{ParseError, Tz};

/// Reads an IANA time-zone name such as `"Europe/Berlin"`.
///
/// # Errors
///
/// An unknown name; the message suggests the closest known one.
///
/// # Examples
///
/// ```
/// assert_eq!(jobs_schedule::parse_timezone("Europe/Berlin"), Ok(jobs_schedule::Tz::Europe__Berlin));
/// let err = jobs_schedule::parse_timezone("Europe/Berln").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "unknown time zone \"Europe/Berln\": did you mean \"Europe/Berlin\"?"
/// );
/// ```
pub fn parse_timezone(name: &str) -> Result<Tz, ParseError> {
    if let Ok(tz) = name.parse::<Tz>() {
        return Ok(tz);
    }
    let closest = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| {
            (
                edit_distance(&name.to_ascii_lowercase(), &tz.name().to_ascii_lowercase()),
                tz.name(),
            )
        })
        .min();
    Err(ParseError::new(match closest {
        Some((distance, suggestion)) if distance <= name.len().div_ceil(3).max(2) => {
            format!("unknown time zone {name:?}: did you mean {suggestion:?}?")
        }
        _ => format!("unknown time zone {name:?}: expected an IANA name such as \"Europe/Berlin\" or \"UTC\""),
    }))
}

/// Levenshtein distance, for suggestions only (a few hundred short names, once per bad input).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous_diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous_diagonal + usize::from(ca != cb);
            previous_diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}
