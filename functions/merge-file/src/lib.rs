//! The merge-file Lambda: one SQS message per uploaded merge file, to preview or to apply it.
//! The use-case is `koppel_core::jobs::merge` on the shared job lifecycle; this is its Lambda
//! face.

use koppel_core::jobs::merge::{MergeFileJob, MergeLimits};
use koppel_core::{FileStore, Store};
use koppel_runtime::{JobFactory, LifecycleFunction};
use std::sync::Arc;

/// Makes the merge-file job for each invocation.
#[derive(Clone)]
pub struct Merge {
    /// Where the uploaded files are (S3).
    pub files: Arc<dyn FileStore>,
    /// Size and row limits of a file.
    pub limits: MergeLimits,
}

impl JobFactory for Merge {
    type Job<'a> = MergeFileJob<'a>;

    fn job<'a>(&'a self, store: &'a dyn Store) -> MergeFileJob<'a> {
        MergeFileJob {
            merges: store,
            mappings: store,
            files: self.files.as_ref(),
            limits: self.limits,
        }
    }
}

/// The merge-file function with its ports.
pub type MergeFileFunction = LifecycleFunction<Merge>;
