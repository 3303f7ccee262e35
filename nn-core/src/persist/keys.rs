//! The key map between a network's tensor keys (`fc1.weight`) and a file's: renaming a
//! whole key or a layer prefix (`fc1` → `0` maps `fc1.weight` ↔ `0.weight`, as
//! `nn.Sequential` names its submodules).

use std::borrow::Cow;

/// Renaming rules from network keys to file keys; the longest matching rule wins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyMap {
    rules: Vec<(String, String)>,
}

impl KeyMap {
    /// Adds a rule: `from` is a whole network key (`fc1.weight`) or a prefix ending at a
    /// `.` boundary (`fc1`); `to` replaces it.
    pub(crate) fn add(&mut self, from: String, to: String) {
        self.rules.retain(|(f, _)| *f != from);
        self.rules.push((from, to));
    }

    /// The file key of a network key.
    pub(crate) fn file_key<'a>(&self, key: &'a str) -> Cow<'a, str> {
        let best = self
            .rules
            .iter()
            .filter(|(from, _)| {
                key == from
                    || (key.len() > from.len() && key.starts_with(from.as_str()) && key.as_bytes()[from.len()] == b'.')
            })
            .max_by_key(|(from, _)| from.len());
        match best {
            None => Cow::Borrowed(key),
            Some((from, to)) => Cow::Owned(format!("{to}{}", &key[from.len()..])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeyMap;

    #[test]
    fn prefixes_whole_keys_and_the_longest_rule() {
        let mut m = KeyMap::default();
        m.add("fc1".into(), "0".into());
        m.add("fc1.bias".into(), "extra.b".into());
        assert_eq!(m.file_key("fc1.weight"), "0.weight");
        assert_eq!(m.file_key("fc1.bias"), "extra.b");
        assert_eq!(m.file_key("fc10.weight"), "fc10.weight"); // not at a `.` boundary
        assert_eq!(m.file_key("fc2.weight"), "fc2.weight");
        m.add("fc1".into(), "layer.0".into()); // a later rule for the same key replaces it
        assert_eq!(m.file_key("fc1.weight"), "layer.0.weight");
    }
}
