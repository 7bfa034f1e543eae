#![allow(dead_code)] // each bench uses what it needs
//! SQL statements sent by every connection of the process, counted through diesel's
//! instrumentation (savepoints and transaction control included). A statement count, unlike
//! a time, does not depend on what else the machine is doing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

/// While recording, each statement's text (binds left out) and how often it was sent.
static TEXTS: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

fn instrumentation() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            STATEMENTS.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut texts) = TEXTS.lock() {
                if let Some(texts) = texts.as_mut() {
                    let text = query.to_string();
                    let text = text.split(" -- binds").next().unwrap_or("").to_string();
                    *texts.entry(text).or_default() += 1;
                }
            }
        }
    }))
}

/// Counts the statements of every connection made from now on.
pub fn install() {
    set_default_instrumentation(instrumentation).expect("instrumentation");
}

/// Statements sent so far.
pub fn sent() -> usize {
    STATEMENTS.load(Ordering::Relaxed)
}

/// Starts keeping each statement's text, to print a breakdown with [`print_texts`].
pub fn record_texts() {
    *TEXTS.lock().expect("texts") = Some(HashMap::new());
}

/// Prints the statements recorded since [`record_texts`], most frequent first, as times
/// per `per` (a due ticket, a creation), and stops recording.
pub fn print_texts(title: &str, per: usize) {
    let Some(texts) = TEXTS.lock().expect("texts").take() else {
        return;
    };
    let mut texts: Vec<(String, usize)> = texts.into_iter().collect();
    texts.sort_by_key(|t| std::cmp::Reverse(t.1));
    println!("\n{title}:");
    for (text, n) in texts {
        let short: String = text.chars().take(150).collect();
        println!("{:>7.2}  {short}", n as f64 / per.max(1) as f64);
    }
}
