//! The invoice-export Lambda: one SQS message = one connection's export run (or its
//! continuation). The use-case is `koppel_core::jobs::export` on the shared job lifecycle;
//! this is its Lambda face.

use koppel_core::Store;
use koppel_core::jobs::export::{ExportOptions, ExportStores, InvoiceExport};
use koppel_runtime::{JobFactory, LifecycleFunction};

/// Makes the export for each invocation.
#[derive(Debug, Clone, Default)]
pub struct Export {
    /// Tunables.
    pub options: ExportOptions,
}

impl JobFactory for Export {
    type Job<'a> = InvoiceExport<'a>;

    fn job<'a>(&'a self, store: &'a dyn Store) -> InvoiceExport<'a> {
        InvoiceExport {
            stores: ExportStores::of(store),
            options: self.options.clone(),
        }
    }
}

/// The export function with its ports.
pub type ExportFunction = LifecycleFunction<Export>;
