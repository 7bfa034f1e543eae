//! spbe-desk: the two-tier SPBE service desk daemon.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod ics;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod routes;
pub mod startup;
pub mod telemetry;
