//! The store contract: one suite of checks every implementation of the store's role traits
//! must pass (the in-memory store here, `DynamoStore` in `koppel-aws` against moto, and any
//! store added later).
//!
//! Available with the cargo feature `contract` (and in this crate's own tests). The checks
//! are grouped per role trait: [`connections`] ([`ConnectionStore`](crate::ConnectionStore)),
//! [`documents`] ([`DocumentStore`](crate::DocumentStore)), [`customers`]
//! ([`CustomerMappingStore`](crate::CustomerMappingStore)), [`reference`](mod@reference)
//! ([`ReferenceDataStore`](crate::ReferenceDataStore)), [`cursors`]
//! ([`CursorStore`](crate::CursorStore)), [`leases`] ([`LeaseStore`](crate::LeaseStore)) and
//! [`reports`] ([`RunReportStore`](crate::RunReportStore)). Each check is a `pub async fn`
//! taking a factory (`async || fresh_store()`), makes one fresh, empty store with it, and
//! panics when the store breaks the contract. Checks only need the role trait they test.
//!
//! Run them all with [`store_contract_tests!`](crate::store_contract_tests), which expands
//! into one `#[tokio::test]` per check:
//!
//! ```ignore
//! mod contract {
//!     koppel_core::store_contract_tests!(async || koppel_core::memory::InMemoryStore::new());
//! }
//! ```
//!
//! The checks are deterministic: they never sleep and never read the wall clock. Every
//! instant they pass (`now`, `until`, `fetched_at`, `started_at`) lies within one day after
//! [`epoch`]; a store that forgets old items by its own clock (run reports expire) must be
//! made with that clock at [`epoch`] (or within a few days after it). The racing checks
//! spawn many tasks on the multi-threaded runtime, released together by a barrier.

pub mod connections;
pub mod cursors;
pub mod customers;
pub mod documents;
pub mod fixtures;
pub mod leases;
pub mod merges;
pub mod reference;
pub mod reports;

pub use fixtures::epoch;

/// Expands into one `#[tokio::test]` per contract check, each calling the check with the
/// factory `$make` (an async closure or `async fn` returning a fresh, empty store).
///
/// Invoke it inside a module of its own (the tests are named after the checks); the calling
/// crate needs `tokio` with the `macros` and `rt-multi-thread` features.
///
/// ```ignore
/// mod contract {
///     koppel_core::store_contract_tests!(crate::common::fresh_store);
/// }
/// ```
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::store_contract_tests!(@each $make;
            connections::a_connection_round_trips_and_is_replaced,
            connections::connections_of_an_account_are_that_accounts_only,
            connections::active_connections_are_the_active_ones_only,
            connections::a_status_change_carries_its_reason_and_follows_the_active_list,
            connections::a_status_change_of_an_unknown_connection_changes_nothing,
            documents::claiming_a_new_document_records_the_claim,
            documents::pending_and_failed_documents_are_claimed_with_their_previous_record,
            documents::an_exported_document_is_never_claimed_again,
            documents::a_live_claim_of_another_run_is_busy,
            documents::a_lapsed_claim_is_taken_over_with_the_crashed_record_as_previous,
            documents::the_same_run_takes_its_live_claim_again,
            documents::claims_are_per_connection,
            documents::put_document_replaces_the_record,
            documents::unpaid_exported_lists_exported_unpaid_documents_of_the_connection_only,
            documents::documents_changed_since_are_the_connections_records_changed_from_then,
            customers::the_first_customer_mapping_stands,
            customers::customer_mappings_are_per_connection_and_customer_kind,
            customers::customers_created_by_koppel_are_remembered_per_connection,
            reference::reference_data_round_trips_per_connection,
            reference::large_reference_data_round_trips_and_is_replaced,
            cursors::cursors_are_per_connection_and_name,
            merges::merge_jobs_round_trip_per_connection_and_are_replaced,
            leases::a_lease_is_exclusive_until_it_lapses,
            leases::the_holder_takes_its_lease_again_and_extends_it,
            leases::only_the_holder_releases_a_lease,
            leases::leases_are_independent_by_name,
            reports::run_reports_come_newest_first_up_to_the_limit,
            reports::putting_a_run_report_again_replaces_it,
            reports::a_report_rewritten_with_another_start_time_leaves_no_copy,
        );
        $crate::store_contract_tests!(@racing $make;
            documents::exactly_one_of_many_racing_claims_wins,
            customers::racing_customer_mappings_all_get_the_mapping_that_stands,
            leases::exactly_one_of_many_racing_lease_takers_wins,
        );
    };
    (@each $make:expr; $($role:ident :: $check:ident),* $(,)?) => {
        $(
            #[::tokio::test]
            async fn $check() {
                $crate::contract::$role::$check($make).await;
            }
        )*
    };
    (@racing $make:expr; $($role:ident :: $check:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                $crate::contract::$role::$check($make).await;
            }
        )*
    };
}
