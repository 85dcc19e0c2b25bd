//! Teamleader Focus simulator.
