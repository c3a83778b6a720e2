//! A small shared map for values that are costly to compute and cheap to recompute: it
//! forgets everything when it grows past its bound, so memory stays flat however many
//! different keys a long-running server sees.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct Memo<K, V> {
    map: Mutex<HashMap<K, V>>,
    bound: usize,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    pub fn new(bound: usize) -> Memo<K, V> {
        Memo {
            map: Mutex::new(HashMap::new()),
            bound,
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.map.lock().ok()?.get(key).cloned()
    }

    pub fn insert(&self, key: K, value: V) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.bound {
                map.clear();
            }
            map.insert(key, value);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |map| map.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_the_bound_then_starts_over() {
        let memo: Memo<String, u32> = Memo::new(2);
        memo.insert("社保卡".into(), 1);
        memo.insert("公积金".into(), 2);
        assert_eq!(memo.get("社保卡"), Some(1));
        memo.insert("户口".into(), 3);
        assert_eq!(memo.len(), 1);
        assert_eq!(memo.get("社保卡"), None);
        assert_eq!(memo.get("户口"), Some(3));
        memo.clear();
        assert_eq!(memo.get("户口"), None);
    }
}
