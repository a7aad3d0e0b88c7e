//! Native tests of the problem handlers against the in-memory store.
