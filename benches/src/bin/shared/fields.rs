//! What a child process tells the parent: one `key value` line per figure on its stdout.
//!
//! Plain lines rather than JSON keep the benchmark free of a serialisation dependency, and a
//! child that dies half-way still leaves readable output.

use std::fmt::Display;
use std::str::FromStr;

#[derive(Default)]
pub(crate) struct Fields {
    pairs: Vec<(String, String)>,
}

impl Fields {
    pub(crate) fn put(&mut self, key: &str, value: impl Display) {
        self.pairs.push((key.to_owned(), value.to_string()));
    }

    pub(crate) fn text(&self, key: &str) -> Result<&str, String> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| format!("the child reported no `{key}`"))
    }

    pub(crate) fn number<T: FromStr>(&self, key: &str) -> Result<T, String>
    where
        T::Err: Display,
    {
        self.text(key)?.parse().map_err(|e| format!("`{key}`: {e}"))
    }

    pub(crate) fn print(&self) {
        for (key, value) in &self.pairs {
            println!("{key} {value}");
        }
    }

    pub(crate) fn parse(output: &str) -> Self {
        let pairs = output
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Self { pairs }
    }
}
