//! "Did you mean …?" hints for misspelled names, as graphql-js words them.

/// The options close to `input` (case-insensitive match first, then by edit distance within
/// 40% of the input's length), best first, at most five.
pub(crate) fn suggestions<'a>(
    input: &str,
    options: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let threshold = input.chars().count() * 4 / 10 + 1;
    let lowered = input.to_lowercase();
    let mut scored: Vec<(usize, &str)> = options
        .into_iter()
        .filter_map(|option| {
            let distance = if option.to_lowercase() == lowered {
                1
            } else {
                edit_distance(&lowered, &option.to_lowercase())
            };
            (distance <= threshold).then_some((distance, option))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, o)| o).collect()
}

/// ` Did you mean "a"?`, ` Did you mean "a" or "b"?`, ` Did you mean "a", "b", or "c"?`, or
/// nothing.
pub(crate) fn did_you_mean(options: &[&str]) -> String {
    let quoted: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => format!(" Did you mean {one}?"),
        [a, b] => format!(" Did you mean {a} or {b}?"),
        [init @ .., last] => format!(" Did you mean {}, or {last}?", init.join(", ")),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_get_the_closest_names() {
        let args = ["vatnumber", "filename", "invoicetype", "comment"];
        assert_eq!(suggestions("vatNumber", args), vec!["vatnumber"]);
        assert_eq!(suggestions("fileName", args), vec!["filename"]);
        assert!(suggestions("zzz", args).is_empty());
        assert_eq!(did_you_mean(&["a"]), " Did you mean \"a\"?");
        assert_eq!(
            did_you_mean(&["a", "b", "c"]),
            " Did you mean \"a\", \"b\", or \"c\"?"
        );
    }
}
