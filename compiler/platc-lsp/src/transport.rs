//! The stdio transport: JSON-RPC messages framed by `Content-Length`
//! headers. A reader thread turns stdin into messages; a message that is
//! not JSON-RPC is reported in the log and skipped (its frame is consumed),
//! so one bad message does not end the session. A writer thread frames the
//! server's messages onto stdout.

use std::io::{self, BufRead, Read, Write};

use lsp_server::{Connection, Message, Notification};

use crate::{serve, Exit};

/// The notification the reader sends the server about a message it
/// skipped (the server logs it).
pub const SKIPPED: &str = "$/platc/skippedMessage";

/// The largest message read; a larger one is skipped.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// Serves stdin/stdout until `exit`. Returns the process exit code: 0 after
/// `shutdown` then `exit`, 1 otherwise (as the protocol asks); `Err` when
/// the client goes away before `initialize`.
pub fn run_stdio() -> Result<u8, String> {
    let (to_server, server_rx) = crossbeam_channel::unbounded::<Message>();
    let (server_tx, to_client) = crossbeam_channel::unbounded::<Message>();
    // Not joined: it may be blocked reading stdin when the server exits.
    // It holds only the server's inbox, so the writer below ends when the
    // server drops its outbox.
    std::thread::Builder::new()
        .name("platc-lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            let report = to_server.clone();
            read_messages(
                &mut input,
                |m| to_server.send(m).is_ok(),
                |e| {
                    let _ =
                        report.send(Message::Notification(Notification::new(SKIPPED.into(), e)));
                },
            );
        })
        .expect("spawn the reader thread");
    let writer = std::thread::Builder::new()
        .name("platc-lsp-writer".into())
        .spawn(move || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for m in to_client {
                if m.write(&mut out).is_err() {
                    break;
                }
            }
            let _ = out.flush();
        })
        .expect("spawn the writer thread");
    let conn = Connection {
        sender: server_tx,
        receiver: server_rx,
    };
    let exit = serve(&conn);
    drop(conn);
    let _ = writer.join();
    exit.map(|e| match e {
        Exit::Clean => 0,
        Exit::Unclean => 1,
    })
}

/// Reads framed messages until end of input (or until `deliver` returns
/// false); a frame that does not hold a JSON-RPC message goes to `skipped`.
pub fn read_messages(
    input: &mut impl BufRead,
    mut deliver: impl FnMut(Message) -> bool,
    mut skipped: impl FnMut(String),
) {
    loop {
        let mut length: Option<usize> = None;
        let mut bad_header = None;
        let mut saw_header = false;
        loop {
            let mut line = String::new();
            match input.read_line(&mut line) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => {
                    skipped(format!("unreadable header: {e}"));
                    return;
                }
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    match value.trim().parse::<usize>() {
                        Ok(n) => length = Some(n),
                        Err(_) => {
                            bad_header = Some(format!("bad Content-Length `{}`", value.trim()))
                        }
                    }
                }
            } else {
                bad_header = Some(format!(
                    "not a header: `{}`",
                    line.chars().take(80).collect::<String>()
                ));
            }
        }
        let Some(n) = length else {
            skipped(bad_header.unwrap_or_else(|| "a message without Content-Length".into()));
            continue;
        };
        if n > MAX_MESSAGE {
            skipped(format!("a message of {n} bytes, more than {MAX_MESSAGE}"));
            if io::copy(&mut input.take(n as u64), &mut io::sink()).is_err() {
                return;
            }
            continue;
        }
        let mut body = Vec::with_capacity(n.min(1 << 20));
        match input.take(n as u64).read_to_end(&mut body) {
            Ok(k) if k == n => {}
            _ => return,
        }
        match serde_json::from_slice::<Message>(&body) {
            Ok(m) => {
                if !deliver(m) {
                    return;
                }
            }
            Err(e) => skipped(format!("not a JSON-RPC message: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_frames_are_skipped_and_reading_goes_on() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: 5\r\n\r\n{{bad}}Content-Length: x\r\n\r\nX-Other: 1\r\n\r\nContent-Length: 9\r\n\r\n[1, 2, 3]Content-Length: {}\r\n\r\n{good}",
            good.len()
        );
        let mut got = Vec::new();
        let mut errors = Vec::new();
        read_messages(
            &mut io::Cursor::new(input.into_bytes()),
            |m| {
                got.push(m);
                true
            },
            |e| errors.push(e),
        );
        assert_eq!(got.len(), 1, "{errors:?}");
        assert!(matches!(&got[0], Message::Notification(n) if n.method == "initialized"));
        assert_eq!(errors.len(), 4, "{errors:?}");
    }
}
