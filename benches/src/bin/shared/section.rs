//! Sections of a Markdown report that another benchmark owns: `<!-- name:begin -->` …
//! `<!-- name:end -->`, each on a line of its own.
//!
//! `BENCHMARKS.md` is written by the runtime benchmark, which rewrites the whole file, and holds
//! the PostgreSQL benchmark's section too: each binary rewrites only what it owns and carries over
//! the sections it does not.

fn begin(name: &str) -> String {
    format!("<!-- {name}:begin -->")
}

fn end(name: &str) -> String {
    format!("<!-- {name}:end -->")
}

/// The byte range of section `name` in `text`, markers included, up to the end of the line of its
/// end marker.
fn find(text: &str, name: &str) -> Option<std::ops::Range<usize>> {
    let from = text.find(&begin(name))?;
    let end_marker = end(name);
    let end_at = from + text[from..].find(&end_marker)? + end_marker.len();
    let to = text[end_at..]
        .find('\n')
        .map_or(text.len(), |newline| end_at + newline + 1);
    Some(from..to)
}

/// `text` with section `name` holding `body` (its markers added): in place if `text` has it,
/// otherwise appended at the end, after a blank line.
pub(crate) fn replace(text: &str, name: &str, body: &str) -> String {
    let section = format!("{}\n{}\n{}\n", begin(name), body.trim_end(), end(name));
    match find(text, name) {
        Some(range) => format!("{}{section}{}", &text[..range.start], &text[range.end..]),
        None if text.trim().is_empty() => section,
        None => format!("{}\n\n{section}", text.trim_end()),
    }
}

/// `new` followed by every section of `old` that `new` does not have, in their order in `old`:
/// what a benchmark that rewrites a whole report must keep of the others'.
pub(crate) fn carry_over(old: &str, new: &str) -> String {
    let mut out = new.to_owned();
    let mut rest = old;
    while let Some(at) = rest.find("<!-- ") {
        let after = &rest[at + "<!-- ".len()..];
        let Some(name) = after
            .find(":begin -->")
            .map(|len| &after[..len])
            .filter(|name| !name.contains(char::is_whitespace))
        else {
            rest = after;
            continue;
        };
        let Some(range) = find(rest, name) else {
            rest = after;
            continue;
        };
        if find(&out, name).is_none() {
            let section = &rest[range.clone()];
            out = format!("{}\n\n{}", out.trim_end(), section.trim_end());
            out.push('\n');
        }
        rest = &rest[range.end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{carry_over, replace};

    #[test]
    fn replaces_in_place_or_appends() {
        let appended = replace("# Title\n\ntext\n", "pg", "table 1");
        assert_eq!(
            appended,
            "# Title\n\ntext\n\n<!-- pg:begin -->\ntable 1\n<!-- pg:end -->\n"
        );
        let replaced = replace(&format!("{appended}after\n"), "pg", "table 2\n");
        assert_eq!(
            replaced,
            "# Title\n\ntext\n\n<!-- pg:begin -->\ntable 2\n<!-- pg:end -->\nafter\n"
        );
    }

    #[test]
    fn carries_over_the_sections_the_new_text_lacks() {
        let old = "# Old\n\n<!-- pg:begin -->\nours\n<!-- pg:end -->\n";
        assert_eq!(
            carry_over(old, "# New\n"),
            "# New\n\n<!-- pg:begin -->\nours\n<!-- pg:end -->\n"
        );
        let kept = "# New\n\n<!-- pg:begin -->\nnewer\n<!-- pg:end -->\n";
        assert_eq!(carry_over(old, kept), kept);
        assert_eq!(carry_over("# Old\n", "# New\n"), "# New\n");
    }
}
