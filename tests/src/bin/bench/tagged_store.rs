//! A [`koppel_core::Store`] that books the memory of Koppel's state (the in-memory store,
//! DynamoDB in production) to [`Part::Store`], so it is not counted as the exporter's heap.

use crate::heap::{Part, in_part};
use futures::future::BoxFuture;
use koppel_e2e::store_hook::{HookedStore, StoreHook};

/// Books every store call's allocations to [`Part::Store`].
pub struct StorePart;

impl StoreHook for StorePart {
    fn around<'a, T: Send + 'a>(
        &'a self,
        _name: &'static str,
        call: BoxFuture<'a, T>,
    ) -> BoxFuture<'a, T> {
        Box::pin(in_part(Part::Store, call))
    }
}

/// A store whose calls' allocations count as [`Part::Store`].
pub type TaggedStore = HookedStore<StorePart>;
