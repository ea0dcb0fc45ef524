//! Integration tests: the real app, a fresh database per test, on SQLite and (when reachable, and
//! always under CI) PostgreSQL. One test binary for all of them.

mod harness;

mod browser;
mod cli;
mod corpus;
mod crash;
mod fronts;
mod related;
mod search;
mod seed_page;
