//! The company-import Lambda: on request (the connection page, or a new connection with
//! "import companies" on), one SQS message per connection. The use-case is
//! `koppel_core::jobs::import` on the shared job lifecycle; this is its Lambda face.

use koppel_core::Store;
use koppel_core::jobs::import::CompanyImport;
use koppel_runtime::{JobFactory, LifecycleFunction};

/// Makes the company import for each invocation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Import;

impl JobFactory for Import {
    type Job<'a> = CompanyImport<'a>;

    fn job<'a>(&'a self, store: &'a dyn Store) -> CompanyImport<'a> {
        CompanyImport { mappings: store }
    }
}

/// The company-import function with its ports.
pub type CompanyImportFunction = LifecycleFunction<Import>;
