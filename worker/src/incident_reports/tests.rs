//! Native tests of the incident report handlers.
